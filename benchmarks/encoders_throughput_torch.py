"""PyTorch CPU baseline for benchmarks/encoders_throughput.ts: inference throughput of the same architectures
(CLIP ViT-B/32 image tower, ResNet-50, CLIP text tower), random weights, eval mode, no_grad. ViT and text as
CLIP's code writes them (nn.MultiheadAttention, nn.LayerNorm; tools/golden/encoders_models.py, which the golden
tests of @pir/encoders check against); ResNet-50 is torchvision's own when python3-torchvision is installed.

Usage: python3 encoders_throughput_torch.py --threads N [--warmup W] [--reps R] [--models vit_b32,resnet50,clip_text]
Prints one JSON line: {"threads", "torch", "blas", "models": {name: {"medianMs", "minMs", "maxMs", "reps", "batch"}}}.
"""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tools', 'golden'))
import encoders_models as M  # noqa: E402


def bench(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1000)
    t.sort()
    return {'medianMs': t[len(t) // 2], 'minMs': t[0], 'maxMs': t[-1], 'reps': reps}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--models', default='vit_b32,resnet50,clip_text')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {}
    impl = {}
    with torch.no_grad():
        which = args.models.split(',')
        img = torch.randn(8, 3, 224, 224)
        if 'vit_b32' in which:
            vit = M.VisionTransformer(224, 32, 768, 12, 12, 512).eval()
            out['vit_b32'] = {**bench(lambda: vit(img), args.warmup, args.reps), 'batch': 8}
            del vit
        if 'resnet50' in which:
            # torchvision's own ResNet-50 when installed (Debian: python3-torchvision), else the same
            # architecture from tools/golden (nn.Conv2d / nn.BatchNorm2d, torchvision's layout)
            try:
                import torchvision

                rn = torchvision.models.resnet50(weights=None).eval()
                impl['resnet50'] = 'torchvision ' + torchvision.__version__
            except ImportError:
                rn = M.ResNet(M.Bottleneck, [3, 4, 6, 3]).eval()
                impl['resnet50'] = 'tools/golden ResNet'
            rn = rn.eval()
            out['resnet50'] = {**bench(lambda: rn(img), args.warmup, args.reps), 'batch': 8}
            del rn
        if 'clip_text' in which:
            txt = M.TextTransformer(49408, 77, 512, 12, 8, 512).eval()
            ids = torch.randint(1, 49407, (32, 77))
            ids[:, 20] = 49407  # end-of-text
            out['clip_text'] = {**bench(lambda: txt(ids), args.warmup, args.reps), 'batch': 32}
    blas = 'unknown'
    try:
        with open('/proc/self/maps', encoding='utf8') as maps:
            libs = maps.read()
        blas = 'OpenBLAS' if 'openblas' in libs else ('reference BLAS' if 'libblas.so' in libs else 'unknown')
    except OSError:
        pass
    print(json.dumps({'threads': torch.get_num_threads(), 'torch': torch.__version__, 'blas': blas, 'impl': impl, 'models': out}))


if __name__ == '__main__':
    main()
