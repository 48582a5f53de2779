#!/bin/bash
# SAM 2.1 memory tracking against SAM 1 projection propagation on BraTS 2013 FLAIR volumes (whole tumour), both small
# models trained here from random weights on the same two volumes for the same wall-clock time on 2 CPU cores, then
# propagated through the held-out volume from one tight box on the slice where the tumour is largest; 3D Dice beside
# the ellipsoid inscribed in that box and stretched over the tumour's slices. Split by volume: train pat0001 and
# pat0002, validation pat0005, test pat0006. BraTS is non-commercial (CC BY-NC-SA 3.0): read from ../shared only.
# MINUTES (default 10) sets each training's time limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${MINUTES:-10}
data=../shared/data/brats2013
work=target/brats-sam2-vs-sam1
mkdir -p "$work"
printf 'pat0001\npat0002\n' > "$work/train.txt"
printf 'pat0005\n' > "$work/val.txt"
bin/sam-fiji finetune --from-scratch --config ../shared/fixtures/sam2_tiny/config.json --input-size 128 \
  --images "$data/images" --masks "$data/masks" --label all --video --clip-length 8 --parts encoder-decoder \
  --objective interactive --train-list "$work/train.txt" --val-list "$work/val.txt" --epochs 400 --patience 0 \
  --batch 2 --lr 1e-3 --warmup 20 --time-limit "$minutes" --seed 1 --out "$work/sam2.safetensors" --overwrite
bin/sam-fiji finetune --from-scratch --config samples/sam_tiny.json --input-size 128 \
  --images "$data/images" --masks "$data/masks" --label all --parts encoder-decoder --objective interactive \
  --train-list "$work/train.txt" --val-list "$work/val.txt" --epochs 400 --patience 0 --lr 1e-3 --warmup 50 \
  --time-limit "$minutes" --seed 1 --out "$work/sam1.safetensors" --overwrite
# The prompt: the tight box of the tumour on its largest slice (1-based z), and the baseline ellipsoid, from the truth.
read -r box z < <(/usr/bin/python3 - "$data/masks/pat0006.tif" "$work/ellipsoid.tif" <<'PY'
import sys, numpy as np
from skimage import io
t = io.imread(sys.argv[1]) > 0
areas = t.reshape(t.shape[0], -1).sum(1)
z = int(areas.argmax())
ys, xs = np.nonzero(t[z])
x0, y0, x1, y1 = xs.min(), ys.min(), xs.max(), ys.max()
zs = np.nonzero(areas)[0]
zz, yy, xx = np.mgrid[0:t.shape[0], 0:t.shape[1], 0:t.shape[2]]
cz, rz = (zs.min() + zs.max()) / 2, (zs.max() - zs.min() + 1) / 2
cy, ry = (y0 + y1) / 2, (y1 - y0 + 1) / 2
cx, rx = (x0 + x1) / 2, (x1 - x0 + 1) / 2
e = ((zz - cz) / rz) ** 2 + ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
io.imsave(sys.argv[2], (e * 255).astype(np.uint8), check_contrast=False)
print(f"{x0},{y0},{x1},{y1} {z + 1}")
PY
)
for m in sam2 sam1; do
  bin/sam-fiji propagate --checkpoint "$work/$m.safetensors" --image "$data/images/pat0006.tif" --box "$box,$z" \
    --out "$work/pat0006_$m" --overwrite
done
for p in "$work/pat0006_sam2.labels.tif" "$work/pat0006_sam1.labels.tif" "$work/ellipsoid.tif"; do
  bin/sam-fiji evaluate --pred "$p" --truth "$data/masks/pat0006.tif" --binary --out "$p.eval.csv" --overwrite
  echo "$p: $(sed -n 2p "$p.eval.csv")"
done
