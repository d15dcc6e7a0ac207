"""Golden fixture for @pir/models' VseModel (the VSE baseline, PIR_SPEC §7) and PirItr's ablation switches,
built in PyTorch independently of the TypeScript code.

VSE baseline (the released code's `is_baseline` path), after the encoders:

  v = normalize(vision_proj(vision global))          the pooled token 0 of PIR-ITR's vision sequence
  t = normalize(text_proj(text tokens[:, 0]))        [CLS]; the encoder's `global` output and the mask unused
  losses: multi-positive InfoNCE (temp), VSE++ triplet (margin 0.2; hardest negative or sum over negatives;
          rows of the same image are not negatives), each + lambda * affiliation (temp_center, 'itr' direction)

PIR-ITR ablations (PIR_SPEC §3; the PAE, belief and head modules of belief_pae.py), on one full state dict:

  noBelief        h0 = V (all 1 + N projected tokens, in order) -> Spatial-PAE -> head_img(h[:, 0])
  noSpatialPae    h = h0 = top-k by belief -> head_img(h0[:, 0])   (the top-belief token)
  both            v = normalize(V[:, 0] + head_img(V[:, 0]))
  noTemporalPae   t = normalize(T[:, 0] + head_txt(T[:, 0]))
  (and the published model, as tools/golden/pir_itr.py computes it, for reference)

Tiny sizes, fixed seed, eval mode (no dropout). Losses in float64 on the float32 embeddings, row by row
(Python loops over rows, positives and negatives).

Writes packages/models/test/fixtures/vse-golden.json: `vse` {config, stateDict, outputs {v, t, losses}},
`ablations` {config, stateDict, outputs {full, noBelief, noSpatialPae, noBeliefNoSpatialPae, noTemporalPae:
{v, t}}, losses on the full model's v, t}, `inputs` (encoder outputs shared by both).
Run from the repository root: /usr/bin/python3 tools/golden/vse_baseline.py
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
OUT = "packages/models/test/fixtures/vse-golden.json"

SEED = 20250517
SIZES = {"b": 6, "dv": 12, "n": 9, "di": 10, "dt": 14, "l": 7}
VSE = {"dim": 16, "tau1": 0.07, "tau2": 0.05, "margin": 0.2}
ITR = {"dim": 16, "heads": 4, "k": 6, "spatialLayers": 2, "temporalLayers": 3, "tau1": 0.07, "tau2": 0.05}
IMAGE_IDS = [0, 0, 1, 2, 2, 3]  # rows 0/1 and 3/4 are captions of the same image
LABELS = [0, 0, 1, 0, 0, 1]  # scene classes
LENGTHS = [7, 3, 5, 7, 2, 6]


class VseRef(nn.Module):
    """The baseline's own parameters under the released names: two projections and two temperatures."""

    def __init__(self, s, c):
        super().__init__()
        self.vision_proj = nn.Linear(s["dv"], c["dim"])
        self.text_proj = nn.Linear(s["dt"], c["dim"])
        self.temp = nn.Parameter(torch.tensor(c["tau1"]))
        self.temp_center = nn.Parameter(torch.tensor(c["tau2"]))

    def embed(self, g, txt):
        v = F.normalize(self.vision_proj(g), dim=-1)
        t = F.normalize(self.text_proj(txt[:, 0]), dim=-1)
        return v, t


class PirItrAblations(PIRHead):
    """PIRHead plus PIR-ITR's projections, with each ablation's forward written out."""

    def __init__(self, s, c):
        super().__init__(c["dim"], c["heads"], c["spatialLayers"], c["temporalLayers"])
        self.vision_proj = nn.Linear(s["dv"], c["dim"])
        self.text_proj = nn.Linear(s["dt"], c["dim"])
        self.instruction_proj = nn.Linear(s["di"], c["dim"])
        self.temp = nn.Parameter(torch.tensor(c["tau1"]))
        self.temp_center = nn.Parameter(torch.tensor(c["tau2"]))
        self.k = c["k"]

    def embed(self, g, local, instruction, txt, txt_mask, no_belief=False, no_spatial=False, no_temporal=False):
        V = self.vision_proj(torch.cat([g.unsqueeze(1), local], 1))  # [B, 1+N, D]
        u = self.instruction_proj(instruction)
        T = self.text_proj(txt)
        h0 = V if no_belief else hard_belief(V, u, self.k)[2]
        hv = h0 if no_spatial else self.spatial(h0, u, None)
        v = F.normalize(V[:, 0] + self.head_img(hv[:, 0]), dim=-1)
        ht = T if no_temporal else self.temporal(T, txt_mask)
        t = F.normalize(T[:, 0] + self.head_txt(ht[:, 0]), dim=-1)
        return v, t


def r(t):
    """float32 values as nested lists, 9 significant digits (round-trips float32 exactly)."""
    a = t.detach().cpu().numpy().astype(np.float32)
    return np.vectorize(lambda x: float(f"{x:.9g}"), otypes=[object])(a).tolist()


def b64(t):
    return base64.b64encode(t.detach().cpu().numpy().astype("<f4").tobytes()).decode("ascii")


def init_weights(model, g):
    """Random weights everywhere (LayerNorm gains around 1, biases non-zero)."""
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
        row = F.log_softmax(S[i], 0)
        col = F.log_softmax(S[:, i], 0)
        total = total - sum(row[j] for j in pos) / len(pos) - sum(col[j] for j in pos) / len(pos)
    return float(0.5 * total / B)


def triplet(v, t, ids, margin, hardest):
    """VSE++ (Faghri et al.): for image i, negatives are captions j of other images, cost [m + s(i,j) - s(i,i)]+;
    for caption j, negatives are images i of other images, cost [m + s(i,j) - s(j,j)]+; summed over the batch,
    the hardest negative per anchor with max violation. Returns the loss and the smallest gap between the two
    largest costs of any anchor (hardest only: the argmax must not be a near tie)."""
    B = v.shape[0]
    S = v @ t.T
    total = 0.0
    gap = math.inf
    for a in range(B):
        caps = [float(max(0.0, margin + S[a, j] - S[a, a])) for j in range(B) if ids[j] != ids[a]]
        imgs = [float(max(0.0, margin + S[i, a] - S[a, a])) for i in range(B) if ids[i] != ids[a]]
        for costs in (caps, imgs):
            if hardest:
                srt = sorted(costs, reverse=True)
                total += srt[0]
                if srt[0] > 0 and len(srt) > 1:
                    gap = min(gap, srt[0] - srt[1])
            else:
                total += sum(costs)
    return total, gap


def affiliation_itr(v, t, labels, tau):
    def centres(x):
        return torch.stack([torch.stack([x[k] for k in range(len(labels)) if labels[k] == c]).mean(0)
                            for c in labels])

    A = v @ centres(t).T / tau
    Bm = t @ centres(v).T / tau
    target = torch.arange(v.shape[0])
    return float(0.5 * (F.cross_entropy(A, target) + F.cross_entropy(Bm.T, target)))


def losses(v, t, tau1, tau2, margin):
    v64, t64 = v.double(), t.double()
    hard, gap = triplet(v64, t64, IMAGE_IDS, margin, True)
    assert gap > 1e-3, f"hardest negatives too close to a tie ({gap})"
    out = {
        "contrastive": info_nce(v64, t64, IMAGE_IDS, tau1),
        "tripletHardest": hard,
        "tripletSum": triplet(v64, t64, IMAGE_IDS, margin, False)[0],
        "affiliation": affiliation_itr(v64, t64, LABELS, tau2),
    }
    # an unmasked VSE++ would count rows of the same image as negatives: the fixture must tell them apart
    unmasked = triplet(v64, t64, list(range(len(IMAGE_IDS))), margin, True)[0]
    assert abs(unmasked - hard) > 1e-2, "the same-image mask makes no difference on this batch"
    return out


def main():
    s = SIZES
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(SEED)
    B = s["b"]
    inputs = {
        "visionGlobal": torch.randn(B, s["dv"], generator=g),
        "visionLocal": torch.randn(B, s["n"], s["dv"], generator=g),
        "instruction": 0.5 * torch.randn(B, s["di"], generator=g),
        "textLocal": torch.randn(B, s["l"], s["dt"], generator=g),
        # the encoders' `global` text output differs from token 0, so using it instead would show
        "textGlobal": torch.randn(B, s["dt"], generator=g),
    }
    mask = torch.zeros(B, s["l"])
    for i, n in enumerate(LENGTHS):
        mask[i, :n] = 1
    inputs["textMask"] = mask

    vse = VseRef(s, VSE)
    init_weights(vse, g)
    vse.eval()
    itr = PirItrAblations(s, ITR)
    init_weights(itr, g)
    itr.eval()

    with torch.no_grad():
        v, t = vse.embed(inputs["visionGlobal"], inputs["textLocal"])
        vse_out = {"v": r(v), "t": r(t),
                   "losses": losses(v, t, float(vse.temp), float(vse.temp_center), VSE["margin"])}
        args = (inputs["visionGlobal"], inputs["visionLocal"], inputs["instruction"], inputs["textLocal"], mask)
        abl = {}
        for name, kw in (
            ("full", {}),
            ("noBelief", {"no_belief": True}),
            ("noSpatialPae", {"no_spatial": True}),
            ("noBeliefNoSpatialPae", {"no_belief": True, "no_spatial": True}),
            ("noTemporalPae", {"no_temporal": True}),
        ):
            va, ta = itr.embed(*args, **kw)
            abl[name] = {"v": r(va), "t": r(ta)}
            if name == "full":
                abl_losses = losses(va, ta, float(itr.temp), float(itr.temp_center), VSE["margin"])
        # belief logits far from ties (float32 rounding must not reorder the kept tokens)
        V = itr.vision_proj(torch.cat([inputs["visionGlobal"].unsqueeze(1), inputs["visionLocal"]], 1))
        u = itr.instruction_proj(inputs["instruction"])
        srt = torch.bmm(V, u.unsqueeze(-1)).squeeze(-1).sort(1, descending=True).values[:, : ITR["k"] + 1]
        assert float((srt[:, :-1] - srt[:, 1:]).min()) > 1e-3, "belief logits too close to a tie"
    for name in ("noBelief", "noSpatialPae", "noBeliefNoSpatialPae"):
        assert abl[name]["t"] == abl["full"]["t"] and abl[name]["v"] != abl["full"]["v"], name
    assert abl["noTemporalPae"]["v"] == abl["full"]["v"] and abl["noTemporalPae"]["t"] != abl["full"]["t"]

    sd = lambda m: {k: {"shape": list(p.shape), "f32": b64(p)} for k, p in m.state_dict().items()}  # noqa: E731
    fixture = {
        "sizes": s,
        "imageIds": IMAGE_IDS,
        "labels": LABELS,
        "inputs": {k: r(x) for k, x in inputs.items()},
        "vse": {"config": VSE, "stateDict": sd(vse), "outputs": vse_out},
        "ablations": {"config": ITR, "stateDict": sd(itr), "outputs": abl, "losses": abl_losses},
    }
    full = os.path.join(ROOT, OUT)
    with open(full, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(full) / 1024:.0f} KB)")
    print("vse losses", {k: round(x, 6) for k, x in vse_out["losses"].items()})
    print("PIR-ITR (full) losses", {k: round(x, 6) for k, x in abl_losses.items()})


if __name__ == "__main__":
    main()
