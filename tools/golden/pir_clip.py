"""Golden fixture for @pir/models' PirClip: the PIR-CLIP composition around the CLIP towers (PIR_SPEC §1, §2, §4),
built in PyTorch independently of the TypeScript code.

The ViT is encoders_models.py's OpenAI-layout `VisionTransformer` and the soft belief is belief_pae.py's
`soft_belief` (the modules that already back the @pir/encoders and @pir/belief golden tests, imported, not
re-defined); this script adds only what PIR-CLIP puts around them:

  x = ln_pre([class ; patches] + positional_embedding)              [B, 1+N, W]   (the ViT's stem, as in forward)
  y = instruction_proj(instruction)                                  [B, W]
  x' = soft belief of all 1+N tokens with u = y ('paper' / 'released': rank weights, per-channel L2 across tokens)
  h = transformer([y ; x'])                                          [B, 2+N, W]   (y: no positional embedding)
  v = L2norm(ln_post(h[:, 0]) @ proj)                                (token 0 = the instruction slot)
  t = L2norm(text global)
  loss = CLIP loss(v, t; exp(logit_scale)) + lambda * affiliation(v, t, labels; same scale), ½(CE(A) + CE(Bm))

Tiny sizes, fixed seed, eval mode; every weight random (LayerNorm gains and all biases too). The second
caption of an image comes with a mirrored view of it and a slightly different instruction vector (augmentation). The loss is computed in float64 on the float32
embeddings, row by row (F.cross_entropy, Python loops over class members). The script asserts that the belief
logits of every row are >= 1e-3 from a tie, so float32 rounding cannot reorder the ranks.

Writes packages/models/test/fixtures/pir-clip-golden.json: `config`; `vitStateDict` (OpenAI CLIP names) and
`stateDict` (`instruction_proj.weight` [W, Di], `instruction_proj.bias` [W], `logit_scale` []) as
{name: {shape (PyTorch layout), f32 (float32 little-endian bytes, base64)}}; `inputs` (images NHWC as f32
base64, instruction, text globals, imageIds, labels); `outputs.paper` / `outputs.released` {v, t, scores,
weights (the rank weights w), loss, contrastive, affiliation, notContrastiveMultiPositive (PIR-ITR's
multi-positive InfoNCE at the same scale: what the contrastive part must NOT be)}.
Run from the repository root: /usr/bin/python3 tools/golden/pir_clip.py
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
from belief_pae import soft_belief  # noqa: E402
from encoders_models import VisionTransformer  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = "packages/models/test/fixtures/pir-clip-golden.json"

SEED = 20240812
# CLIP_VIT_TEST with 16-px images and 4-px patches (same 16 patches, a quarter of the pixels: the fixture
# stays < 200 KB with the float32 weights stored exactly).
VIT = {"imageSize": 16, "patchSize": 4, "width": 32, "layers": 2, "heads": 4, "outputDim": 24,
       "mlpRatio": 4, "activation": "quick_gelu"}
CFG = {"b": 6, "di": 10, "lambda": 1.0, "logitScaleInit": 1 / 0.07, "maxScale": 100.0}
IMAGE_IDS = [0, 0, 1, 2, 3, 3]  # rows 0/1 and 4/5 are two captions of one image
LABELS = [0, 0, 1, 0, 2, 2]  # scene classes: {0, 1, 3}, {2}, {4, 5}
MIN_GAP = 1e-3


class PirClipOwn(nn.Module):
    """PIR-CLIP's own weights (beside the towers) under the names the TypeScript model exports."""

    def __init__(self, di, width, scale_init):
        super().__init__()
        self.instruction_proj = nn.Linear(di, width)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(scale_init)))


def image_head(vit, own, images, instruction, variant):
    """images NCHW [B, 3, S, S], instruction [B, Di] -> v [B, outputDim] (+ belief logits, scores, weights)."""
    x = vit.conv1(images)  # [B, W, g, g]
    x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)  # [B, N, W]
    cls = vit.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
    x = vit.ln_pre(torch.cat([cls, x], dim=1) + vit.positional_embedding)  # [B, 1+N, W]
    y = own.instruction_proj(instruction)  # [B, W]
    logits = torch.bmm(x, y.unsqueeze(-1)).squeeze(-1)  # [B, 1+N], what the belief softmax sees
    b, w, xs = soft_belief(x, y, variant)  # all 1+N tokens, the class token included
    h = torch.cat([y.unsqueeze(1), xs], dim=1)  # [B, 2+N, W]: the instruction token first, no positional
    h = vit.transformer(h.permute(1, 0, 2)).permute(1, 0, 2)
    v = vit.ln_post(h[:, 0, :]) @ vit.proj
    return F.normalize(v, dim=-1), logits, b, w


def randomize(vit, own, g):
    """LayerNorm gains around 1 and biases non-zero (the defaults are 1 / 0), attention and MLP biases random,
    the instruction projection random: so that every mapping is exercised."""
    with torch.no_grad():
        for mod in vit.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(1.0 + 0.2 * torch.randn(mod.weight.shape, generator=g))
                mod.bias.copy_(0.2 * torch.randn(mod.bias.shape, generator=g))
            elif isinstance(mod, nn.MultiheadAttention):
                mod.in_proj_bias.copy_(0.1 * torch.randn(mod.in_proj_bias.shape, generator=g))
                mod.out_proj.bias.copy_(0.1 * torch.randn(mod.out_proj.bias.shape, generator=g))
            elif isinstance(mod, nn.Linear) and mod.bias is not None:
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))
        p = own.instruction_proj
        p.weight.copy_(torch.randn(p.weight.shape, generator=g) / math.sqrt(p.in_features))
        p.bias.copy_(0.1 * torch.randn(p.bias.shape, generator=g))


def r(t):
    """float32 values as nested lists, 9 significant digits (round-trips float32 exactly)."""
    a = t.detach().cpu().numpy().astype(np.float32)
    return np.vectorize(lambda x: float(f"{x:.9g}"), otypes=[object])(a).tolist()


def b64(t):
    """float32 values, little-endian, base64."""
    return base64.b64encode(t.detach().cpu().contiguous().numpy().astype("<f4").tobytes()).decode("ascii")


def f32(t):
    return {"shape": list(t.shape), "f32": b64(t)}


# ---------------------------------------------------------------- PIR_SPEC §4, float64, row by row
def ce_rows(logits):
    """mean_i of -log softmax(logits[i])[i]."""
    n = logits.shape[0]
    return sum(F.cross_entropy(logits[i : i + 1], torch.tensor([i])) for i in range(n)) / n


def clip_loss(v, t, scale):
    S = scale * (v @ t.T)  # image x caption; duplicated images are negatives (standard CLIP loss)
    return 0.5 * (ce_rows(S) + ce_rows(S.T))


def affiliation_clip(v, t, labels, scale):
    def centres(x):  # per-sample class centre, sample included, not re-normalised
        return torch.stack([torch.stack([x[k] for k in range(len(labels)) if labels[k] == c]).mean(0)
                            for c in labels])

    A = scale * (v @ centres(t).T)
    Bm = scale * (t @ centres(v).T)
    return 0.5 * (ce_rows(A) + ce_rows(Bm))  # PIR-CLIP: CE(Bm), not CE(Bm^T)


def multi_positive(v, t, ids, scale):
    """PIR-ITR's multi-positive InfoNCE at the same scale: NOT PIR-CLIP's loss, stored only to show that the
    fixture tells the two apart."""
    S = scale * (v @ t.T)
    total = 0.0
    for i in range(v.shape[0]):
        pos = [j for j in range(v.shape[0]) if ids[j] == ids[i]]
        row, col = F.log_softmax(S[i], 0), F.log_softmax(S[:, i], 0)
        total = total - sum(row[j] for j in pos) / len(pos) - sum(col[j] for j in pos) / len(pos)
    return 0.5 * total / v.shape[0]


def loss_parts(v, t, log_scale, lam, max_scale):
    scale = min(math.exp(log_scale), max_scale)
    v64, t64 = v.double(), t.double()
    lc = clip_loss(v64, t64, scale)
    la = affiliation_clip(v64, t64, LABELS, scale)
    return {"loss": float(lc + lam * la), "contrastive": float(lc), "affiliation": float(la),
            "notContrastiveMultiPositive": float(multi_positive(v64, t64, IMAGE_IDS, scale))}


def main():
    c = CFG
    torch.manual_seed(0)  # the modules' default initialisers
    g = torch.Generator().manual_seed(SEED)
    vit = VisionTransformer(VIT["imageSize"], VIT["patchSize"], VIT["width"], VIT["layers"], VIT["heads"],
                            VIT["outputDim"])
    own = PirClipOwn(c["di"], VIT["width"], c["logitScaleInit"])
    randomize(vit, own, g)
    vit.eval()
    own.eval()

    B, S = c["b"], VIT["imageSize"]
    n_img = max(IMAGE_IDS) + 1
    # NHWC, normalised-image-like values. A second caption of an image comes with another augmented view of
    # it (mirrored), and the instruction encoder's output on that view differs a little: duplicated images
    # then give different v rows, so a multi-positive contrastive loss would differ from the CLIP loss.
    img = torch.randn(n_img, S, S, 3, generator=g)[IMAGE_IDS]
    instruction = (0.5 * torch.randn(n_img, c["di"], generator=g))[IMAGE_IDS]
    dup = [i for i in range(B) if IMAGE_IDS[i] in IMAGE_IDS[:i]]
    img[dup] = img[dup].flip(2)
    instruction[dup] += 0.1 * torch.randn(len(dup), c["di"], generator=g)
    text_global = torch.randn(B, VIT["outputDim"], generator=g)  # un-normalised, as a text tower returns
    images = img.permute(0, 3, 1, 2).contiguous()  # NCHW for PyTorch

    log_scale = float(own.logit_scale.detach())  # the float32 value as stored
    outputs = {}
    with torch.no_grad():
        t = F.normalize(text_global, dim=-1)
        for variant in ("paper", "released"):
            v, logits, b, w = image_head(vit, own, images, instruction, variant)
            srt = logits.sort(1, descending=True).values
            gap = float((srt[:, :-1] - srt[:, 1:]).min())
            assert gap >= MIN_GAP, f"belief logits too close to a tie ({gap})"
            assert float(b.min()) > 1e-30, "belief scores must stay far from float32 underflow"
            outputs[variant] = {"v": r(v), "t": r(t), "scores": r(b), "weights": r(w),
                                **loss_parts(v, t, log_scale, c["lambda"], c["maxScale"])}
    print(f"min belief-logit gap {gap:.4g}; logits range [{float(logits.min()):.2f}, {float(logits.max()):.2f}]")
    print("rank of the class token per row:",
          (1 + (logits > logits[:, :1]).sum(1)).tolist())
    dv = np.abs(np.array(outputs["paper"]["v"]) - np.array(outputs["released"]["v"]))
    print(f"|v_paper - v_released| max per row: {dv.max(1).round(4).tolist()}")

    fixture = {
        "config": {**c, "vit": VIT, "logScale": log_scale},
        "vitStateDict": {k: f32(p) for k, p in vit.state_dict().items()},
        "stateDict": {k: f32(p) for k, p in own.state_dict().items()},
        "inputs": {
            "images": f32(img),
            "instruction": r(instruction),
            "textGlobal": r(text_global),
            "imageIds": IMAGE_IDS,
            "labels": LABELS,
        },
        "outputs": outputs,
    }
    full = os.path.join(ROOT, OUT)
    with open(full, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(full) / 1024:.0f} KB)")
    for variant, o in outputs.items():
        print(variant, {k: round(o[k], 6) for k in ("loss", "contrastive", "affiliation", "notContrastiveMultiPositive")})


if __name__ == "__main__":
    main()
