/**
 * `npm run eval`: evaluate trained models again — every model of a run directory on the data it was trained on
 * (`example.json`), or one model directory on the data the options name — next to the published numbers.
 *
 * ```
 * npm run eval -- --run-dir runs/synthetic-pir-itr-tiny
 * npm run eval -- --model runs/rsitmd-pir-itr-paper/pir-itr-paper/model --data-dir ~/data/rsitmd/images
 * ```
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  COMMON_OPTIONS,
  type DataSource,
  dataSource,
  loadData,
  main,
  parseOptions,
  startBackend,
} from './cli.js';
import { ExampleError, type SplitName } from './data.js';
import { architectureLabel, evaluateModelDir, modelDirsOf } from './evaluate.js';
import { formatTable, type ResultRow, resultRow } from './published.js';
import { publishedRows } from './report.js';

const HELP = `npm run eval -- (--run-dir <folder> | --model <model dir> [data options]) [--split test|val]

  --run-dir <folder>   a folder of npm run train: every <config>/model in it, on the run's data (example.json)
  --model <folder>     one model directory (pir-model.json, model.safetensors, tokenizer.json)
  --split test|val     default test
data options (with --model): --data-dir, --dataset, --annotations, --val, --test, --synthetic, --images,
  --data-seed, as npm run train; the synthetic benchmark is drawn at the model's input size
  --backend wasm|cpu|…, --threads <n>`;

await main(async () => {
  const values = parseOptions(
    {
      ...COMMON_OPTIONS,
      'run-dir': { type: 'string' },
      model: { type: 'string' },
      split: { type: 'string' },
    },
    process.argv.slice(2),
  );
  if (values.help || (values['run-dir'] === undefined && values.model === undefined)) {
    console.log(HELP);
    if (!values.help) throw new ExampleError('give --run-dir or --model');
    return;
  }
  const split = (values.split ?? 'test') as SplitName;
  if (split !== 'test' && split !== 'val')
    throw new ExampleError(`--split must be test or val, got ${split}`);
  console.log(await startBackend(values));
  let dirs: string[];
  let source: DataSource;
  if (values['run-dir'] !== undefined) {
    const runDir = resolve(values['run-dir']);
    dirs = await modelDirsOf(runDir);
    const about = join(runDir, 'example.json');
    source = existsSync(about)
      ? (JSON.parse(await readFile(about, 'utf8')) as { data: DataSource }).data
      : dataSource(values, await inputSize(dirs[0] as string));
  } else {
    dirs = [resolve(String(values.model))];
    source = dataSource(values, await inputSize(dirs[0] as string));
  }
  const { data, description } = await loadData(source, [split]);
  const splitData = data[split];
  if (splitData === undefined) throw new ExampleError(`the data have no ${split} split`);
  console.log(`data: ${description}`);
  const where = source.kind === 'real' ? source.dataset.toUpperCase() : 'synthetic';
  const rows: ResultRow[] = [];
  for (const dir of dirs) {
    const t = performance.now();
    const e = await evaluateModelDir(dir, splitData);
    console.log(
      `${e.name}: ${e.report.nImages} images × ${e.report.nTexts} captions, mR ${e.report.mR.toFixed(2)} (${((performance.now() - t) / 1000).toFixed(1)} s) — ${dir}`,
    );
    rows.push(resultRow(`${architectureLabel(e.architecture)} (yours, ${where})`, e.report));
  }
  console.log(`\n${split} split:`);
  console.log(formatTable(split === 'test' ? [...rows, ...publishedRows(source, ['vse', 'pir-itr'])] : rows));
});

/** The input side of a saved model (for the synthetic benchmark). */
async function inputSize(dir: string): Promise<number> {
  const file = join(dir, 'pir-model.json');
  if (!existsSync(file)) throw new ExampleError(`${dir} is not a model directory (no pir-model.json)`);
  const manifest = JSON.parse(await readFile(file, 'utf8')) as {
    config?: { encoders?: { vision?: { config?: { imageSize?: number } } } };
  };
  return manifest.config?.encoders?.vision?.config?.imageSize ?? 224;
}
