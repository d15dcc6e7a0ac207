"""PyTorch CPU baseline for benchmarks/pir_training.ts: one PIR-ITR training step (Swin + BERT + frozen ResNet,
projections, hard belief, Spatial-/Temporal-PAE, heads, multi-positive InfoNCE + affiliation, AdamW) at the same
sizes as @pir/models' configuration, built from the reference modules of tools/golden (written with PyTorch's
own nn.Linear / nn.LayerNorm / nn.Conv2d / nn.MultiheadAttention-free attention as the released code; timm and
Hugging Face are not installable here).

Usage: python3 pir_training_torch.py --config <resolved-config.json> --batch B --threads N [--warmup W] [--reps R]
Prints one JSON line: {"threads", "batch", "medianMs", "minMs", "maxMs", "reps", "samplesPerSecond",
"peakRssMiB", "trainableParams", "torch"}.
"""

import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "golden"))
from encoders_models import BasicBlock, BertModel, Bottleneck, ResNet  # noqa: E402
from encoders_more import SwinTransformer  # noqa: E402
from pir_itr import PirItrRef  # noqa: E402


def infonce(v, t, ids, tau):
    """Multi-positive symmetric InfoNCE (PIR_SPEC §4), vectorised."""
    pos = (ids[:, None] == ids[None, :]).float()
    p = pos / pos.sum(1, keepdim=True)
    s = v @ t.T / tau
    return 0.5 * (-(p * F.log_softmax(s, 1)).sum(1).mean() - (p * F.log_softmax(s.T, 1)).sum(1).mean())


def affiliation(v, t, labels, tau):
    """½ (CE(V T̃ᵀ/τ) + CE((T Ĩᵀ/τ)ᵀ)) with per-sample class centres (the released PIR-ITR direction)."""
    same = (labels[:, None] == labels[None, :]).float()
    w = same / same.sum(1, keepdim=True)
    tc, vc = w @ t, w @ v
    target = torch.arange(v.shape[0])
    return 0.5 * (F.cross_entropy(v @ tc.T / tau, target) + F.cross_entropy((t @ vc.T / tau).T, target))


def build(cfg):
    enc = cfg["encoders"]
    sw = enc["vision"]["config"]
    swin = SwinTransformer(img=sw["imageSize"], patch=sw["patchSize"], num_classes=0, embed=sw["embedDim"],
                           depths=tuple(sw["depths"]), heads=tuple(sw["numHeads"]), ws=sw["windowSize"],
                           mlp_ratio=sw["mlpRatio"])
    bc = enc["text"]["config"]
    bert = BertModel(bc["vocabSize"], bc["hiddenSize"], bc["numLayers"], bc["numHeads"], bc["intermediateSize"],
                     bc["maxPositions"], bc.get("typeVocabSize", 2), bc.get("layerNormEps", 1e-12))
    rc = enc["instruction"]["config"]
    block = Bottleneck if rc["block"] == "bottleneck" else BasicBlock
    resnet = ResNet(block, rc["layers"], rc["width"], num_classes=0).eval()
    for p in resnet.parameters():
        p.requires_grad_(False)
    m = cfg["config"]
    dv = swin.num_features
    di = rc["width"] * 8 * block.expansion
    head = PirItrRef({"dv": dv, "dt": bc["hiddenSize"], "di": di, "dim": m["dim"], "heads": m["heads"], "k": m["k"],
                      "spatialLayers": m["spatialLayers"], "temporalLayers": m["temporalLayers"],
                      "tau1": 0.07, "tau2": 0.07})
    return swin, bert, resnet, head


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--length", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = json.load(open(a.config))
    swin, bert, resnet, head = build(cfg)
    if not cfg["encoders"]["text"]["config"].get("pooler", True):
        for p in bert.pooler.parameters():  # built by the reference module, unused without a pooler
            p.requires_grad_(False)
    trainable = [p for m in (swin, bert, head) for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-4, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.01)
    s = cfg["encoders"]["vision"]["config"]["imageSize"]
    B, L = a.batch, min(a.length, cfg["encoders"]["text"]["config"]["maxPositions"])
    images = torch.rand(B, 3, s, s) * 2 - 1
    ids = torch.randint(1, 1000, (B, L))
    mask = torch.ones(B, L)
    mask[:, int(0.6 * L):] = 0
    image_ids = torch.arange(B) // 2
    labels = (torch.arange(B) // 2) % 5
    swin.train(), bert.train(), head.train()

    def step():
        opt.zero_grad(set_to_none=True)
        g, local, _ = swin(images)
        with torch.no_grad():
            instruction, _, _ = resnet(images)
        tokens, _ = bert(ids, mask)
        _, _, _, v, t = head.embed(g, local, instruction, tokens, mask)
        loss = infonce(v, t, image_ids, head.temp) + affiliation(v, t, labels, head.temp_center)
        loss.backward()
        opt.step()
        with torch.no_grad():
            head.temp.clamp_(0.001, 0.5)
            head.temp_center.clamp_(0.001, 0.5)
        return float(loss)

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    med = times[len(times) // 2]
    print(json.dumps({
        "threads": a.threads, "batch": B, "medianMs": med, "minMs": times[0], "maxMs": times[-1], "reps": a.reps,
        "samplesPerSecond": 1000 * B / med,
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "trainableParams": sum(p.numel() for p in trainable), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
