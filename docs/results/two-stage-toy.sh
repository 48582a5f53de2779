#!/bin/bash
# The seeds' two-stage question in miniature, on 2 CPU cores: pre-train the tiny SAM (samples/sam_tiny.json) on
# HC18 fetal-head ultrasound (prompt-free, from random weights), then fine-tune it on BUSI breast ultrasound with
# each strategy at 10/25/100% of the training split, evaluated on BUSI's held-out test split.
# Each run is time-limited, so this is a quick look at the shape of the results, not a converged study.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=target/two-stage-toy
mkdir -p "$work"
bin/sam-fiji finetune --images ../shared/data/hc18/images --masks ../shared/data/hc18/masks --from-scratch \
  --config samples/sam_tiny.json --parts encoder-decoder --method vanilla --objective auto --lr 1e-3 --warmup 50 \
  --epochs 200 --patience 50 --seed 42 --time-limit 8 --out "$work/hc18_pretrained.safetensors" --overwrite
bin/sam-fiji study --images ../shared/data/busi/images --masks ../shared/data/busi/masks \
  --checkpoint "$work/hc18_pretrained.safetensors" \
  --strategies decoder:vanilla,encoder-decoder:vanilla,encoder-decoder:lora --rank 4 --budgets 0.1,0.25,1 --seeds 42 \
  --lr 1e-3 --warmup 20 --epochs 200 --patience 40 --time-limit 3 --out "$work/study" --overwrite
