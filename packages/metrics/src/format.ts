/**
 * A compact, paper-style table of a {@link RetrievalReport}.
 */
import type { RetrievalReport } from './report.js';

/**
 * Format a report as the papers' table: I2T R@K…, T2I R@K…, mR (percent, two decimals), then a line with
 * the median/mean ranks and the tie policy.
 *
 * @example
 * ```ts
 * const report = await evaluateSimilarity(
 *   { data: new Float32Array([0.9, 0.2, 0.5, 0.1, 0.8, 0.7]), shape: [2, 3] }, [0, 0, 1]);
 * console.log(formatReport(report));
 * //     Image→Text (I2T) |     Text→Image (T2I) |
 * //    R@1    R@5   R@10 |    R@1    R@5   R@10 |     mR
 * //  50.00 100.00 100.00 |  66.67 100.00 100.00 |  86.11
 * // medr 1.5 / 1 · meanr 1.50 / 1.33 · 2 images × 3 captions · ties: pessimistic
 * ```
 */
export function formatReport(report: RetrievalReport): string {
  const w = 6;
  const num = (x: number): string => x.toFixed(2).padStart(w);
  const head = report.ks.map((k) => `R@${k}`.padStart(w)).join(' ');
  const i2t = report.ks.map((k) => num(report.i2t.recall[k] as number)).join(' ');
  const t2i = report.ks.map((k) => num(report.t2i.recall[k] as number)).join(' ');
  const half = head.length;
  const title = `${'Image→Text (I2T)'.padStart(half)} | ${'Text→Image (T2I)'.padStart(half)} |`;
  const r = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  return [
    title,
    `${head} | ${head} | ${'mR'.padStart(w)}`,
    `${i2t} | ${t2i} | ${num(report.mR)}`,
    `medr ${r(report.i2t.medianRank)} / ${r(report.t2i.medianRank)} · ` +
      `meanr ${report.i2t.meanRank.toFixed(2)} / ${report.t2i.meanRank.toFixed(2)} · ` +
      `${report.nImages} images × ${report.nTexts} captions · ties: ${report.ties}`,
  ].join('\n');
}
