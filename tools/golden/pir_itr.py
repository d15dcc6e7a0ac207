"""Golden fixture for @pir/models' PirItr: the whole PIR-ITR composition after the encoders (PIR_SPEC §1-§4),
built in PyTorch independently of the TypeScript code.

The PAE blocks, the hard belief strategy and the head/fusion are imported from belief_pae.py (the modules that
already back the @pir/belief and @pir/pae golden tests); this script adds only what PIR-ITR puts around them:

  vision tokens = [global ; local] [B, 1+N, Dv] -> vision_proj (per token) -> V [B, 1+N, D]
  u = instruction_proj(instruction) [B, D]
  kept = top-k of softmax_N(V u^T), decreasing belief (the pooled token competes like any other)
  v = L2norm(V[:, 0] + head_img(Spatial-PAE(kept, u)[:, 0]))
  T = text_proj(text tokens) [B, L, Dt -> D]
  t = L2norm(T[:, 0] + head_txt(Temporal-PAE(T, mask)[:, 0]))     'paper': key mask; 'released': no mask
  loss = multi-positive InfoNCE(v, t; temp) + lambda * affiliation(v, t, labels; temp_center), itr direction

Tiny sizes, fixed seed, eval mode (no dropout). The loss is computed in float64 on the float32 embeddings with
a per-row formulation (Python loops over positives and class members, F.cross_entropy).

Writes packages/models/test/fixtures/pir-itr-golden.json: `config`; `stateDict` {name: {shape (PyTorch layout),
f32 (float32 little-endian bytes, base64)}} with the released names; `inputs` (encoder outputs, instruction
vector, mask, imageIds, labels); `outputs.paper` / `outputs.released` {v, t, indices (kept tokens, 0 = pooled),
loss, contrastive, affiliation}.
Run from the repository root: /usr/bin/python3 tools/golden/pir_itr.py
"""
import base64
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from belief_pae import PIRHead, hard_belief  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = "packages/models/test/fixtures/pir-itr-golden.json"

SEED = 20240811
CFG = {
    "b": 6, "dv": 12, "n": 9, "di": 10, "dt": 14, "l": 7,
    "dim": 16, "heads": 4, "k": 6, "spatialLayers": 2, "temporalLayers": 3,
    "tau1": 0.07, "tau2": 0.05, "lambda": 1.0,
}
IMAGE_IDS = [0, 0, 1, 2, 2, 3]  # rows 0/1 and 3/4 are captions of the same image
LABELS = [0, 0, 1, 0, 0, 1]  # scene classes: {0, 1, 3, 4} and {2, 5}
LENGTHS = [7, 3, 5, 7, 2, 6]  # caption lengths (L = 7: two full-length, a 2-token caption)


class PirItrRef(PIRHead):
    """PIRHead (img_sa, img_ca, mapping_img, txt_sa, txt_ca, mapping_txt, head_img, head_txt) plus the three
    projections and the two temperatures of PIR-ITR, under the released checkpoint's names."""

    def __init__(self, c):
        super().__init__(c["dim"], c["heads"], c["spatialLayers"], c["temporalLayers"])
        self.vision_proj = nn.Linear(c["dv"], c["dim"])
        self.text_proj = nn.Linear(c["dt"], c["dim"])
        self.instruction_proj = nn.Linear(c["di"], c["dim"])
        self.temp = nn.Parameter(torch.tensor(c["tau1"]))
        self.temp_center = nn.Parameter(torch.tensor(c["tau2"]))
        self.k = c["k"]

    def embed(self, g, local, instruction, txt, txt_mask):
        V = self.vision_proj(torch.cat([g.unsqueeze(1), local], 1))  # [B, 1+N, D]
        u = self.instruction_proj(instruction)  # [B, D]
        T = self.text_proj(txt)  # [B, L, D]
        _, idx, _ = hard_belief(V, u, self.k)
        _, _, _, v, t = PIRHead.forward(self, V, u, V[:, 0], T, txt_mask, T[:, 0], self.k)
        return V, u, idx, v, t


def r(t):
    """float32 values as nested lists, 9 significant digits (round-trips float32 exactly)."""
    a = t.detach().cpu().numpy().astype(np.float32)
    return np.vectorize(lambda x: float(f"{x:.9g}"), otypes=[object])(a).tolist()


def b64(t):
    """float32 values, little-endian, base64 (exact and compact: the state dict is ~25k numbers)."""
    return base64.b64encode(t.detach().cpu().numpy().astype("<f4").tobytes()).decode("ascii")


def init_weights(model, g):
    """Random weights everywhere (LayerNorm gains around 1, biases non-zero) so every mapping is exercised."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(1.0 + 0.2 * torch.randn(mod.weight.shape, generator=g))
                mod.bias.copy_(0.2 * torch.randn(mod.bias.shape, generator=g))
            elif isinstance(mod, nn.Linear):
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) / math.sqrt(mod.in_features))
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))


# ---------------------------------------------------------------- PIR_SPEC §4, float64, row by row
def info_nce(v, t, ids, tau):
    B = v.shape[0]
    S = v @ t.T / tau
    total = 0.0
    for i in range(B):
        pos = [j for j in range(B) if ids[j] == ids[i]]
        row = F.log_softmax(S[i], 0)  # image i over captions
        col = F.log_softmax(S[:, i], 0)  # caption i over images
        total = total - sum(row[j] for j in pos) / len(pos) - sum(col[j] for j in pos) / len(pos)
    return 0.5 * total / B


def affiliation_itr(v, t, labels, tau):
    def centres(x):
        return torch.stack([torch.stack([x[k] for k in range(len(labels)) if labels[k] == c]).mean(0)
                            for c in labels])

    A = v @ centres(t).T / tau
    Bm = t @ centres(v).T / tau
    target = torch.arange(v.shape[0])
    return 0.5 * (F.cross_entropy(A, target) + F.cross_entropy(Bm.T, target))


def loss_parts(v, t, tau1, tau2, lam):
    v64, t64 = v.double(), t.double()
    lc = info_nce(v64, t64, IMAGE_IDS, tau1)
    la = affiliation_itr(v64, t64, LABELS, tau2)
    return {"loss": float(lc + lam * la), "contrastive": float(lc), "affiliation": float(la)}


def main():
    c = CFG
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(SEED)
    model = PirItrRef(c)
    init_weights(model, g)
    model.eval()
    B = c["b"]
    vis_global = torch.randn(B, c["dv"], generator=g)
    vis_local = torch.randn(B, c["n"], c["dv"], generator=g)
    instruction = 0.5 * torch.randn(B, c["di"], generator=g)
    txt = torch.randn(B, c["l"], c["dt"], generator=g)
    # PIR-ITR's g_t is the projected token 0 ([CLS]) of the text tokens, not the encoder's `global` output:
    # this `global` differs from txt[:, 0] so that using it instead would show.
    txt_global = torch.randn(B, c["dt"], generator=g)
    mask = torch.zeros(B, c["l"])
    for i, n in enumerate(LENGTHS):
        mask[i, :n] = 1

    tau1 = float(model.temp.detach())  # float32 values as stored
    tau2 = float(model.temp_center.detach())
    outputs = {}
    with torch.no_grad():
        for variant, m in (("paper", mask), ("released", None)):
            V, u, idx, v, t = model.embed(vis_global, vis_local, instruction, txt, m)
            # the top-k order must be far from ties, or float32 rounding could reorder it
            logits = torch.bmm(V, u.unsqueeze(-1)).squeeze(-1)
            srt = logits.sort(1, descending=True).values[:, : c["k"] + 1]
            gap = float((srt[:, :-1] - srt[:, 1:]).min())
            assert gap > 1e-3, f"belief logits too close to a tie ({gap})"
            outputs[variant] = {"v": r(v), "t": r(t), "indices": idx.tolist(), **loss_parts(v, t, tau1, tau2, c["lambda"])}
    assert outputs["paper"]["v"] == outputs["released"]["v"]
    dt = np.abs(np.array(outputs["paper"]["t"]) - np.array(outputs["released"]["t"]))
    print(f"min belief-logit gap ok; |t_paper - t_released| max per row: {dt.max(1).round(4).tolist()}")
    idx = outputs["paper"]["indices"]
    print("kept token indices (0 = pooled token):", idx)

    sd = {k: {"shape": list(p.shape), "f32": b64(p)} for k, p in model.state_dict().items()}
    fixture = {
        "config": c,
        "stateDict": sd,
        "inputs": {
            "visionGlobal": r(vis_global), "visionLocal": r(vis_local), "instruction": r(instruction),
            "textLocal": r(txt), "textGlobal": r(txt_global), "textMask": r(mask),
            "imageIds": IMAGE_IDS, "labels": LABELS,
        },
        "outputs": outputs,
    }
    full = os.path.join(ROOT, OUT)
    with open(full, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(full) / 1024:.0f} KB)")
    for variant, o in outputs.items():
        print(variant, {k: round(o[k], 6) for k in ("loss", "contrastive", "affiliation")})


if __name__ == "__main__":
    main()
