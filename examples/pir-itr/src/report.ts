/** The rows the commands print: the user's numbers, then the published ones of the same dataset. */
import type { DataSource } from './cli.js';
import { PUBLISHED, type PublishedModel, type ResultRow, resultRow } from './published.js';
import type { ReproduceResult } from './reproduce.js';

/** The published rows for a data source (RSITMD's, marked, for the synthetic benchmark). */
export function publishedRows(source: DataSource, models: readonly PublishedModel[]): ResultRow[] {
  const dataset = source.kind === 'real' ? source.dataset : 'rsitmd';
  return models.map((m) => {
    const row = PUBLISHED[dataset][m];
    return source.kind === 'real' ? row : { ...row, label: row.label.replace(')', ', RSITMD)') };
  });
}

/** Yours (PIR-ITR, the baseline) and the published PIR-ITR and VSE baseline. */
export function comparisonRows(source: DataSource, result: ReproduceResult): ResultRow[] {
  const where = source.kind === 'real' ? source.dataset.toUpperCase() : 'synthetic';
  const rows: ResultRow[] = [];
  if (result.baseline?.test !== undefined)
    rows.push(resultRow(`VSE baseline (yours, ${where})`, result.baseline.test));
  if (result.pir.test !== undefined) rows.push(resultRow(`PIR-ITR (yours, ${where})`, result.pir.test));
  return [...rows, ...publishedRows(source, ['vse', 'pir-itr'])];
}
