"""Golden values for the wasm Winograd F(4x4, 3x3) convolution of @pir/runtime (kernels/conv_winograd.ts):
3 x 3, stride-1 convolutions computed by torch.nn.functional.conv2d in float64, then cast to float32.

Inputs are small integers times a power of two (x = k/64, filter = k/2^s, bias = k/64 with |k| <= 127), so
they are exact in float32 and stored as int8 bytes (base64): the TypeScript test feeds the very numbers the
reference used, and four cases fit in ~170 KB. Tensors are stored channels-last as TensorFlow.js takes them
(x NHWC, filter HWIO) and converted to NCHW / OIHW here. Expected outputs are float32 (little-endian, base64);
`scale` is max |conv + bias| before the activation, the scale the rounding error of the sums is relative to.

Cases (activation applied after the bias, as tf.fused.conv2d does; relu6 = clamp(0, 6)):
  a  x [2,10,9,16]  w [3,3,16,24]  bias  'same'                         relu
  b  x [1,8,8,32]   w [3,3,32,16]  -     'valid'                        linear
  c  x [3,7,7,64]   w [3,3,64,64]  bias  'same'                         relu6 (outputs scaled to clamp often)
  d  x [1,13,6,16]  w [3,3,16,16]  -     explicit [[0,0],[1,1],[1,1],[0,0]]  linear

Run from the repository root:
    /usr/bin/python3 tools/golden/winograd_conv.py
writes packages/runtime/test/fixtures/winograd-conv.json
"""
import base64
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = 'packages/runtime/test/fixtures/winograd-conv.json'
g = torch.Generator().manual_seed(20240720)


def ints(shape):
    """Uniform integers in [-127, 127] (int8)."""
    return torch.randint(-127, 128, shape, generator=g, dtype=torch.int64)


def packed_ints(q, shift):
    """An exact float32 tensor k / 2^shift, stored as int8 bytes (base64) + the power of two."""
    return {'shape': list(q.shape), 'shift': shift,
            'int8': base64.b64encode(q.numpy().astype(np.int8).tobytes()).decode('ascii')}


def packed_f32(t):
    return {'shape': list(t.shape),
            'f32': base64.b64encode(t.numpy().astype('<f4').tobytes()).decode('ascii')}


def case(name, x_shape, w_shape, w_shift, bias, pad, activation):
    xq = ints(x_shape)
    wq = ints(w_shape)
    bq = ints([w_shape[3]]) if bias else None
    x = xq.double() / 64  # NHWC
    w = wq.double() / 2 ** w_shift  # HWIO
    if pad == 'same' or isinstance(pad, list):
        p = 1  # 3 x 3, stride 1: 'same' pads 1 on every side; the explicit case pads 1 too
    else:
        p = 0
    y = F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), stride=1, padding=p)
    if bq is not None:
        y = y + (bq.double() / 64).reshape(1, -1, 1, 1)
    scale = float(y.abs().max())  # before the activation: the scale of the sums Winograd rounds
    if activation == 'relu':
        y = torch.relu(y)
    elif activation == 'relu6':
        y = torch.clamp(y, 0, 6)
    y = y.permute(0, 2, 3, 1).float().contiguous()  # NHWC, float32
    return {'name': name, 'pad': pad, 'activation': activation, 'x': packed_ints(xq, 6),
            'filter': packed_ints(wq, w_shift), 'bias': None if bq is None else packed_ints(bq, 6),
            'y': packed_f32(y), 'scale': float(f'{scale:.6g}')}


cases = [
    case('a', [2, 10, 9, 16], [3, 3, 16, 24], 10, True, 'same', 'relu'),
    case('b', [1, 8, 8, 32], [3, 3, 32, 16], 10, False, 'valid', 'linear'),
    case('c', [3, 7, 7, 64], [3, 3, 64, 64], 8, True, 'same', 'relu6'),
    case('d', [1, 13, 6, 16], [3, 3, 16, 16], 9, False, [[0, 0], [1, 1], [1, 1], [0, 0]], 'linear'),
]

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'generator': 'tools/golden/winograd_conv.py', 'torch': torch.__version__, 'cases': cases}, f,
              separators=(',', ':'))
    f.write('\n')
print(f'{OUT}: {os.path.getsize(OUT)} bytes, {len(cases)} cases')
for c in cases:
    y = np.frombuffer(base64.b64decode(c['y']['f32']), dtype='<f4')
    print(f"  {c['name']}: y {c['y']['shape']} scale {c['scale']} max|y| {np.abs(y).max():.3f} zeros {np.mean(y == 0):.2f} "
          f"sixes {np.mean(y == 6):.2f}")
