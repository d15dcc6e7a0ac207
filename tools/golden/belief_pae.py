"""Golden fixtures for @pir/belief and @pir/pae, from an independent PyTorch implementation of PIR_SPEC §2-§3
written in the released code's module layout (MCAN-style MHAtt with linear_v/k/q/merge, FFN as
nn.Sequential(Linear, LayerNorm, GELU, Linear), post-LN SA/CA blocks, img_sa/img_ca/mapping_img,
txt_sa/txt_ca/mapping_txt, head_img/head_txt).

Writes:
  packages/belief/test/fixtures/belief.json  scores, hard/soft belief (both variants), gradients
  packages/pae/test/fixtures/pae_tiny.json   D=16, 4 heads: full state dict, inputs, outputs, gradients
  packages/pae/test/fixtures/pae_real.json   D=512, 8 heads, K=40 of N=50, L=32, 2+3 layers: weights and
                                             inputs generated from seeds by a counter hash (same in TS),
                                             only the outputs stored

Run from the repository root: /usr/bin/python3 tools/golden/belief_pae.py
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_grad_enabled(True)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def r(t):
    """float32 values as a nested list (round-trip exact through JSON with 9 significant digits)."""
    a = t.detach().cpu().numpy().astype(np.float32)
    return json.loads(json.dumps(a.tolist()))


def flat(t):
    return [float(f"{v:.9g}") for v in t.detach().cpu().numpy().astype(np.float32).reshape(-1).tolist()]


# ---------------------------------------------------------------- counter hash (mirrored in TS tests)
M32 = np.uint64(0xFFFFFFFF)


def hash_uniform(seed, n):
    """u_i = splitmix32-finaliser(seed + (i+1)·0x9E3779B9 mod 2^32) / 2^32, i = 0..n-1 (float64)."""
    i = np.arange(1, n + 1, dtype=np.uint64)
    z = (np.uint64(seed & 0xFFFFFFFF) + i * np.uint64(0x9E3779B9)) & M32
    z = ((z ^ (z >> np.uint64(16))) * np.uint64(0x85EBCA6B)) & M32
    z = ((z ^ (z >> np.uint64(13))) * np.uint64(0xC2B2AE35)) & M32
    z = (z ^ (z >> np.uint64(16))) & M32
    return z.astype(np.float64) / 4294967296.0


def hash_tensor(seed, shape, center, scale):
    n = int(np.prod(shape))
    v = center + scale * (2.0 * hash_uniform(seed, n) - 1.0)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


# ---------------------------------------------------------------- belief (PIR_SPEC §2)
def belief_scores(V, u, mask=None):
    logits = torch.bmm(V, u.reshape(V.shape[0], -1, 1)).squeeze(-1)  # [B, N]
    if mask is not None:
        logits = logits.masked_fill(mask == 0, -1e9)
    return logits.softmax(-1)


def hard_belief(V, u, k, mask=None):
    b = belief_scores(V, u, mask)
    idx = torch.topk(b, k, dim=1).indices  # [B, K], sorted desc
    kept = torch.gather(V, 1, idx.unsqueeze(-1).expand(-1, -1, V.shape[2]))
    return b, idx, kept


def soft_belief(V, u, variant, mask=None):
    b = belief_scores(V, u, mask)
    bd = b.detach()
    if variant == "paper":
        rank = 1 + (bd.unsqueeze(1) > bd.unsqueeze(2)).float().sum(2)  # [B, N]: 1 + #{k: b_k > b_j}
        w = rank.rsqrt()
    else:
        order = torch.argsort(bd, dim=1, descending=True).float()
        w = 1.0 / torch.sqrt(order + 1)
    m = b + w
    if mask is not None:
        m = m * mask
    x = V * m.unsqueeze(-1)
    if variant == "released":
        x = F.normalize(x, dim=1)
    return b, w, x


def belief_fixture():
    g = torch.Generator().manual_seed(20240601)
    cases = []
    for (B, N, D, K, masked) in [(2, 7, 5, 4, False), (1, 6, 4, 6, False), (3, 8, 6, 5, True), (1, 5, 3, 1, True)]:
        V = torch.randn(B, N, D, generator=g)
        u = torch.randn(B, D, generator=g) * 0.7
        R = torch.randn(B, K, D, generator=g)  # cotangent for the hard-belief gradient
        S = torch.randn(B, N, D, generator=g)  # cotangent for the soft-belief gradient
        mask = None
        if masked:
            mask = torch.ones(B, N)
            mask[0, -2:] = 0
        case = {"B": B, "N": N, "D": D, "K": K, "V": r(V), "u": r(u), "R": r(R), "S": r(S)}
        if mask is not None:
            case["mask"] = r(mask)
        Vg, ug = V.clone().requires_grad_(), u.clone().requires_grad_()
        b, idx, kept = hard_belief(Vg, ug, K, mask)
        (kept * R).sum().backward()
        case["scores"] = r(b)
        case["hard"] = {"indices": idx.tolist(), "tokens": r(kept), "gradV": r(Vg.grad)}
        for variant in ("paper", "released"):
            Vg, ug = V.clone().requires_grad_(), u.clone().requires_grad_()
            b, w, x = soft_belief(Vg, ug, variant, mask)
            (x * S).sum().backward()
            case[variant] = {"weights": r(w), "tokens": r(x), "gradV": r(Vg.grad), "gradU": r(ug.grad)}
        cases.append(case)
    return {"cases": cases}


# ---------------------------------------------------------------- PAE (PIR_SPEC §3), released layout
class MHAtt(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.linear_v = nn.Linear(d, d)
        self.linear_k = nn.Linear(d, d)
        self.linear_q = nn.Linear(d, d)
        self.linear_merge = nn.Linear(d, d)
        self.dropout = nn.Dropout(p)

    def forward(self, v, k, q, mask):  # mask: [B, Tk] 1 = keep, or None
        B = q.size(0)
        v = self.linear_v(v).view(B, -1, self.h, self.dh).transpose(1, 2)
        k = self.linear_k(k).view(B, -1, self.h, self.dh).transpose(1, 2)
        q = self.linear_q(q).view(B, -1, self.h, self.dh).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.dh)
        if mask is not None:
            scores = scores.masked_fill(mask[:, None, None, :] == 0, -1e9)
        att = self.dropout(F.softmax(scores, dim=-1))
        out = torch.matmul(att, v).transpose(1, 2).contiguous().view(B, -1, self.h * self.dh)
        return self.linear_merge(out)


def FFN(d):
    return nn.Sequential(nn.Linear(d, 2 * d), nn.LayerNorm(2 * d), nn.GELU(), nn.Linear(2 * d, d))


class SA(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.mhatt = MHAtt(d, heads, p)
        self.ffn = FFN(d)
        self.dropout1, self.norm1 = nn.Dropout(p), nn.LayerNorm(d)
        self.dropout2, self.norm2 = nn.Dropout(p), nn.LayerNorm(d)

    def forward(self, x, mask):
        x = self.norm1(x + self.dropout1(self.mhatt(x, x, x, mask)))
        return self.norm2(x + self.dropout2(self.ffn(x)))


class CA(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.mhatt_cross = MHAtt(d, heads, p)
        self.ffn = FFN(d)
        self.dropout1, self.norm1 = nn.Dropout(p), nn.LayerNorm(d)
        self.dropout2, self.norm2 = nn.Dropout(p), nn.LayerNorm(d)

    def forward(self, x, y, y_mask):
        y = self.norm1(y + self.dropout1(self.mhatt_cross(y, y, x, y_mask)))
        return self.norm2(y + self.dropout2(self.ffn(y)))


class PIRHead(nn.Module):
    """The PAE part of PIR-ITR: Spatial-PAE, Temporal-PAE, heads and fusion."""

    def __init__(self, d, heads, n_img, n_txt, p=0.2):
        super().__init__()
        self.img_sa = nn.ModuleList([SA(d, heads, p) for _ in range(n_img)])
        self.img_ca = nn.ModuleList([CA(d, heads, p) for _ in range(n_img)])
        self.mapping_img = nn.ModuleList([nn.Linear(d, d) for _ in range(n_img)])
        self.txt_sa = nn.ModuleList([SA(d, heads, p) for _ in range(n_txt)])
        self.txt_ca = nn.ModuleList([CA(d, heads, p) for _ in range(n_txt)])
        self.mapping_txt = nn.ModuleList([nn.Linear(d, d) for _ in range(n_txt)])
        self.head_img = nn.Linear(d, d)
        self.head_txt = nn.Linear(d, d)

    def spatial(self, h, u, mask):
        K = h.shape[1]
        for sa, ca, m in zip(self.img_sa, self.img_ca, self.mapping_img):
            s = sa(h, mask)
            q = m(u).unsqueeze(1).expand(-1, K, -1)
            h = ca(q, s, mask)
        return h

    def temporal(self, h, mask):
        for sa, ca, m in zip(self.txt_sa, self.txt_ca, self.mapping_txt):
            s = sa(h, mask)
            h = ca(m(h), s, mask)
        return h

    def forward(self, img_tokens, u, g_v, txt_tokens, txt_mask, g_t, k):
        _, _, kept = hard_belief(img_tokens, u, k)
        hv = self.spatial(kept, u, None)
        ht = self.temporal(txt_tokens, txt_mask)
        v = F.normalize(g_v + self.head_img(hv[:, 0]), dim=-1)
        t = F.normalize(g_t + self.head_txt(ht[:, 0]), dim=-1)
        return kept, hv, ht, v, t


def randomize(model, g):
    """Random weights, including LayerNorm gains/biases, so that every mapping is exercised."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith(".1.weight") or name.endswith(".1.bias"):
                base = 1.0 if name.endswith("weight") else 0.0
                p.copy_(base + 0.2 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p.shape[-1] if p.dim() == 2 else p.shape[0]
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))


def tiny_fixture():
    g = torch.Generator().manual_seed(20240602)
    D, H, N, K, L, B = 16, 4, 6, 4, 5, 2
    model = PIRHead(D, H, 2, 3)
    randomize(model, g)
    model.eval()
    img = torch.randn(B, N, D, generator=g)
    u = torch.randn(B, D, generator=g) * 0.3
    g_v = torch.randn(B, D, generator=g)
    txt = torch.randn(B, L, D, generator=g)
    g_t = torch.randn(B, D, generator=g)
    txt_mask = torch.ones(B, L)
    txt_mask[1, 3:] = 0  # caption 1 has 3 tokens, padded to 5
    Rv = torch.randn(B, D, generator=g)
    Rt = torch.randn(B, D, generator=g)
    kept, hv, ht, v, t = model(img, u, g_v, txt, txt_mask, g_t, K)
    loss = (v * Rv).sum() + (t * Rt).sum()
    model.zero_grad()
    loss.backward()
    grads = {n: flat(p.grad) for n, p in model.named_parameters()}
    with torch.no_grad():
        ht_nomask = model.temporal(txt, None)
        # single blocks of layer 0 for unit tests
        sa0 = model.img_sa[0](kept, None)
        ca0 = model.img_ca[0](model.mapping_img[0](u).unsqueeze(1).expand(-1, K, -1), sa0, None)
        mha_masked = model.txt_sa[0].mhatt(txt, txt, txt, txt_mask)
        ffn0 = model.txt_sa[0].ffn(txt)
    sd = {k: {"shape": list(p.shape), "data": flat(p)} for k, p in model.state_dict().items()}
    return {
        "config": {"dim": D, "heads": H, "n": N, "k": K, "l": L, "b": B, "spatialLayers": 2, "temporalLayers": 3},
        "stateDict": sd,
        "inputs": {"img": r(img), "u": r(u), "gV": r(g_v), "txt": r(txt), "txtMask": r(txt_mask), "gT": r(g_t),
                   "Rv": r(Rv), "Rt": r(Rt)},
        "outputs": {"kept": r(kept), "hv": r(hv), "ht": r(ht), "htNoMask": r(ht_nomask), "v": r(v), "t": r(t),
                    "loss": float(loss), "sa0": r(sa0), "ca0": r(ca0), "mhaMasked": r(mha_masked), "ffn0": r(ffn0)},
        "grads": grads,
    }


def real_fixture():
    D, H, N, K, L, B = 512, 8, 50, 40, 32, 2
    model = PIRHead(D, H, 2, 3)
    specs = []
    with torch.no_grad():
        for i, (name, p) in enumerate(model.named_parameters()):
            shape = list(p.shape)
            if "norm" in name or (".ffn.1." in name):
                center, scale = (1.0, 0.1) if name.endswith("weight") else (0.0, 0.1)
            else:
                fan_in = shape[-1] if len(shape) == 2 else D
                center, scale = 0.0, 1.0 / math.sqrt(fan_in)
            seed = 1000 + i
            p.copy_(hash_tensor(seed, shape, center, scale))
            specs.append({"name": name, "shape": shape, "seed": seed, "center": center, "scale": scale})
    model.eval()
    inputs = {
        "img": {"seed": 1, "shape": [B, N, D], "center": 0.0, "scale": 1.0},
        "u": {"seed": 2, "shape": [B, D], "center": 0.0, "scale": 0.1},
        "gV": {"seed": 3, "shape": [B, D], "center": 0.0, "scale": 1.0},
        "txt": {"seed": 4, "shape": [B, L, D], "center": 0.0, "scale": 1.0},
        "gT": {"seed": 5, "shape": [B, D], "center": 0.0, "scale": 1.0},
    }
    x = {k: hash_tensor(s["seed"], s["shape"], s["center"], s["scale"]) for k, s in inputs.items()}
    txt_mask = torch.ones(B, L)
    txt_mask[1, 20:] = 0
    with torch.no_grad():
        kept, hv, ht, v, t = model(x["img"], x["u"], x["gV"], x["txt"], txt_mask, x["gT"], K)
        idx = hard_belief(x["img"], x["u"], K)[1]
    return {
        "config": {"dim": D, "heads": H, "n": N, "k": K, "l": L, "b": B, "spatialLayers": 2, "temporalLayers": 3},
        "hash": "u_i = splitmix32 finaliser of (seed + (i+1)*0x9E3779B9 mod 2^32) / 2^32; x = center + scale*(2u-1)",
        "params": specs,
        "inputs": inputs,
        "txtMask": r(txt_mask),
        "outputs": {"indices": idx.tolist(), "hv0": r(hv[:, 0]), "ht0": r(ht[:, 0]), "v": r(v), "t": r(t)},
    }


def write(path, obj):
    full = os.path.join(ROOT, path)
    with open(full, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(full) / 1024:.0f} KB)")


if __name__ == "__main__":
    torch.manual_seed(0)
    write("packages/belief/test/fixtures/belief.json", belief_fixture())
    write("packages/pae/test/fixtures/pae_tiny.json", tiny_fixture())
    write("packages/pae/test/fixtures/pae_real.json", real_fixture())
