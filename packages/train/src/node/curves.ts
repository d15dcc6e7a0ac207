/**
 * Loss and recall curves of a run, drawn with Vega-Lite: a spec is compiled to Vega, rendered to SVG by a
 * headless `vega.View`, and the SVG turned into a PNG by sharp. Both files are written next to the run
 * (`loss.svg`, `loss.png`, `recall.svg`, `recall.png`), atomically.
 *
 * - **loss**: the loss and its parts per optimiser step (thin lines), and the learning rate on its own axis;
 * - **recall**: per epoch, the selection split's mR and R@1/5/10 both ways, the selected epoch marked.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { EpochRecord, StepEvent } from '../trainer/events.js';

/** A Vega-Lite specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

/** Options of {@link drawCurves}. */
export interface CurveOptions {
  /** Shown in the titles (e.g. the configuration's name). */
  title?: string;
  /** Width and height of each plot's data area in pixels (default 560 × 260). */
  width?: number;
  height?: number;
  /** PNG resolution factor (default 2: crisp on high-density screens). */
  scale?: number;
}

/** What {@link drawCurves} wrote. */
export interface CurveFiles {
  loss?: { svg: string; png: string };
  recall?: { svg: string; png: string };
}

const AXIS = { labelFontSize: 11, titleFontSize: 12 };

/** The Vega-Lite spec of the loss curves: loss parts per step; learning rate on a second axis. */
export function lossSpec(steps: readonly StepEvent[], options: CurveOptions = {}): VegaLiteSpec {
  const values = steps.flatMap((s) =>
    Object.entries(s.losses).map(([part, value]) => ({ step: s.step, part, value })),
  );
  const lr = steps.map((s) => ({ step: s.step, lr: Math.max(0, ...Object.values(s.lr)) }));
  const width = options.width ?? 560;
  const height = options.height ?? 260;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    title: { text: `Training loss${options.title === undefined ? '' : ` — ${options.title}`}`, fontSize: 15 },
    config: { axis: AXIS, legend: { labelFontSize: 11, titleFontSize: 12 } },
    vconcat: [
      {
        width,
        height,
        data: { values },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'optimiser step' },
          y: { field: 'value', type: 'quantitative', title: 'loss (per batch)' },
          color: {
            field: 'part',
            type: 'nominal',
            title: 'loss part',
            sort: ['loss', 'contrastive', 'affiliation'],
          },
        },
      },
      {
        width,
        height: Math.round(height / 3),
        data: { values: lr },
        mark: { type: 'line', strokeWidth: 1.5, color: '#888' },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'optimiser step' },
          y: { field: 'lr', type: 'quantitative', title: 'learning rate', axis: { format: '.1e' } },
        },
      },
    ],
  };
}

/** The Vega-Lite spec of the recall curves: per epoch, mR and R@1/5/10 both ways; the selected epoch marked. */
export function recallSpec(epochs: readonly EpochRecord[], options: CurveOptions = {}): VegaLiteSpec {
  const values: { epoch: number; metric: string; value: number }[] = [];
  let split = 'val';
  for (const e of epochs) {
    const s = e.val ?? e.test;
    if (s === undefined) continue;
    split = e.val !== undefined ? 'val' : 'test';
    values.push({ epoch: e.epoch + 1, metric: 'mR', value: s.mR });
    for (const k of [1, 5, 10]) {
      if (s.i2t[k] !== undefined)
        values.push({ epoch: e.epoch + 1, metric: `I2T R@${k}`, value: s.i2t[k] as number });
      if (s.t2i[k] !== undefined)
        values.push({ epoch: e.epoch + 1, metric: `T2I R@${k}`, value: s.t2i[k] as number });
    }
  }
  const bestEpochs = epochs.filter((e) => e.best);
  const best = bestEpochs[bestEpochs.length - 1];
  const order = ['mR', 'I2T R@1', 'I2T R@5', 'I2T R@10', 'T2I R@1', 'T2I R@5', 'T2I R@10'];
  const layers: VegaLiteSpec[] = [
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: {
          field: 'value',
          type: 'quantitative',
          title: `${split === 'val' ? 'validation' : 'test'} recall (%)`,
          scale: { domain: [0, 100] },
        },
        color: {
          field: 'metric',
          type: 'nominal',
          title: 'metric',
          sort: order,
          legend: { symbolType: 'stroke', symbolSize: 400, symbolStrokeWidth: 2 },
        },
        // one legend: colour, dash and width of the same field merge (mR solid and wider, I2T dashed, T2I
        // dotted); `legend: null` on any of them would drop the merged legend
        strokeDash: {
          field: 'metric',
          type: 'nominal',
          sort: order,
          scale: {
            domain: order,
            range: [
              [1, 0],
              [6, 3],
              [6, 3],
              [6, 3],
              [2, 2],
              [2, 2],
              [2, 2],
            ],
          },
        },
        strokeWidth: {
          field: 'metric',
          type: 'nominal',
          sort: order,
          scale: { domain: order, range: [3, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5] },
        },
      },
    },
  ];
  if (best !== undefined)
    layers.push({
      data: { values: [{ epoch: best.epoch + 1, label: `selected: epoch ${best.epoch + 1}` }] },
      layer: [
        {
          mark: { type: 'rule', color: '#444', strokeDash: [2, 2] },
          encoding: { x: { field: 'epoch', type: 'quantitative' } },
        },
        {
          mark: {
            type: 'text',
            align: 'left',
            baseline: 'bottom',
            dx: 4,
            dy: -4,
            fontSize: 11,
            color: '#444',
          },
          encoding: {
            x: { field: 'epoch', type: 'quantitative' },
            y: { value: options.height ?? 260 },
            text: { field: 'label' },
          },
        },
      ],
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    title: {
      text: `Retrieval on the ${split === 'val' ? 'validation' : 'test'} split${options.title === undefined ? '' : ` — ${options.title}`}`,
      subtitle: 'mR = mean of R@1/5/10 image→text (I2T) and text→image (T2I)',
      fontSize: 15,
    },
    config: { axis: AXIS, legend: { labelFontSize: 11, titleFontSize: 12 } },
    width: options.width ?? 560,
    height: options.height ?? 260,
    data: { values },
    layer: layers,
  };
}

/** Render a Vega-Lite spec: `{ svg, png }` (Vega-Lite → Vega → SVG → sharp). */
export async function renderSpec(spec: VegaLiteSpec, scale = 2): Promise<{ svg: string; png: Uint8Array }> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const sharp = (await import('sharp')).default;
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = await sharp(Buffer.from(svg), { density: 72 * scale })
      .png()
      .toBuffer();
    return { svg, png: new Uint8Array(png) };
  } finally {
    view.finalize();
  }
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

/**
 * Draw the loss curves (when there are steps) and the recall curves (when an epoch was evaluated) into `dir`
 * as SVG and PNG.
 * @example
 * ```ts
 * const { steps, epochs } = readRunLog('runs/a/log.jsonl');
 * await drawCurves(steps, epochs, 'runs/a', { title: 'pir-itr-test' });
 * ```
 */
export async function drawCurves(
  steps: readonly StepEvent[],
  epochs: readonly EpochRecord[],
  dir: string,
  options: CurveOptions = {},
): Promise<CurveFiles> {
  await fs.mkdir(dir, { recursive: true });
  const out: CurveFiles = {};
  const draw = async (name: 'loss' | 'recall', spec: VegaLiteSpec) => {
    const { svg, png } = await renderSpec(spec, options.scale ?? 2);
    const files = { svg: path.join(dir, `${name}.svg`), png: path.join(dir, `${name}.png`) };
    await writeAtomic(files.svg, svg);
    await writeAtomic(files.png, png);
    out[name] = files;
  };
  if (steps.length > 0) await draw('loss', lossSpec(steps, options));
  if (epochs.some((e) => e.val !== undefined || e.test !== undefined))
    await draw('recall', recallSpec(epochs, options));
  return out;
}
