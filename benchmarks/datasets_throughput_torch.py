"""PyTorch/PIL side of benchmarks/datasets_throughput.ts: decode + transform throughput on the same files.

Usage: /usr/bin/python3 datasets_throughput_torch.py <image_dir> <n> <batch>
Prints one JSON line: images/s for PIL decode (PNG, JPEG, TIFF) and for the eval / train transforms done with
torch ops on batches (torchvision is not installed: RandomResizedCrop is torchvision's sampler written out,
crop + F.interpolate(bicubic); RandAugment is not available and is left out of the torch train figure).
"""
import glob
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

torch.set_num_threads(int(os.environ.get('TORCH_THREADS', '1')))
image_dir, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)


def files(ext):
    return sorted(glob.glob(os.path.join(image_dir, '**', f'*.{ext}'), recursive=True))[:n]


def decode_rate(paths):
    t0 = time.perf_counter()
    arrs = [np.asarray(Image.open(p).convert('RGB')) for p in paths]
    return len(paths) / (time.perf_counter() - t0), arrs


out = {}
arrays = None
for ext in ('png', 'jpg', 'tif'):
    paths = files(ext)
    if paths:
        decode_rate(paths[:8])  # warm-up
        rate, arrs = decode_rate(paths)
        out[f'decode_{ext}_per_s'] = rate
        if ext == 'png':
            arrays = arrs


def to_batch(arrs):
    return torch.from_numpy(np.stack(arrs)).permute(0, 3, 1, 2).float().div_(255)  # [B,3,H,W]


def eval_transform(x, size=224):
    x = F.interpolate(x, size=(size, size), mode='bicubic', align_corners=False, antialias=True)
    return (x - MEAN) / STD


def rrc_box(h, w, scale=(0.5, 1.0), ratio=(3 / 4, 4 / 3)):
    area = h * w
    for _ in range(10):
        ta = area * random.uniform(*scale)
        ar = math.exp(random.uniform(math.log(ratio[0]), math.log(ratio[1])))
        cw = int(round(math.sqrt(ta * ar)))
        ch = int(round(math.sqrt(ta / ar)))
        if 0 < cw <= w and 0 < ch <= h:
            return random.randint(0, h - ch), random.randint(0, w - cw), ch, cw
    return 0, 0, h, w


def train_transform(x, size=224):
    outs = []
    for img in x:
        i, j, h, w = rrc_box(img.shape[1], img.shape[2])
        y = F.interpolate(img[None, :, i:i + h, j:j + w], size=(size, size), mode='bicubic', align_corners=False,
                          antialias=True)
        if random.random() < 0.5:
            y = y.flip(3)
        outs.append(y)
    return (torch.cat(outs) - MEAN) / STD


if arrays:
    batches = [arrays[k:k + batch] for k in range(0, len(arrays) - batch + 1, batch)]
    for name, fn in (('eval', eval_transform), ('train_no_randaugment', train_transform)):
        fn(to_batch(batches[0]))
        t0 = time.perf_counter()
        for b in batches:
            fn(to_batch(b))
        out[f'{name}_per_s'] = len(batches) * batch / (time.perf_counter() - t0)
print(json.dumps(out))
