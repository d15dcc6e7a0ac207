/**
 * The published numbers of PIR_SPEC §7 (mR and R@1/5/10 both ways, percent, on the test splits of RSICD and
 * RSITMD), and a table that prints a run's numbers next to them.
 */
import type { RetrievalReport } from '@pir/metrics';
import type { RetrievalSummary } from '@pir/train';

/** The datasets the papers report on. */
export type DatasetName = 'rsitmd' | 'rsicd';

/** One line of a comparison table: I2T and T2I R@1/5/10 and their mean, percent. */
export interface ResultRow {
  label: string;
  i2t: readonly [number, number, number];
  t2i: readonly [number, number, number];
  mR: number;
}

/** Published models of PIR_SPEC §7. */
export type PublishedModel = 'vse' | 'pir-itr' | 'georsclip-ft';

const row = (label: string, i2t: [number, number, number], t2i: [number, number, number], mR: number) =>
  ({ label, i2t, t2i, mR }) as const;

/** PIR_SPEC §7, test splits (RSICD 1,093 images × 5,465 captions; RSITMD 452 × 2,260). */
export const PUBLISHED: Readonly<Record<DatasetName, Readonly<Record<PublishedModel, ResultRow>>>> = {
  rsicd: {
    vse: row('VSE baseline (published)', [10.52, 25.07, 36.78], [6.11, 23.64, 38.28], 23.4),
    'pir-itr': row('PIR-ITR (published)', [9.88, 27.26, 39.16], [6.97, 24.56, 38.92], 24.46),
    'georsclip-ft': row('GeoRSCLIP-FT (published)', [22.14, 40.53, 51.78], [15.26, 40.46, 57.79], 38.0),
  },
  rsitmd: {
    vse: row('VSE baseline (published)', [16.15, 40.04, 53.1], [10.75, 38.98, 60.18], 36.53),
    'pir-itr': row('PIR-ITR (published)', [18.14, 41.15, 52.88], [12.17, 41.68, 63.41], 38.24),
    'georsclip-ft': row('GeoRSCLIP-FT (published)', [30.09, 51.55, 63.27], [23.54, 57.52, 74.6], 50.1),
  },
};

/** A table row from what `train` / `evaluateSplit` / `evaluateRetrieval` report. */
export function resultRow(label: string, r: RetrievalSummary | RetrievalReport): ResultRow {
  const pick = (x: Record<number, number> | { recall: Record<number, number> }) => {
    const recall = 'recall' in x ? (x.recall as Record<number, number>) : x;
    return [recall[1] ?? Number.NaN, recall[5] ?? Number.NaN, recall[10] ?? Number.NaN] as const;
  };
  return { label, i2t: pick(r.i2t), t2i: pick(r.t2i), mR: r.mR };
}

/**
 * A fixed-width table of rows (yours and the published ones), one line each.
 * @example
 * ```
 *                               I2T R@1    R@5   R@10 | T2I R@1    R@5   R@10 |     mR
 * PIR-ITR (published)             18.14  41.15  52.88 |   12.17  41.68  63.41 |  38.24
 * ```
 */
export function formatTable(rows: readonly ResultRow[]): string {
  const width = Math.max(28, ...rows.map((r) => r.label.length)) + 1;
  const n = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—').padStart(6);
  const head = `${''.padEnd(width)} I2T R@1    R@5   R@10 | T2I R@1    R@5   R@10 |     mR`;
  const lines = rows.map(
    (r) =>
      `${r.label.padEnd(width)} ${n(r.i2t[0]).padStart(7)} ${n(r.i2t[1])} ${n(r.i2t[2])} | ${n(r.t2i[0]).padStart(7)} ${n(r.t2i[1])} ${n(r.t2i[2])} | ${n(r.mR)}`,
  );
  return [head, ...lines].join('\n');
}
