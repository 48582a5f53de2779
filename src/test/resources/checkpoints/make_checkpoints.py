"""Writes the small test checkpoints in this folder.

Run with Debian's PyTorch (apt-get install python3-torch; torch 1.13), from this folder:

    /usr/bin/python3 make_checkpoints.py

Every file is tiny. `expected.json` holds, for each tensor of the torch-made files, its shape, dtype and values
(C order, as Python numbers; bf16/f16 as the exact float value) so the Java tests need no arithmetic of their own.
"""
import collections
import io
import json
import struct
import zipfile

import torch

torch.manual_seed(0)
expected = {}


def record(file, name, t):
    t = t.detach()
    values = t.contiguous().flatten()
    if t.dtype in (torch.float16, torch.bfloat16):
        values = values.float()
    expected.setdefault(file, {})[name] = {
        "shape": list(t.shape),
        "dtype": str(t.dtype).replace("torch.", ""),
        "values": values.tolist(),
    }


def save(obj, file, tensors):
    torch.save(obj, file)
    for name, t in tensors.items():
        record(file, name, t)


# 1. weights nested under 'model', beside other training state
inner = collections.OrderedDict()
inner["encoder.weight"] = torch.randn(2, 3)
inner["encoder.bias"] = torch.randn(3)
inner["bn.num_batches_tracked"] = torch.tensor(7)
save({"epoch": 3, "model": inner, "optimizer": {"lr": 0.1, "state": {}}}, "nested_model.pth", inner)

# 2. weights nested under 'state_dict', with DataParallel's 'module.' prefix, some as nn.Parameter
sd = collections.OrderedDict()
sd["module.layer.weight"] = torch.nn.Parameter(torch.randn(4, 2))
sd["module.layer.bias"] = torch.nn.Parameter(torch.randn(4))
sd["module.scale"] = torch.randn(1)
save({"state_dict": sd, "arch": "tiny"}, "nested_state_dict.pth", sd)

# 3. every dtype, a 0-d tensor and zero-size tensors (plain dict at top level)
dt = {
    "f32": torch.randn(2, 2),
    "f16": torch.tensor([1.0, -2.5, 65504.0, 6.1e-5, 5.96e-8, 0.0, -0.0, float("inf")], dtype=torch.float16),
    "bf16": torch.tensor([1.0, -3.140625, 1e30, -1e-30, 0.0], dtype=torch.bfloat16),
    "f64": torch.tensor([[1.5, -2.25e-3]], dtype=torch.float64),
    "i64": torch.tensor([-(2**40), 5]),
    "i32": torch.tensor([-7, 2**31 - 1], dtype=torch.int32),
    "i16": torch.tensor([-300, 300], dtype=torch.int16),
    "i8": torch.tensor([-128, 127], dtype=torch.int8),
    "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True]),
    "scalar": torch.tensor(2.5),
    "empty": torch.zeros(2, 0, 3),
    "empty1d": torch.zeros(0, dtype=torch.int64),
}
save(dt, "dtypes.pth", dt)

# 4. views: non-contiguous tensors and tensors sharing one storage at different offsets
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
cube = torch.arange(24, dtype=torch.int64).reshape(2, 3, 4)
views = collections.OrderedDict()
views["base"] = base
views["transposed"] = base.t()              # strides (1, 6), same storage
views["row"] = base[2]                      # offset 12
views["column"] = base[:, 3]                # offset 3, stride 6
views["block"] = base[1:3, 2:5]             # offset 8, strides (6, 1)
views["strided"] = base[::2, ::3]           # strides (12, 3)
views["permuted"] = cube.permute(2, 0, 1)   # int64, strides (1, 12, 4)
views["expanded"] = torch.arange(3, dtype=torch.float32).expand(2, 3)  # stride 0
views["element"] = base[3, 5]               # 0-d view at offset 23
views["half_t"] = torch.arange(6, dtype=torch.float16).reshape(2, 3).t()
save(views, "views.pth", views)

# 5. the legacy (pre-1.6) format, which is refused with advice
torch.save({"w": torch.ones(2)}, "legacy.pth", _use_new_zipfile_serialization=False)

# 6. a TorchScript archive, also a zip with data.pkl
torch.jit.save(torch.jit.script(torch.nn.Linear(2, 1)), "torchscript.pt")


# 7. hostile pickles in the torch zip layout
def torch_zip(file, pickle_bytes, extra=None):
    with zipfile.ZipFile(file, "w") as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/version", "3\n")
        for name, data in (extra or {}).items():
            z.writestr("archive/" + name, data)


# GLOBAL 'os system' called with ('echo pwned',)
torch_zip("evil_os_system.pth", b"\x80\x02cos\nsystem\nX\x0a\x00\x00\x00echo pwned\x85R.")
# protocol 4: STACK_GLOBAL 'builtins' 'eval'
torch_zip("evil_builtins_eval.pth",
          b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x0f__import__('os')\x85R.")
# a real state dict whose first tensor is replaced by os.system (checks the refusal happens mid-stream too)
buf = io.BytesIO()
torch.save(collections.OrderedDict(a=torch.ones(2)), buf)
zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
pkl = [n for n in zin.namelist() if n.endswith("data.pkl")][0]
data = zin.read(pkl).replace(b"ctorch._utils\n_rebuild_tensor_v2\n", b"cposix\nsystem\n")
with zipfile.ZipFile("evil_in_state_dict.pth", "w") as z:
    for n in zin.namelist():
        z.writestr(n, data if n == pkl else zin.read(n))

# 8. a storage entry shorter than its declared element count (pickle says 1000 floats, entry has 16 bytes)
buf = io.BytesIO()
torch.save(collections.OrderedDict(big=torch.zeros(1000)), buf)
zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
with zipfile.ZipFile("short_storage.pth", "w") as z:
    for n in zin.namelist():
        z.writestr(n, zin.read(n)[:16] if n.endswith("/data/0") else zin.read(n))


# 9. a safetensors file written the way the reference library lays it out (metadata first, data sorted by
#    dtype size then name, contiguous), by hand since the safetensors package is not installed
def write_safetensors(file, tensors, metadata):
    def key(item):
        return (-item[1].element_size(), item[0])
    names = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64", torch.uint8: "U8"}
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, t in sorted(tensors.items(), key=key):
        b = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(file, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


st = {"b.weight": torch.randn(3, 2), "a.half": torch.randn(5).half(), "c.index": torch.tensor([4, 5, 6]),
      "d.mask": torch.tensor([1, 0], dtype=torch.uint8)}
write_safetensors("reference_layout.safetensors", st, {"format": "pt", "note": "hand-made"})
for name, t in st.items():
    record("reference_layout.safetensors", name, t)

with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1)
