"""Fixtures for loading the authors' PIR checkpoints, and crafted torch files for the readers' memory bounds.

1. Crafted files (`@pir/encoders` weights): genuine `torch.save` output whose pickle views a one-element
   storage with stride 0 as a huge tensor — the reader must refuse them before allocating:
     expand_100k.pth  {'w': zeros(1).expand(100000, 100000)}   (10^10 elements: a bare RangeError before)
     expand_12k.pth   {'w': zeros(1).expand(12000, 12000)}     (576 MB of float32 before)
   -> packages/encoders/test/fixtures/weights/crafted.json (base64 of each file, its size)

2. (see below) small PIR-ITR and PIR-CLIP models under the released code's exact state-dict names.

Run with Debian's PyTorch 1.13: /usr/bin/python3 tools/golden/released_checkpoints.py
"""

import base64
import json
import os
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENCODERS_OUT = os.path.join(ROOT, "packages/encoders/test/fixtures/weights/crafted.json")


def saved_bytes(obj, name):
    """torch.save to a file called `name` (its stem becomes the archive prefix, as for any saved file)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, name)
        torch.save(obj, path)
        with open(path, "rb") as f:
            return f.read()


def crafted():
    files = {}
    for name, n in [("expand_100k.pth", 100_000), ("expand_12k.pth", 12_000)]:
        data = saved_bytes({"w": torch.zeros(1).expand(n, n)}, name)
        files[name] = {"size": len(data), "elements": n * n, "base64": base64.b64encode(data).decode()}
    out = {"torch": torch.__version__, "files": files}
    with open(ENCODERS_OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {ENCODERS_OUT}: " + ", ".join(f"{k} {v['size']} B" for k, v in files.items()))


if __name__ == "__main__":
    crafted()
    if "--crafted-only" not in sys.argv:
        pass
