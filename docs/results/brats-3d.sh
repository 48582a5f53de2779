#!/bin/bash
# 3D real-data check of the fine-tuning chain on 2 CPU cores: the small SAM (samples/sam_tiny.json) trained from
# scratch on BraTS 2013 FLAIR slices (whole tumour: --label all), split by volume (2 train, 1 validation, 1 test),
# then `auto --mode semantic` on the held-out volume and a 3D `evaluate` against its expert labels.
# The BraTS data is non-commercial (CC BY-NC-SA 3.0): it is read from ../shared, never bundled.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=target/brats
mkdir -p "$work/test/images" "$work/test/masks"
bin/sam-fiji finetune --images ../shared/data/brats2013/images --masks ../shared/data/brats2013/masks --label all \
  --from-scratch --config samples/sam_tiny.json --parts encoder-decoder --method vanilla --objective auto \
  --lr 1e-3 --warmup 50 --epochs 200 --patience 30 --seed 42 --time-limit 12 --out "$work/brats_tiny.safetensors" --overwrite
test=$(python3 -c "import json; print(json.load(open('$work/brats_tiny.json'))['finetune']['data']['test'][0])")
cp "../shared/data/brats2013/images/$test.tif" "$work/test/images/"
cp "../shared/data/brats2013/masks/$test.tif" "$work/test/masks/"
bin/sam-fiji auto --checkpoint "$work/brats_tiny.safetensors" --image "$work/test/images/$test.tif" --mode semantic \
  --out "$work/test/$test" --overwrite
bin/sam-fiji evaluate --pred "$work/test/$test.labels.tif" --truth "$work/test/masks/$test.tif" --binary \
  --out "$work/test/eval.csv" --overwrite
cat "$work/test/eval.csv"
