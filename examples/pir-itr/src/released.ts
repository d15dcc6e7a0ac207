/**
 * `npm run released`: evaluate the authors' PIR-ITR checkpoint on the test split with the released evaluation
 * protocol, next to the published numbers.
 *
 * ```
 * npm run released -- --checkpoint rsitmd/checkpoint_best.pth --data-dir ~/data/rsitmd/images
 * npm run released -- --checkpoint rsicd/checkpoint_best.pth --dataset rsicd --data-dir ~/data/rsicd/images
 * ```
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { COMMON_OPTIONS, dataSource, intOption, loadData, main, parseOptions, startBackend } from './cli.js';
import { ExampleError } from './data.js';
import { formatTable, resultRow } from './published.js';
import { evaluateReleasedPirItr } from './released_eval.js';
import { publishedRows } from './report.js';

const HELP = `npm run released -- --checkpoint <file> [data options]

  --checkpoint <file>  the authors' checkpoint (torch.save({'model', 'config'}) of jaychempan/PIR's Retrieval.py,
                       or a .safetensors conversion)
  --data-dir <folder>  the dataset's images (--dataset rsitmd|rsicd, --annotations, --test as npm run train);
                       without it: the synthetic benchmark at the checkpoint's input size (a smoke test only)
  --text-heads <n>     BERT's heads when the width is no multiple of 64 (not stored in the file)
  --chunk-size <n>, --max-tokens <n>   override the checkpoint's batch_size_test_text / max_tokens
  --backend wasm|cpu|…, --threads <n>`;

await main(async () => {
  const values = parseOptions(
    {
      ...COMMON_OPTIONS,
      checkpoint: { type: 'string' },
      'text-heads': { type: 'string' },
      'chunk-size': { type: 'string' },
      'max-tokens': { type: 'string' },
      size: { type: 'string' },
    },
    process.argv.slice(2),
  );
  if (values.help || values.checkpoint === undefined) {
    console.log(HELP);
    if (!values.help)
      throw new ExampleError(
        '--checkpoint is needed: the authors publish their PIR-ITR checkpoints with jaychempan/PIR (checkpoint_best.pth per dataset)',
      );
    return;
  }
  if (!existsSync(values.checkpoint))
    throw new ExampleError(`${values.checkpoint} does not exist (--checkpoint)`);
  console.log(await startBackend(values));
  // the synthetic benchmark needs the input size before the model is loaded: --size, else 224 (the released one)
  const source = dataSource(values, intOption('size', values.size, 224, 32), 120);
  const { data, description } = await loadData(source, ['test']);
  if (data.test === undefined) throw new ExampleError('no test split');
  console.log(`data: ${description}`);
  const textHeads = intOption('text-heads', values['text-heads'], undefined, 1);
  const chunkSize = intOption('chunk-size', values['chunk-size'], undefined, 1);
  const maxTokens = intOption('max-tokens', values['max-tokens'], undefined, 2);
  const result = await evaluateReleasedPirItr({
    checkpoint: new Uint8Array(await readFile(values.checkpoint)),
    split: data.test,
    ...(textHeads === undefined ? {} : { textHeads }),
    ...(chunkSize === undefined ? {} : { chunkSize }),
    ...(maxTokens === undefined ? {} : { maxTokens }),
    log: (line) => console.log(line),
  });
  const where = source.kind === 'real' ? source.dataset.toUpperCase() : 'synthetic';
  console.log(`\ntest split, released protocol (${result.seconds.toFixed(1)} s):`);
  console.log(
    formatTable([
      resultRow(`released PIR-ITR (yours, ${where})`, result.report),
      ...publishedRows(source, ['vse', 'pir-itr']),
    ]),
  );
});
