#!/bin/bash
# Dice of the bundled model on the 13 bundled BUSI test images, each prompted with the tight box around its
# lesion (from the expert mask), beside the trivial baseline: the ellipse inscribed in the same box.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-samples/busi_sam_tiny.safetensors}
out=target/default-model-eval
mkdir -p "$out"
echo "image,sam_dice,ellipse_dice"
for image in samples/busi-test/images/*.png; do
  name=$(basename "$image" .png)
  mask=samples/busi-test/masks/$name.png
  box=$(bin/sam-fiji segment --checkpoint "$model" --image "$image" --truth "$mask" --box-from-truth \
        --out "$out/$name" --overwrite | tr '\n' ' ')
  python3 - "$out/$name.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
a = j["against_truth"]
print("%s,%.4f,%.4f" % (j["image"].split("/")[-1][:-4], a["sam"]["dice"], a["box_ellipse_baseline"]["dice"]))
PY
done
