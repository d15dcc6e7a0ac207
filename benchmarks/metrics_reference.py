"""Loop-and-argsort retrieval evaluation, the way the published RS retrieval code does it (AMFMN / GaLR / PIR
`i2t` / `t2i`: one numpy argsort of the full similarity row per query), as the baseline of metrics_rsicd.ts.

Usage: metrics_reference.py IMAGES.f32 TEXTS.f32 N_IMAGES N_TEXTS DIM REPS
Inputs are raw little-endian float32, row-major; captions 5 per image, consecutive. Prints one JSON line.
"""
import json
import sys
import time

import numpy as np


def i2t(sims):
    """sims [Ni, Nt]: per image, best 0-based rank among its 5 captions (published code, verbatim logic)."""
    npts = sims.shape[0]
    ranks = np.zeros(npts)
    for index in range(npts):
        inds = np.argsort(sims[index])[::-1]
        rank = 1e20
        for i in range(5 * index, 5 * index + 5):
            tmp = np.where(inds == i)[0][0]
            if tmp < rank:
                rank = tmp
        ranks[index] = rank
    return ranks


def t2i(sims):
    """sims [Ni, Nt]: per caption, 0-based rank of its image."""
    npts = sims.shape[0]
    ranks = np.zeros(5 * npts)
    sims = sims.T
    for index in range(npts):
        for i in range(5):
            inds = np.argsort(sims[5 * index + i])[::-1]
            ranks[5 * index + i] = np.where(inds == index)[0][0]
    return ranks


def recalls(ranks):
    # published: R@K = share with 0-based rank < K, in percent
    return {k: 100.0 * float(np.mean(ranks < k)) for k in (1, 5, 10)}


def median_ms(fn, reps):
    out, times = None, []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return out, times[len(times) // 2], times


def main():
    img_path, txt_path, ni, nt, dim, reps = sys.argv[1:7]
    ni, nt, dim, reps = int(ni), int(nt), int(dim), int(reps)
    images = np.fromfile(img_path, dtype="<f4").reshape(ni, dim)
    texts = np.fromfile(txt_path, dtype="<f4").reshape(nt, dim)

    def similarity():
        a = images / np.maximum(np.linalg.norm(images, axis=1, keepdims=True), 1e-12)
        b = texts / np.maximum(np.linalg.norm(texts, axis=1, keepdims=True), 1e-12)
        return a @ b.T  # [Ni, Nt] float32

    sims, sim_ms, _ = median_ms(similarity, reps)
    (r_i2t, r_t2i), loop_ms, loop_all = median_ms(lambda: (i2t(sims), t2i(sims)), reps)
    ri, rt = recalls(r_i2t), recalls(r_t2i)
    m_r = (sum(ri.values()) + sum(rt.values())) / 6
    print(json.dumps({
        "numpy": np.__version__,
        "similarityMs": sim_ms,
        "loopMs": loop_ms,
        "loopRunsMs": loop_all,
        "totalMs": sim_ms + loop_ms,
        "i2t": ri,
        "t2i": rt,
        "mR": m_r,
        "i2tRanks1": (r_i2t + 1).astype(int).tolist(),
        "t2iRanks1": (r_t2i + 1).astype(int).tolist(),
    }))


if __name__ == "__main__":
    main()
