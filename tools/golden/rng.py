"""Independent reference for @pir/runtime's Rng (splitmix32 seeding + xoshiro128**), written from the papers.

Run: /usr/bin/python3 tools/golden/rng.py > packages/runtime/test/fixtures/rng.json
"""
import json

M = 0xFFFFFFFF


def splitmix32(seed):
    x = seed & M
    while True:
        x = (x + 0x9E3779B9) & M
        z = x
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M
        yield (z ^ (z >> 16)) & M


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M


def xoshiro128ss(seed, n):
    g = splitmix32(seed)
    s = [next(g) for _ in range(4)]
    out = []
    for _ in range(n):
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 9) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 11)
        out.append(result)
    return out


def fnv1a(s):
    h = 0x811C9DC5
    for ch in s.encode("utf-16-le")[::2]:  # ASCII test strings: one code unit per char
        h ^= ch
        h = (h * 0x01000193) & M
    return h


cases = [{"seed": seed, "uint32": xoshiro128ss(seed, 8)} for seed in (0, 1, 42, -7 & M, 123456789)]
cases.append({"seed": "pir", "uint32": xoshiro128ss(fnv1a("pir"), 8)})
print(json.dumps({"cases": cases}))
