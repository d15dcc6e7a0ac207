"""Brute-force nearest neighbours in PyTorch, the baseline of search_ann.ts.

Reads a gallery [n x d] and queries [q x d] (float32 files), answers each query alone (as a search server
does: one [1 x d] . [d x n] product and topk) with 1 and 2 threads, and all at once (batched, for the exact
top-k it writes as the ground truth). Prints one JSON line.

    python3 search_ann_torch.py data.f32 queries.f32 512 10 truth.json
"""

import json
import sys
import time

import numpy as np
import torch

data_file, query_file, d, k, truth_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
gallery = torch.from_numpy(np.fromfile(data_file, dtype=np.float32).reshape(-1, d))
queries = torch.from_numpy(np.fromfile(query_file, dtype=np.float32).reshape(-1, d))

runs = []
for threads in (1, 2):
    torch.set_num_threads(threads)
    lat = []
    with torch.inference_mode():
        for _ in range(2):
            torch.topk(queries[:1] @ gallery.T, k)
        for i in range(min(100, queries.shape[0])):
            t0 = time.perf_counter()
            torch.topk(queries[i : i + 1] @ gallery.T, k)
            lat.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        for s in range(0, queries.shape[0], 100):
            torch.topk(queries[s : s + 100] @ gallery.T, k)
        batched = (time.perf_counter() - t0) * 1000 / queries.shape[0]
    lat.sort()
    runs.append(
        {
            "threads": threads,
            "p50Ms": lat[len(lat) // 2],
            "p99Ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            "batchedMsPerQuery": batched,
        }
    )

with torch.inference_mode():
    truth = []
    for s in range(0, queries.shape[0], 100):
        truth.extend(torch.topk(queries[s : s + 100] @ gallery.T, k).indices.tolist())
with open(truth_file, "w") as f:
    json.dump(truth, f)
print(json.dumps({"runs": runs, "torch": torch.__version__, "truthFile": truth_file}))
