# Regenerates add_new_mask_z4_logits.npy: what SAM 2.1's video predictor returns for a mask given with add_new_mask
# (use_mask_input_as_output_without_sam), using the reference's operations on the sam2_tiny fixture (image size 128,
# low resolution 32, stack slices 150 x 97). The mask is the reference's video_box final labels on slice 4.
# Run from the repository root: /usr/bin/python3 src/test/resources/sam2/add_new_mask_reference.py
import numpy as np
import torch
import torch.nn.functional as F

ref = np.load("../shared/fixtures/sam2_tiny/video_box__final_logits.npy")
mask = torch.tensor((ref[3] > 0).astype(np.float32))[None, None]
# add_new_mask: resize to the model's input size (antialiased) and binarize at 0.5
inputs = (F.interpolate(mask, size=(128, 128), align_corners=False, mode="bilinear", antialias=True) >= 0.5).float()
# _use_mask_as_output: logits of +-10, shrunk to the low resolution (antialiased)
low = F.interpolate(inputs * 20.0 - 10.0, size=(32, 32), align_corners=False, mode="bilinear", antialias=True)
# the video-resolution output: bilinear to the slice size
out = F.interpolate(low, size=(150, 97), mode="bilinear", align_corners=False)[0, 0].numpy().astype(np.float32)
np.save("src/test/resources/sam2/add_new_mask_z4_logits.npy", out)
