#!/bin/bash
# Makes samples/busi_sam_tiny.safetensors (+ .json), the small model the README's first command uses, with this
# project's own fine-tune command on the BUSI breast-ultrasound set (CC0) in ../shared/data/busi. Two stages,
# both seeded (seed 42 gives the same 47/7/13 train/validation/test split by image each time):
#   1. prompt-free (automatic) training from random weights of the tiny SAM of samples/sam_tiny.json
#      (ViT 64-wide, 4 blocks, 256 px input; 0.32 M parameters);
#   2. interactive training (box/point prompts with correction rounds) starting from stage 1.
# The 13 test images of that split (never seen in training or validation) are bundled in samples/busi-test.
# Each stage stops after its time limit (2 CPU cores: about 27 + 24 minutes) and keeps its best validation model.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/busi
work=target/default-model
mkdir -p "$work"
bin/sam-fiji finetune --images "$data/images" --masks "$data/masks" --from-scratch --config samples/sam_tiny.json \
  --parts encoder-decoder --method vanilla --objective auto --lr 1e-3 --warmup 50 --epochs 250 --patience 50 \
  --seed 42 --time-limit 27 --out "$work/busi_auto.safetensors" --overwrite
bin/sam-fiji finetune --images "$data/images" --masks "$data/masks" --checkpoint "$work/busi_auto.safetensors" \
  --train-prompt-encoder --parts encoder-decoder --method vanilla --objective interactive --lr 3e-4 --warmup 50 --epochs 250 \
  --patience 50 --seed 42 --time-limit 24 --out "$work/busi_prompt.safetensors" --overwrite
cp "$work/busi_prompt.safetensors" samples/busi_sam_tiny.safetensors
cp "$work/busi_prompt.json" samples/busi_sam_tiny.json
