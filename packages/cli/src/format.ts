/**
 * Text the commands print: a table of retrieval results, one row per model or split, in the papers' layout
 * (R@1/5/10 image → text, R@1/5/10 text → image, mR, rsum), and small number helpers.
 */
import type { RetrievalReport } from '@pir/metrics';

/** One row of {@link recallTable}: R@K by K both ways (percent), mR and rsum. */
export interface RecallRow {
  label: string;
  i2t: Readonly<Record<number, number>>;
  t2i: Readonly<Record<number, number>>;
  mR: number;
  rsum: number;
}

/** The row of a `@pir/metrics` report. */
export function reportRow(label: string, report: RetrievalReport): RecallRow {
  return { label, i2t: report.i2t.recall, t2i: report.t2i.recall, mR: report.mR, rsum: report.rsum };
}

/**
 * The rows as a table:
 * ```text
 *                   |     Image→Text (I2T) |     Text→Image (T2I) |
 *                   |    R@1    R@5   R@10 |    R@1    R@5   R@10 |     mR    rsum
 * VSE baseline      |  10.00  41.67  66.67 |   9.33  40.67  70.67 |  39.83  239.00
 * ```
 */
export function recallTable(rows: readonly RecallRow[], ks: readonly number[] = [1, 5, 10]): string {
  const w = 6;
  const num = (x: number | undefined, width = w) =>
    (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2)).padStart(width);
  const labelWidth = Math.max(0, ...rows.map((r) => r.label.length));
  const head = ks.map((k) => `R@${k}`.padStart(w)).join(' ');
  const pad = ' '.repeat(labelWidth);
  return [
    `${pad} | ${'Image→Text (I2T)'.padStart(head.length)} | ${'Text→Image (T2I)'.padStart(head.length)} |`,
    `${pad} | ${head} | ${head} | ${'mR'.padStart(w)} ${'rsum'.padStart(w + 1)}`,
    ...rows.map(
      (r) =>
        `${r.label.padEnd(labelWidth)} | ${ks.map((k) => num(r.i2t[k])).join(' ')} | ` +
        `${ks.map((k) => num(r.t2i[k])).join(' ')} | ${num(r.mR)} ${num(r.rsum, w + 1)}`,
    ),
  ].join('\n');
}

/** A report without its per-query arrays: what `--json` prints. */
export function reportJson(report: RetrievalReport): {
  i2t: { recall: Record<number, number>; medianRank: number; meanRank: number };
  t2i: { recall: Record<number, number>; medianRank: number; meanRank: number };
  mR: number;
  rsum: number;
  nImages: number;
  nTexts: number;
  ties: string;
} {
  const side = (s: Pick<RetrievalReport['i2t'], 'recall' | 'medianRank' | 'meanRank'>) => ({
    recall: { ...s.recall },
    medianRank: s.medianRank,
    meanRank: s.meanRank,
  });
  return {
    i2t: side(report.i2t),
    t2i: side(report.t2i),
    mR: report.mR,
    rsum: report.rsum,
    nImages: report.nImages,
    nTexts: report.nTexts,
    ties: report.ties,
  };
}

/** `287 k` / `1.25 M` parameters. */
export function countText(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;
}

/** Seconds since `t0` (a `performance.now()`), one decimal. */
export function secondsSince(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(1);
}
