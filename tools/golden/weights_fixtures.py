"""Golden fixtures for @pir/encoders weight readers (torch.save zip files and safetensors).

Writes packages/encoders/test/fixtures/weights/weights_fixtures.json:
  files:    name -> base64 of the file bytes (real torch.save output / our safetensors writer)
  expected: name -> {tensor path -> {dtype, shape, values}} with exact values
            (float16/bfloat16 as raw 16-bit patterns, int64 as decimal strings)
  extra:    non-tensor fields of checkpoints (epoch, ...)
Run with Debian's PyTorch 1.13: /usr/bin/python3 tools/golden/weights_fixtures.py
"""

import base64
import collections
import io
import json
import os
import pickle
import struct
import sys
import tempfile
import zipfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages/encoders/test/fixtures/weights/weights_fixtures.json")

torch.manual_seed(0)

SAFE_DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}
STATE_DTYPES = {
    torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16", torch.float64: "float64",
    torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
    torch.bool: "bool",
}


def expected_tensor(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        values = t.view(torch.int16).to(torch.int32).bitwise_and(0xFFFF).flatten().tolist()
    elif t.dtype == torch.int64:
        values = [str(v) for v in t.flatten().tolist()]
    elif t.dtype == torch.bool:
        values = [int(v) for v in t.flatten().tolist()]
    else:
        values = t.flatten().tolist()  # float32 -> exact double
    return {"dtype": STATE_DTYPES[t.dtype], "shape": list(t.shape), "values": values}


def flatten(obj, prefix=""):
    out = {}
    if isinstance(obj, torch.Tensor):
        out[prefix] = expected_tensor(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out.update(flatten(v, f"{prefix}.{i}" if prefix else str(i)))
    return out


def torch_bytes(obj, stem=None):
    if stem is None:
        buf = io.BytesIO()
        torch.save(obj, buf)
        return buf.getvalue()
    with tempfile.TemporaryDirectory() as d:  # a path: the archive prefix becomes the file stem
        path = os.path.join(d, stem + ".pth")
        torch.save(obj, path)
        with open(path, "rb") as f:
            return f.read()


def write_safetensors(tensors, metadata=None):
    """Our own writer, following https://github.com/huggingface/safetensors#format."""
    header, chunks, pos = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.detach().contiguous()
        flat = t.reshape(-1)
        raw = flat.to(torch.uint8) if t.dtype == torch.bool else flat.view(torch.uint8)
        raw = raw.numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": SAFE_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [pos, pos + len(raw)]}
        chunks.append(raw)
        pos += len(raw)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def all_dtypes():
    base = torch.randn(3, 4)
    return collections.OrderedDict(
        f32=base,
        f16=(torch.randn(5) * 10).half(),
        bf16=torch.randn(2, 3).bfloat16(),
        f64=torch.randn(2, dtype=torch.float64),
        i64=torch.tensor([0, -1, 2**40, -(2**62)], dtype=torch.int64),
        i32=torch.tensor([7, -8, 2**31 - 1], dtype=torch.int32),
        i16=torch.tensor([-300, 300], dtype=torch.int16),
        i8=torch.tensor([-128, 127], dtype=torch.int8),
        u8=torch.tensor([0, 255], dtype=torch.uint8),
        b=torch.tensor([True, False, True]),
        scalar=torch.tensor(3.5),
        empty=torch.zeros(0, 3),
    )


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3)
        self.bn = torch.nn.BatchNorm2d(3)
        self.fc = torch.nn.Linear(4, 2)


def main():
    files, expected, extra = {}, {}, {}

    # 1. every dtype, OrderedDict state dict
    sd = all_dtypes()
    files["dtypes.pth"] = torch_bytes(sd)
    expected["dtypes.pth"] = flatten(sd)

    # 2. strided views: transpose, slice with storage offset, expand (stride 0), permute, shared storages
    a = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    h = torch.arange(10, dtype=torch.float16)
    strided = collections.OrderedDict(
        base=a,
        transposed=a[0].t(),  # non-contiguous [4, 3]
        row=a[1, 2],  # storage offset 20, shares a's storage
        cols=a[:, :, 1::2],  # stride 2 on the last axis
        expanded=torch.tensor([1.0, 2.0]).unsqueeze(0).expand(3, 2),  # stride 0
        permuted=a.permute(2, 0, 1),
        half_slice=h[3:7],  # float16 view with offset
        other_view=a.view(6, 4)[2:4],
    )
    files["strided.pth"] = torch_bytes(strided)
    expected["strided.pth"] = flatten(strided)

    # 3. nested checkpoint of a real module (BatchNorm num_batches_tracked is int64), saved to a path
    m = Tiny()
    with torch.no_grad():
        m.bn.running_mean.uniform_(-1, 1)
        m.bn.running_var.uniform_(0.5, 2)
        m.bn.num_batches_tracked.fill_(17)
    ckpt = {"model": m.state_dict(), "epoch": 3, "best": 0.625, "name": "tiny", "lrs": [0.1, 0.01],
            "np_best": np.float64(0.75), "flag": True, "none": None}
    files["checkpoint.pth"] = torch_bytes(ckpt, stem="tiny_ckpt")
    expected["checkpoint.pth"] = flatten(m.state_dict())
    extra["checkpoint.pth"] = {"epoch": 3, "best": 0.625, "name": "tiny", "lrs": [0.1, 0.01], "np_best": 0.75,
                               "flag": True, "none": None}

    # 4. DataParallel-style prefixes and nn.Parameter objects (named_parameters dict)
    params = {f"module.{k}": v for k, v in m.named_parameters()}
    files["parameters.pt"] = torch_bytes(params)
    expected["parameters.pt"] = flatten(params)

    # 5. plain dict with a plain list of tensors
    lst = {"layers": [torch.ones(2), torch.full((1, 2), 2.0)]}
    files["list.bin"] = torch_bytes(lst)
    expected["list.bin"] = flatten(lst)

    # 6. malicious pickle in a torch zip layout: os.system global
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": Evil()}, protocol=2))
        z.writestr("archive/version", "3\n")
    files["evil.pth"] = evil.getvalue()

    # 7. safetensors (every dtype + metadata), from our writer
    st = collections.OrderedDict((k, v) for k, v in all_dtypes().items())
    files["dtypes.safetensors"] = write_safetensors(st, {"format": "pt", "source": "weights_fixtures.py"})
    expected["dtypes.safetensors"] = flatten(st)

    # 8. a deflate-compressed zip variant (some tools re-zip checkpoints)
    src = zipfile.ZipFile(io.BytesIO(files["list.bin"]))
    deflated = io.BytesIO()
    with zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info.filename))
    files["deflated.pth"] = deflated.getvalue()
    expected["deflated.pth"] = flatten(lst)

    out = {
        "torch": torch.__version__,
        "files": {k: base64.b64encode(v).decode("ascii") for k, v in files.items()},
        "expected": expected,
        "extra": extra,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(files)} files)", file=sys.stderr)


if __name__ == "__main__":
    main()
