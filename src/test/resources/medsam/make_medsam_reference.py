#!/usr/bin/env python3
"""Writes the MedSAM preprocessing/inference references used by MedSamParityTest and SkimageResizeTest.

Runs MedSAM's inference steps (MedSAM_Inference.py, bowang-lab/MedSAM, Ma et al. 2024) with the reference
segment_anything classes on the tiny fixture model samples/sam_tiny.pth (input 256 instead of MedSAM's 1024):
    img = skimage.transform.resize(img_3c, (S, S), order=3, preserve_range=True, anti_aliasing=True).astype(np.uint8)
    img = (img - img.min()) / np.clip(img.max() - img.min(), a_min=1e-8, a_max=None)
    embedding = image_encoder(img as 1x3xSxS float32)          # no mean/std, no padding
    box = box / [W, H, W, H] * S
    low_res_logits = mask_decoder(..., multimask_output=False)
    prob = F.interpolate(sigmoid(low_res_logits), (H, W), bilinear, align_corners=False); mask = prob > 0.5

Usage, from the repository root, with Debian's python3-torch, python3-skimage, python3-scipy and python3-numpy:
    /usr/bin/python3 src/test/resources/medsam/make_medsam_reference.py [output folder]
The output (deterministic) goes to src/test/resources/medsam unless a folder is given.

Images: synthetic(h, w) below (integer arithmetic only, reproduced in the Java test):
    tall: 301 x 217 (H x W) RGB, squashed to 256 x 256: anti-aliasing on the rows, upscaling of the columns
    wide: 150 x 1030, wider than 1024: a 4x downscale of the columns (Gaussian radius 6)
Files: <image>__resized.npy (uint8 S x S x 3), tall__input.npy (float32 1x3xSxS, what the encoder gets),
<image>__<case>__low_res_logits.npy (float32 1x1x64x64), <case>__box.npy / __point.npy (the prompt in image pixels),
tall__box__prob.npy (float32 H x W), wide__box__prob_rows.npy (every 10th row of the H x W probability map).
Pieces (float64, each against the scipy/skimage call): piece_gauss__in/out (ndimage.gaussian_filter, mode mirror),
piece_spline__in/out (ndimage.spline_filter order 3, mode mirror), piece_resize_<name>__in/out (transform.resize).
Full size: big_<name>_to_1024.txt, one CRC-32 per row of the 8-bit resize to 1024 x 1024 of a formula image (flat
regions, where the truncation to 8 bits is most fragile, and a ramp), both larger than 1024 on one side.
"""
import os
import sys
import zlib

import numpy as np
import scipy
import skimage
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage import transform

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
REFERENCE = "/work/shared/tools/reference-bench/facebookresearch+segment-anything"
OUT = sys.argv[1] if len(sys.argv) > 1 else HERE
SIZE = 256

sys.path.insert(0, os.environ.get("SAM_REFERENCE", REFERENCE))
from functools import partial  # noqa: E402
from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer  # noqa: E402


def synthetic(h, w):
    img = np.zeros((h, w, 3), np.uint8)
    for y in range(h):
        for x in range(w):
            for c in range(3):
                v = 0
                if 100 * ((2 * x - w) ** 2 * h * h + (2 * y - h) ** 2 * w * w) < 49 * w * w * h * h:
                    v = 60 + 30 * c
                if (x - w // 3) ** 2 + (y - h // 2) ** 2 < (min(w, h) // 5) ** 2:
                    v = 220 - 20 * c
                if w // 2 <= x < 3 * w // 4 and h // 4 <= y < 3 * h // 4:
                    hh = ((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) & 0xFFFFFFFF
                    hh = ((hh ^ (hh >> 13)) * 0x5BD1E995) & 0xFFFFFFFF
                    hh ^= hh >> 15
                    v = 80 + hh % 100
                if y < h // 6:
                    v = (x * 255) // (w - 1)
                img[y, x, c] = v
    return img


def tiny_sam():
    sam = Sam(
        image_encoder=ImageEncoderViT(depth=4, embed_dim=64, img_size=SIZE, mlp_ratio=4.0,
                                      norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), num_heads=4, patch_size=16,
                                      qkv_bias=True, use_rel_pos=True, rel_pos_zero_init=True,
                                      global_attn_indexes=[1, 3], window_size=4, out_chans=32),
        prompt_encoder=PromptEncoder(embed_dim=32, image_embedding_size=(SIZE // 16, SIZE // 16),
                                     input_image_size=(SIZE, SIZE), mask_in_chans=8),
        mask_decoder=MaskDecoder(num_multimask_outputs=3,
                                 transformer=TwoWayTransformer(depth=2, embedding_dim=32, mlp_dim=64, num_heads=2),
                                 transformer_dim=32, iou_head_depth=3, iou_head_hidden_dim=32),
        pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375])
    sam.load_state_dict(torch.load(os.path.join(ROOT, "samples", "sam_tiny.pth")))
    return sam.eval()


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(array), allow_pickle=False)


@torch.no_grad()
def medsam(sam, name, img, prompts):
    h, w, _ = img.shape
    resized = transform.resize(img, (SIZE, SIZE), order=3, preserve_range=True, anti_aliasing=True).astype(np.uint8)
    save(name + "__resized", resized)
    scaled = (resized - resized.min()) / np.clip(resized.max() - resized.min(), a_min=1e-8, a_max=None)
    x = torch.tensor(scaled).float().permute(2, 0, 1).unsqueeze(0)
    if name == "tall":
        save(name + "__input", x.numpy())
    embedding = sam.image_encoder(x)
    results = {}
    for case, prompt in prompts.items():
        if case == "box":
            save(name + "__box__box", np.array(prompt, np.float64))
            box = np.array([prompt]) / np.array([w, h, w, h]) * SIZE
            sparse, dense = sam.prompt_encoder(points=None, boxes=torch.as_tensor(box, dtype=torch.float)[:, None, :],
                                               masks=None)
        else:
            save(name + "__point__point", np.array(prompt, np.float64))
            xy = np.array([[prompt]]) / np.array([w, h]) * SIZE
            points = (torch.as_tensor(xy, dtype=torch.float), torch.ones((1, 1), dtype=torch.int))
            sparse, dense = sam.prompt_encoder(points=points, boxes=None, masks=None)
        low, _ = sam.mask_decoder(image_embeddings=embedding, image_pe=sam.prompt_encoder.get_dense_pe(),
                                  sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense,
                                  multimask_output=False)
        save(name + "__" + case + "__low_res_logits", low.numpy())
        prob = F.interpolate(torch.sigmoid(low), size=(h, w), mode="bilinear", align_corners=False)
        results[case] = prob.squeeze().numpy()
    return results


def pieces():
    rng = np.random.default_rng(20261207)
    a = rng.uniform(0, 255, (9, 23, 3))
    save("piece_gauss__in", a)
    save("piece_gauss__out", ndimage.gaussian_filter(a, (1.3, 2.7, 0), mode="mirror"))
    b = rng.uniform(0, 255, (7, 5, 3))
    save("piece_spline__in", b)
    save("piece_spline__out", ndimage.spline_filter(b, 3, output=np.float64, mode="mirror"))
    for label, shape, out in (("up", (13, 11, 3), (29, 17)), ("down", (61, 40, 3), (8, 9)),
                              ("mixed", (5, 70, 3), (12, 9)), ("grey", (20, 33, 1), (7, 50))):
        c = rng.integers(0, 256, shape).astype(np.uint8)
        save("piece_resize_" + label + "__in", c)
        save("piece_resize_" + label + "__out",
             transform.resize(c, out, order=3, preserve_range=True, anti_aliasing=True))


def big_cases():
    """Full-size (1024) resizes of formula images too big to commit: one CRC-32 per output row (H*W*3 bytes each)."""
    flat = np.full((1300, 700, 3), 100, np.uint8)
    flat[300:900, 200:500] = 37
    flat[:, :50] = 255
    y, x, c = np.mgrid[0:1100, 0:1200, 0:3]
    ramp = ((x * x + 3 * y + 50 * c) % 256).astype(np.uint8)
    for name, img in (("flat_1300x700", flat), ("ramp_1100x1200", ramp)):
        out = transform.resize(img, (1024, 1024), order=3, preserve_range=True, anti_aliasing=True).astype(np.uint8)
        with open(os.path.join(OUT, "big_" + name + "_to_1024.txt"), "w") as f:
            for row in out:
                f.write("%08x\n" % zlib.crc32(row.tobytes()))


def main():
    print("numpy", np.__version__, "scipy", scipy.__version__, "skimage", skimage.__version__, "torch",
          torch.__version__)
    os.makedirs(OUT, exist_ok=True)
    torch.set_grad_enabled(False)
    sam = tiny_sam()
    tall = medsam(sam, "tall", synthetic(301, 217), {"box": [40, 60, 180, 250], "point": [100, 150]})
    save("tall__box__prob", tall["box"])
    wide = medsam(sam, "wide", synthetic(150, 1030), {"box": [100, 20, 900, 130]})
    save("wide__box__prob_rows", wide["box"][::10])
    pieces()
    big_cases()


if __name__ == "__main__":
    main()
