"""Golden values for @pir/datasets transforms: bicubic resize as PyTorch does it, with and without
antialiasing, crop + resize, and the CLIP evaluation pipeline (shorter side → S, centre crop S, normalise).

Written from PyTorch's functional API (torch.nn.functional.interpolate, mode='bicubic', align_corners=False;
antialias=True is PIL's/torchvision's antialiased bicubic), not from the TypeScript code. torchvision is not
installed: Resize(S) and CenterCrop(S) are spelled out as torchvision documents them (shorter side to S,
the other int(S * long / short); crop offsets int(round((H - S) / 2))).

Run from the repository root:
    /usr/bin/python3 tools/golden/transforms.py
writes packages/datasets/test/fixtures/transforms/resize.json
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = 'packages/datasets/test/fixtures/transforms/resize.json'
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

g = torch.Generator().manual_seed(20240611)


def rand_image(b, h, w):
    # [B, H, W, 3] in [0, 1], float32 (what the TypeScript side feeds)
    return torch.rand(b, h, w, 3, generator=g, dtype=torch.float32)


def resize(x, h, w, antialias):
    # x [B, H, W, C] -> NCHW -> interpolate -> [B, h, w, C]
    y = F.interpolate(x.permute(0, 3, 1, 2).double(), size=(h, w), mode='bicubic', align_corners=False,
                      antialias=antialias)
    return y.permute(0, 2, 3, 1).float()


def flat(t):
    return [float('%.7g' % v) for v in t.reshape(-1).tolist()]


cases = []
for (b, H, W, h, w) in [(2, 23, 29, 16, 12), (1, 12, 10, 29, 31), (1, 9, 9, 9, 9), (1, 33, 30, 7, 11),
                        (1, 1, 5, 3, 8), (1, 20, 24, 20, 12)]:
    x = rand_image(b, H, W)
    for aa in (False, True):
        cases.append({'kind': 'resize', 'antialias': aa, 'input_shape': [b, H, W, 3], 'size': [h, w],
                      'input': flat(x), 'output': flat(resize(x, h, w, aa))})

# crop (top, left, height, width) then resize: what RandomResizedCrop does with its sampled box
x = rand_image(1, 30, 26)
for (top, left, ch, cw, h, w) in [(3, 5, 17, 12, 10, 10), (0, 0, 30, 26, 14, 9), (10, 2, 8, 20, 16, 16)]:
    for aa in (False, True):
        crop = x[:, top:top + ch, left:left + cw, :]
        cases.append({'kind': 'resized_crop', 'antialias': aa, 'input_shape': [1, 30, 26, 3],
                      'box': [top, left, ch, cw], 'size': [h, w], 'input': flat(x),
                      'output': flat(resize(crop, h, w, aa))})

# CLIP eval pipeline on a non-square image: Resize(S) (shorter side), CenterCrop(S), Normalize
for (H, W, S) in [(30, 41, 24), (50, 33, 16)]:
    x = rand_image(1, H, W)
    if H <= W:
        nh, nw = S, int(S * W / H)
    else:
        nh, nw = int(S * H / W), S
    for aa in (False, True):
        y = resize(x, nh, nw, aa)
        top = int(round((nh - S) / 2.0))
        left = int(round((nw - S) / 2.0))
        y = y[:, top:top + S, left:left + S, :]
        y = (y - torch.tensor(CLIP_MEAN)) / torch.tensor(CLIP_STD)
        cases.append({'kind': 'clip_eval', 'antialias': aa, 'input_shape': [1, H, W, 3], 'size': [S, S],
                      'input': flat(x), 'output': flat(y)})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f)
print(f'{len(cases)} cases -> {OUT} ({os.path.getsize(OUT) // 1024} KB)')
