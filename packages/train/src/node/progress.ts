/**
 * What a user sees while training: a progress bar (`cli-progress`) with the loss, samples/s, memory and the
 * ETA when the output is a terminal, plain lines otherwise (logs, CI) — and one line per evaluation, epoch,
 * checkpoint and at the end.
 */
import type { Writable } from 'node:stream';
import type { RetrievalSummary, StepEvent, TrainEvent } from '../trainer/events.js';

/** How progress is shown: a bar (terminals), lines, nothing; `'auto'`: a bar on a TTY, else lines. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** Options of {@link progressReporter}. */
export interface ProgressOptions {
  mode?: ProgressMode;
  /** Where to write (default `process.stdout`). */
  stream?: Writable & { isTTY?: boolean; columns?: number };
  /** Lines mode: a step line every this many steps (default: about 10 per epoch), plus each epoch's last. */
  lineEvery?: number;
}

/** Shows {@link TrainEvent}s. */
export interface ProgressReporter {
  onEvent(event: TrainEvent): void;
  /** A line of text above the bar (or a plain line). */
  note(text: string): void;
  /** Stop the bar (idempotent). */
  stop(): void;
}

/** `12.3 MB` style sizes. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/** `1:02:03` / `2:03` durations. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`
    : `${m}:${String(r).padStart(2, '0')}`;
}

const num = (x: number | undefined, digits = 4) =>
  x === undefined || !Number.isFinite(x) ? '?' : x.toFixed(digits);

/** `mR 12.34 · I2T 1.0/5.0/10.0 · T2I …` */
export function formatSummary(s: RetrievalSummary): string {
  const r = (m: Record<number, number>) => [1, 5, 10].map((k) => num(m[k], 2)).join('/');
  return `mR ${num(s.mR, 2)} · I2T R@1/5/10 ${r(s.i2t)} · T2I R@1/5/10 ${r(s.t2i)}`;
}

function lossText(losses: Record<string, number>): string {
  const { loss, ...parts } = losses;
  const rest = Object.entries(parts).map(([k, v]) => `${k} ${num(v)}`);
  return `loss ${num(loss)}${rest.length > 0 ? ` (${rest.join(', ')})` : ''}`;
}

function memoryText(m: StepEvent['memory']): string {
  const rss = m.rssBytes === undefined ? '' : `, rss ${formatBytes(m.rssBytes)}`;
  return `tensors ${formatBytes(m.numBytes)} (peak ${formatBytes(m.peakBytes)}${rss})`;
}

/**
 * A reporter of training events for a terminal or a log.
 * @example
 * ```ts
 * const progress = progressReporter({ mode: 'auto' });
 * await train({ …, onEvent: (e) => progress.onEvent(e) });
 * progress.stop();
 * ```
 */
export function progressReporter(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? (process.stdout as Writable & { isTTY?: boolean });
  const mode =
    options.mode === undefined || options.mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : options.mode;
  let epochs = 1;
  let totalSteps = 0;
  let lineEvery = options.lineEvery ?? 0;
  // ETA from the mean time of the recent steps (evaluation and checkpoints are not steps)
  const recent: number[] = [];
  let evalSeconds = 0;
  let evals = 0;
  // the bar, created lazily (cli-progress is only loaded for a terminal)
  let multi: { log(text: string): void; stop(): void } | undefined;
  let bar: { update(value: number, payload?: object): void; setTotal(n: number): void } | undefined;
  let stopped = false;

  const write = (line: string) => {
    if (mode === 'none') return;
    if (multi !== undefined) multi.log(`${line}\n`);
    else stream.write(`${line}\n`);
  };
  const eta = (step: number, stepsPerEpoch: number): number => {
    const perStep = recent.length === 0 ? Number.NaN : recent.reduce((a, b) => a + b, 0) / recent.length;
    const remaining = totalSteps - step;
    const remainingEpochs = Math.ceil(remaining / Math.max(1, stepsPerEpoch));
    return remaining * perStep + remainingEpochs * (evals > 0 ? evalSeconds / evals : 0);
  };
  const startBar = async (start: number) => {
    const cli = (await import('cli-progress')).default;
    if (stopped) return;
    const m = new cli.MultiBar(
      {
        format:
          'epoch {epoch} |{bar}| {value}/{total} steps · loss {loss} · {sps} samples/s · {mem} · ETA {etaText}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        forceRedraw: true,
        stream: stream as never,
      },
      cli.Presets.shades_classic,
    );
    multi = m as never;
    bar = m.create(totalSteps, start, { epoch: '-', loss: '-', sps: '-', mem: '-', etaText: '?' }) as never;
  };

  return {
    onEvent(e: TrainEvent) {
      switch (e.type) {
        case 'start': {
          epochs = e.epochs;
          totalSteps = e.totalSteps;
          if (lineEvery <= 0) lineEvery = Math.max(1, Math.floor(e.stepsPerEpoch / 10));
          write(
            `${e.resumedFrom === undefined ? 'training' : 'resuming'} ${e.model} (${e.architecture}, ${(e.parameters / 1e6).toFixed(2)} M trainable parameters): ` +
              `${e.epochs} epochs × ${e.stepsPerEpoch} steps of ${e.batchSize} captions` +
              `${e.microBatch < e.batchSize ? ` (gradient caching, ${e.microBatch} per pass)` : ''}, ${e.trainImages} images / ${e.trainCaptions} captions, seed ${e.seed}` +
              `${e.resumedFrom === undefined ? '' : `; from step ${e.startStep} (${e.resumedFrom})`}`,
          );
          if (mode === 'bar') void startBar(e.startStep);
          break;
        }
        case 'step': {
          recent.push(e.seconds);
          if (recent.length > 20) recent.shift();
          const epochText = `${e.epoch + 1}/${epochs}`;
          const etaText = formatDuration(eta(e.step, e.stepsPerEpoch));
          if (mode === 'bar') {
            bar?.update(e.step, {
              epoch: epochText,
              loss: num(e.losses.loss),
              sps: num(e.samplesPerSecond, 1),
              mem: formatBytes(e.memory.peakBytes),
              etaText,
            });
          } else if (e.stepInEpoch % lineEvery === 0 || e.stepInEpoch === e.stepsPerEpoch) {
            const lr = Math.max(...Object.values(e.lr));
            write(
              `[epoch ${epochText}] step ${e.stepInEpoch}/${e.stepsPerEpoch} (${e.step}/${e.totalSteps}) ${lossText(e.losses)} · lr ${lr.toExponential(2)} · |g| ${num(e.gradNorm, 3)} · ` +
                `${num(e.samplesPerSecond, 1)} samples/s · ETA ${etaText} · ${memoryText(e.memory)}`,
            );
          }
          break;
        }
        case 'eval':
          evalSeconds += e.seconds;
          evals++;
          write(
            `[${e.selected === true ? `selected epoch ${e.epoch + 1}` : `epoch ${e.epoch + 1}/${epochs}`}] ${e.split}: ${formatSummary(e.summary)} (${e.seconds.toFixed(1)} s)`,
          );
          break;
        case 'epoch': {
          const r = e.record;
          write(
            `[epoch ${r.epoch + 1}/${e.epochs}] done: mean ${lossText(r.losses)} · ${num(r.samplesPerSecond, 1)} samples/s · ${r.seconds.toFixed(1)} s` +
              `${r.selectionMR === undefined ? '' : ` · selection mR ${num(r.selectionMR, 2)}${r.best ? ' ★ best so far' : ''}`}`,
          );
          break;
        }
        case 'checkpoint':
          write(`checkpoint ${e.name} → ${e.tags.join(' + ')} (${e.reason}, ${e.seconds.toFixed(2)} s)`);
          break;
        case 'end': {
          const best =
            e.best === null
              ? 'no epoch evaluated'
              : `selected epoch ${e.best.epoch + 1} (${e.best.selectOn} mR ${num(e.best.mR, 2)})`;
          write(
            `${e.status === 'completed' ? 'done' : 'interrupted'}: ${e.steps} steps in ${formatDuration(e.seconds)} · ${best} · peak tensor memory ${formatBytes(e.peakBytes)}`,
          );
          if (e.val !== undefined) write(`  val  at the selected epoch: ${formatSummary(e.val)}`);
          if (e.test !== undefined) write(`  test at the selected epoch: ${formatSummary(e.test)}`);
          break;
        }
      }
    },
    note: (text) => write(text),
    stop() {
      if (stopped) return;
      stopped = true; // a bar still loading is not started (startBar checks)
      multi?.stop();
    },
  };
}
