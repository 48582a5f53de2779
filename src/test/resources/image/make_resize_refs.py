#!/usr/bin/env python3
"""Writes the Pillow resize references used by PillowResizeTest and ResizeLongestSideTest.

Run with Debian's python3-pil (Pillow 9.4.0, as the SAM fixtures were made) and python3-numpy:
    /usr/bin/python3 src/test/resources/image/make_resize_refs.py
from the repository root. The output is deterministic.

Small cases: <name>__in.npy and <name>__out.npy (uint8, H x W x 3, or H x W for grey), resized with
PIL Image.resize(BILINEAR), the call SAM's ResizeLongestSide.apply_image makes through torchvision.

Large cases (longest side 1024 and similar, too big to commit as images): the input is a formula
(synthetic(), reproduced in the Java test), the output is stored as one CRC-32 per row in big_<name>.txt:
    line 1: in_h in_w longest out_h out_w
    then out_h lines: CRC-32 (hex) of that output row's H*3 interleaved bytes.

target_sizes.txt: "h w longest new_h new_w" of ResizeLongestSide.get_preprocess_shape.
"""
import os
import zlib

import numpy as np
import PIL
from PIL import Image

assert PIL.__version__ == "9.4.0", PIL.__version__

HERE = os.path.dirname(os.path.abspath(__file__))


def get_preprocess_shape(oldh, oldw, long_side_length):
    # as segment_anything.utils.transforms.ResizeLongestSide.get_preprocess_shape
    scale = long_side_length * 1.0 / max(oldh, oldw)
    newh, neww = oldh * scale, oldw * scale
    return int(newh + 0.5), int(neww + 0.5)


def pil_resize(arr, out_w, out_h):
    mode = "RGB" if arr.ndim == 3 else "L"
    return np.asarray(Image.fromarray(arr, mode).resize((out_w, out_h), Image.BILINEAR))


def synthetic(h, w):
    """Gradients plus hashed noise; SyntheticImage in the Java tests computes the same bytes."""
    y, x, c = np.meshgrid(np.arange(h, dtype=np.uint64), np.arange(w, dtype=np.uint64),
                          np.arange(3, dtype=np.uint64), indexing="ij")
    m = np.uint64(0xFFFFFFFF)
    hh = ((x * np.uint64(73856093)) ^ (y * np.uint64(19349663)) ^ (c * np.uint64(83492791))) & m
    hh = ((hh ^ (hh >> np.uint64(13))) * np.uint64(0x5BD1E995)) & m
    hh = hh ^ (hh >> np.uint64(15))
    noise = hh & np.uint64(63)
    base = np.where(c == 0, x * np.uint64(255) // np.uint64(max(w - 1, 1)),
                    np.where(c == 1, y * np.uint64(255) // np.uint64(max(h - 1, 1)),
                             ((x + y) * np.uint64(2)) % np.uint64(256)))
    v = np.minimum(base * np.uint64(3) // np.uint64(4) + noise, np.uint64(255))
    return v.astype(np.uint8)


def small_cases():
    rng = np.random.default_rng(20240611)
    rgb = lambda h, w: rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    # name: (input, out_w, out_h)
    cases = {
        "down_40x30_to_23x17": (rgb(30, 40), 23, 17),
        "down_97x61_to_7x5": (rgb(61, 97), 7, 5),
        "up_13x9_to_37x29": (rgb(9, 13), 37, 29),
        "mixed_50x20_to_31x45": (rgb(20, 50), 31, 45),
        "width_unchanged_30x20_to_30x11": (rgb(20, 30), 30, 11),
        "height_unchanged_30x20_to_17x20": (rgb(20, 30), 17, 20),
        "column_1x7_to_5x20": (rgb(7, 1), 5, 20),
        "row_9x1_to_4x1": (rgb(1, 9), 4, 1),
        "row_9x1_to_9x3": (rgb(1, 9), 9, 3),
        "pixel_1x1_to_3x2": (rgb(1, 1), 3, 2),
        "grey_37x23_to_16x50": (rng.integers(0, 256, size=(23, 37), dtype=np.uint8), 16, 50),
        "grey_gradient_64x48_to_45x33": (np.add.outer(np.arange(48) * 2, np.arange(64) * 3).clip(0, 255)
                                         .astype(np.uint8), 45, 33),
    }
    for name, (arr, out_w, out_h) in cases.items():
        np.save(os.path.join(HERE, name + "__in.npy"), arr)
        np.save(os.path.join(HERE, name + "__out.npy"), pil_resize(arr, out_w, out_h))


def big_cases():
    # name: (h, w, longest); 500 x 600 is the size of typical ultrasound frames
    cases = {
        "ultrasound_600x500_to_1024": (500, 600, 1024),
        "portrait_500x600_to_1024": (600, 500, 1024),
        "ultrasound_600x500_to_256": (500, 600, 256),
        "large_1300x1100_to_1024": (1100, 1300, 1024),
    }
    for name, (h, w, longest) in cases.items():
        out_h, out_w = get_preprocess_shape(h, w, longest)
        out = pil_resize(synthetic(h, w), out_w, out_h)
        assert out.shape == (out_h, out_w, 3)
        with open(os.path.join(HERE, "big_" + name + ".txt"), "w") as f:
            f.write(f"{h} {w} {longest} {out_h} {out_w}\n")
            for row in out:
                f.write(f"{zlib.crc32(row.tobytes()):08x}\n")


def target_sizes():
    rows = []
    for longest in (1024, 256, 512, 64):
        for h, w in [(97, 150), (150, 97), (500, 600), (600, 500), (1, 1), (1, 1000), (1000, 1), (3, 7),
                     (480, 640), (1080, 1920), (333, 1000), (1024, 1024), (2048, 1365), (5, 3)]:
            rows.append((h, w, longest))
    # sizes where rounding to the nearest integer meets a tie or a near-tie
    for m in range(1, 400):
        for n in (2, 3, 6, 7, 10, 14, 49, 98, 1000):
            for longest in (1024, 1000, 256):
                if n <= m:
                    x = n * longest / m
                    if abs(x - int(x) - 0.5) < 1e-9:
                        rows.append((n, m, longest))
    # the reference multiplies by a precomputed scale; these differ from round(n * longest / m)
    rows += [(19, 304, 1000), (304, 285, 1000), (183, 976, 1000), (976, 793, 1000)]
    with open(os.path.join(HERE, "target_sizes.txt"), "w") as f:
        for h, w, longest in rows:
            nh, nw = get_preprocess_shape(h, w, longest)
            f.write(f"{h} {w} {longest} {nh} {nw}\n")


if __name__ == "__main__":
    small_cases()
    big_cases()
    target_sizes()
