#!/usr/bin/env python3
"""Oracle table for CheckpointFuzzTest: what PyTorch's weights_only loader makes of each mutated .pth case.

Usage: oracle.py CASE_DIR > oracle.json   (CASE_DIR written by CheckpointFuzz.main; Debian's python3-torch)
For each case-N.pth: {"N": {"torch": "ok", "digest": D}} or {"N": {"torch": "error", "error": "<exception type>"}},
where D is the SHA-256 of the lines "name<TAB>sha256 of the tensor's contiguous little-endian bytes", one per
tensor in sorted name order, each ended by a newline.
"""
import hashlib
import json
import os
import re
import sys

import torch

out = {}
folder = sys.argv[1]
for name in sorted(os.listdir(folder), key=lambda s: int(re.findall(r"\d+", s)[0])):
    if not name.endswith(".pth"):
        continue
    number = re.findall(r"\d+", name)[0]
    try:
        obj = torch.load(os.path.join(folder, name), map_location="cpu", weights_only=True)
        if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
            out[number] = {"torch": "error", "error": "not a dict of tensors"}
            continue
        lines = []
        for key in sorted(str(k) for k in obj.keys()):
            data = obj[key].detach().contiguous().numpy().tobytes()
            lines.append(key + "\t" + hashlib.sha256(data).hexdigest() + "\n")
        digest = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
        out[number] = {"torch": "ok", "digest": digest}
    except Exception as e:  # any refusal counts
        out[number] = {"torch": "error", "error": type(e).__name__}
json.dump(out, sys.stdout, indent=0, sort_keys=True)
