/**
 * Convolution gradients missing from the stock wasm backend (tfjs-backend-wasm 4.22 has `Conv2D`,
 * `Conv2DBackpropInput`, `DepthwiseConv2dNative`, but neither filter gradient nor the depthwise input
 * gradient, so `tf.grad` through `conv2d`/`depthwiseConv2d` fails on wasm):
 *
 * - `Conv2DBackpropFilter`: im2col in JS over the wasm heap, then one XNNPACK GEMM per chunk of images
 *   (`dW[KH·KW·CI, CO] = colsᵀ · dy`) through the repaired `BatchMatMul` path — GEMM speed.
 * - `DepthwiseConv2dNativeBackpropFilter` / `…BackpropInput`: direct loops in JS over the heap (the work is
 *   `B·OH·OW·KH·KW·C·M` multiply-adds, small next to a dense convolution).
 */

import type {
  Conv2DBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { gemmOffsets } from './batch_mat_mul.js';
import { repairConfig, type StockLookup } from './repair_config.js';
import { asWasmBackend, dataOf, f32View, runStock, transposeLast2 } from './wasm_internals.js';

type Shape4 = [number, number, number, number];

/** Most floats one im2col chunk may hold (64 MiB). */
let MAX_COLS = 16 * 2 ** 20;

/** Test hook: set the im2col chunk limit (floats); returns the previous one. */
export function _setIm2colLimit(floats: number): number {
  const prev = MAX_COLS;
  MAX_COLS = floats;
  return prev;
}

function checkFloat(where: string, ...ts: [string, TensorInfo][]): void {
  for (const [name, t] of ts) {
    if (t.dtype !== 'float32') throw new Error(`${where}: ${name} must be float32, got ${t.dtype}`);
    if (t.shape.length !== 4) throw new Error(`${where}: ${name} must be rank 4, got shape [${t.shape}]`);
  }
}

// --- Conv2DBackpropFilter -----------------------------------------------------------------------------------

const WHERE_C = 'Conv2DBackpropFilter (wasm, @pir/runtime)';

/**
 * `dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh + kh − padTop, ow·sw + kw − padLeft, ci] · dy[b, oh, ow, co]`.
 * Inputs `x` `[B, H, W, CI]` and `dy` `[B, OH, OW, CO]` (NCHW: `[B, C, H, W]`, transposed first);
 * attrs `strides`, `pad`, `dataFormat`, `dimRoundingMode`, `filterShape` `[KH, KW, CI, CO]`. Dilation 1
 * (tfjs's conv2d gradient supports no other).
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend, WHERE_C);
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  checkFloat(WHERE_C, ['x', args.inputs.x], ['dy', args.inputs.dy]);
  const temps: TensorInfo[] = [];
  try {
    let x = args.inputs.x;
    let dy = args.inputs.dy;
    if (dataFormat === 'NCHW') {
      x = runStock(backend, 'Transpose', { x }, { perm: [0, 2, 3, 1] });
      dy = runStock(backend, 'Transpose', { x: dy }, { perm: [0, 2, 3, 1] });
      temps.push(x, dy);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
    const { outChannels: co, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
    if (dy.shape.join() !== [nb, oh, ow, co].join()) {
      throw new Error(
        `${WHERE_C}: dy has shape [${dy.shape}], expected [${[nb, oh, ow, co]}] for x [${x.shape}]`,
      );
    }
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const p = kh * kw * ci;
    const perImage = oh * ow;
    const chunk = Math.max(1, Math.min(nb, Math.floor(MAX_COLS / Math.max(1, perImage * p))));
    const out = backend.makeOutput([kh, kw, ci, co], 'float32');
    const outSize = p * co;
    let partial: TensorInfo | undefined;
    for (let b0 = 0; b0 < nb; b0 += chunk) {
      const cb = Math.min(chunk, nb - b0);
      const q = cb * perImage;
      const cols = backend.makeOutput([q, p], 'float32');
      try {
        const c = f32View(backend, cols, WHERE_C);
        const xv = f32View(backend, x, WHERE_C);
        for (let bi = 0; bi < cb; bi++) {
          const xImg = (b0 + bi) * h * w * ci;
          for (let y = 0; y < oh; y++) {
            for (let z = 0; z < ow; z++) {
              let dst = ((bi * oh + y) * ow + z) * p;
              for (let i = 0; i < kh; i++) {
                const iy = y * sh + i - top;
                for (let j = 0; j < kw; j++, dst += ci) {
                  const ix = z * sw + j - left;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                    c.fill(0, dst, dst + ci);
                  } else {
                    const src = xImg + (iy * w + ix) * ci;
                    if (ci >= 16) c.set(xv.subarray(src, src + ci), dst);
                    else for (let k = 0; k < ci; k++) c[dst + k] = xv[src + k];
                  }
                }
              }
            }
          }
        }
        // dW_chunk[P, CO] = colsᵀ[P, Q] · dy_chunk[Q, CO]
        const colsT = transposeLast2(backend, cols, 1, q, p);
        try {
          const first = b0 === 0;
          if (!first && partial === undefined) {
            partial = backend.makeOutput([p, co], 'float32');
            temps.push(partial);
          }
          const target = first ? out : (partial as TensorInfo);
          gemmOffsets(
            backend,
            dataOf(backend, colsT, WHERE_C).memoryOffset,
            dataOf(backend, dy, WHERE_C).memoryOffset + b0 * perImage * co * 4,
            dataOf(backend, target, WHERE_C).memoryOffset,
            p,
            q,
            co,
          );
          if (!first) {
            const o = f32View(backend, out, WHERE_C);
            const t = f32View(backend, target, WHERE_C);
            for (let i = 0; i < outSize; i++) o[i] += t[i];
          }
        } finally {
          backend.disposeData(colsT.dataId);
        }
      } finally {
        backend.disposeData(cols.dataId);
      }
    }
    return out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

// --- depthwise ------------------------------------------------------------------------------------------------

const WHERE_DF = 'DepthwiseConv2dNativeBackpropFilter (wasm, @pir/runtime)';
const WHERE_DI = 'DepthwiseConv2dNativeBackpropInput (wasm, @pir/runtime)';

/**
 * `dW[kh, kw, c, m] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·M + m]` with
 * `ih = oh·sh + kh·dh − padTop`, `iw = ow·sw + kw·dw − padLeft`.
 * Inputs `x` `[B, H, W, C]`, `dy` `[B, OH, OW, C·M]`; attrs `strides`, `dilations`, `pad`,
 * `dimRoundingMode`, `filterShape` `[KH, KW, C, M]`. Output `[KH, KW, C, M]`.
 */
export function depthwiseBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend, WHERE_DF);
  const { x, dy } = args.inputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs;
  checkFloat(WHERE_DF, ['x', x], ['dy', dy]);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const g = geometry(info);
  if (dy.shape.join() !== [g.nb, g.oh, g.ow, g.cm].join()) {
    throw new Error(`${WHERE_DF}: dy has shape [${dy.shape}], expected [${[g.nb, g.oh, g.ow, g.cm]}]`);
  }
  const acc = new Float64Array(g.kh * g.kw * g.cm);
  const out = backend.makeOutput([...filterShape], 'float32');
  const xv = f32View(backend, x, WHERE_DF);
  const dv = f32View(backend, dy, WHERE_DF);
  const { m, cm } = g;
  forEachTap(g, (xBase, dyBase, fBase) => {
    if (m === 1) {
      for (let c = 0; c < cm; c++) acc[fBase + c] += xv[xBase + c] * dv[dyBase + c];
    } else {
      for (let j = 0; j < cm; j++) acc[fBase + j] += xv[xBase + ((j / m) | 0)] * dv[dyBase + j];
    }
  });
  f32View(backend, out, WHERE_DF).set(acc);
  return out;
}

/**
 * `dx[b, ih, iw, c] = Σ dy[b, oh, ow, c·M + m] · W[kh, kw, c, m]` over the taps that read `x[b, ih, iw, c]`.
 * Inputs `dy` `[B, OH, OW, C·M]`, `filter` `[KH, KW, C, M]`; attrs `strides`, `dilations`, `pad`,
 * `dimRoundingMode`, `inputShape` `[B, H, W, C]`. Output `inputShape`.
 */
export function depthwiseBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: unknown;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend, WHERE_DI);
  const { dy, filter } = args.inputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args.attrs;
  checkFloat(WHERE_DI, ['dy', dy], ['filter', filter]);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as Shape4,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const g = geometry(info);
  if (dy.shape.join() !== [g.nb, g.oh, g.ow, g.cm].join()) {
    throw new Error(`${WHERE_DI}: dy has shape [${dy.shape}], expected [${[g.nb, g.oh, g.ow, g.cm]}]`);
  }
  const out = backend.makeOutput([...inputShape], 'float32');
  const dx = f32View(backend, out, WHERE_DI);
  dx.fill(0);
  const dv = f32View(backend, dy, WHERE_DI);
  const wv = f32View(backend, filter, WHERE_DI);
  const { m, c: channels } = g;
  forEachTap(g, (xBase, dyBase, fBase) => {
    if (m === 1) {
      for (let c = 0; c < channels; c++) dx[xBase + c] += dv[dyBase + c] * wv[fBase + c];
    } else {
      for (let c = 0; c < channels; c++) {
        let s = 0;
        const o = c * m;
        for (let k = 0; k < m; k++) s += dv[dyBase + o + k] * wv[fBase + o + k];
        dx[xBase + c] += s;
      }
    }
  });
  return out;
}

interface Geometry {
  nb: number;
  h: number;
  w: number;
  c: number;
  m: number;
  cm: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  top: number;
  left: number;
}

function geometry(info: tf.backend_util.Conv2DInfo): Geometry {
  return {
    nb: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    c: info.inChannels,
    m: info.outChannels / info.inChannels,
    cm: info.outChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * Call `f(xBase, dyBase, filterBase)` for every (output pixel, filter tap) pair whose input pixel is inside
 * the image: element offsets of `x[b, ih, iw, 0]`, `dy[b, oh, ow, 0]` and `W[kh, kw, 0, 0]`.
 */
function forEachTap(g: Geometry, f: (xBase: number, dyBase: number, fBase: number) => void): void {
  for (let b = 0; b < g.nb; b++) {
    for (let y = 0; y < g.oh; y++) {
      for (let i = 0; i < g.kh; i++) {
        const iy = y * g.sh + i * g.dh - g.top;
        if (iy < 0 || iy >= g.h) continue;
        for (let z = 0; z < g.ow; z++) {
          const dyBase = ((b * g.oh + y) * g.ow + z) * g.cm;
          for (let j = 0; j < g.kw; j++) {
            const ix = z * g.sw + j * g.dw - g.left;
            if (ix < 0 || ix >= g.w) continue;
            f(((b * g.h + iy) * g.w + ix) * g.c, dyBase, (i * g.kw + j) * g.cm);
          }
        }
      }
    }
  }
}

/** Kernel configs adding the three convolution gradients to wasm (tfjs-backend-wasm 4.22 has none of them). */
export function makeConvBackpropConfigs(stock: StockLookup): KernelConfig[] {
  return [
    repairConfig(
      tf.Conv2DBackpropFilter,
      conv2DBackpropFilterWasm as unknown as KernelFunc,
      stock(tf.Conv2DBackpropFilter),
    ),
    repairConfig(
      tf.DepthwiseConv2dNativeBackpropFilter,
      depthwiseBackpropFilterWasm as unknown as KernelFunc,
      stock(tf.DepthwiseConv2dNativeBackpropFilter),
    ),
    repairConfig(
      tf.DepthwiseConv2dNativeBackpropInput,
      depthwiseBackpropInputWasm as unknown as KernelFunc,
      stock(tf.DepthwiseConv2dNativeBackpropInput),
    ),
  ];
}
