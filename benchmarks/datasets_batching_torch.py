"""PyTorch/Python side of benchmarks/datasets_batching.ts: the same work with the standard tools.

Prints one JSON line: median milliseconds of
* sampler: one epoch of index batches from torch's BatchSampler(RandomSampler) (17,175 samples, batch 256);
* load: json.load of rsitmd_train.json plus grouping entries per image (when the file is given).
Usage: /usr/bin/python3 datasets_batching_torch.py N_CAPTIONS BATCH [ANNOTATION_FILE]
"""
import json
import statistics
import sys
import time

import torch
from torch.utils.data import BatchSampler, RandomSampler


def med(fn, reps=7, warmup=2):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1000)
    return statistics.median(t)


def main():
    n, batch = int(sys.argv[1]), int(sys.argv[2])
    g = torch.Generator()
    g.manual_seed(0)
    sampler = BatchSampler(RandomSampler(range(n), generator=g), batch, drop_last=False)
    out = {'sampler_ms': med(lambda: list(sampler)), 'batches': len(list(sampler)), 'torch': torch.__version__}
    if len(sys.argv) > 3:
        path = sys.argv[3]

        def load():
            with open(path, encoding='utf-8') as f:
                entries = json.load(f)
            images = {}
            for e in entries:
                images.setdefault(e['image'], []).append(e['caption'])
            return images

        out['load_ms'] = med(load, reps=5)
        out['load_images'] = len(load())
    print(json.dumps(out))


if __name__ == '__main__':
    main()
