/**
 * `npm run train`: PIR-CLIP's two stages (`src/stages.ts`) and their test numbers at the epochs selected on
 * validation, next to the strongest published open-domain model.
 *
 * ```
 * npm run train                                                    # synthetic benchmark, pir-clip-tiny sizes
 * npm run train -- --image-dir ~/data/rsitmd/images --size paper --clip open_clip_pytorch_model.bin --micro-batch 32
 * ```
 */
import { resolve } from 'node:path';
import { loadClipTokenizer } from '@pir/encoders';
import { trainRecipe } from '@pir/models';
import type { ProgressMode } from '@pir/train/node';
import {
  DATA_OPTIONS,
  formatTable,
  intOption,
  loadData,
  main,
  parseOptions,
  type Row,
  referenceRow,
  row,
  startBackend,
} from './cli.js';
import { asTrainingData, ExampleError } from './data.js';
import { type ClipSize, trainTwoStages } from './stages.js';

const HELP = `npm run train -- [options]

data (RSITMD/RSICD with --image-dir, else the synthetic benchmark):
  --image-dir <folder>     the dataset's images (as the annotation paths say, or all in one folder)
  --dataset rsitmd|rsicd   default rsitmd
  --annotations <folder>   <dataset>_{train,val,test}.json (default ../shared/data/annotations)
  --train|--val|--test <file>  one split's PIR JSON file instead
  --images <n>             synthetic scenes (default 300), --data-seed <n>
model and recipe:
  --size test|tiny|base|paper   the catalogue's pir-clip-stage1-<size> and pir-clip-<size> (default tiny)
  --clip <file>            CLIP ViT-B/32 weights as a state dict (OpenCLIP .bin/.safetensors) for stage 1 (--size paper; implies the CLIP tokenizer)
  --train-instruction      stage 2 trains the instruction ResNet too, BatchNorm in training mode (the released
                           PIR-CLIP training; default: frozen, as the paper describes it)
  --epochs <n>, --batch-size <n>  change both stages' recipes
  --micro-batch <n>        rows per forward pass (gradient caching)
  --seed <n>               default 0
run:
  --run-dir <folder>       default runs/<data>-pir-clip-<size>
  --resume                 continue from the stages' latest checkpoints
  --progress auto|bar|lines|none, --backend wasm|cpu|…, --threads <n>`;

await main(async () => {
  const values = parseOptions(
    {
      ...DATA_OPTIONS,
      size: { type: 'string' },
      clip: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'micro-batch': { type: 'string' },
      seed: { type: 'string' },
      'run-dir': { type: 'string' },
      resume: { type: 'boolean' },
      progress: { type: 'string' },
      'train-instruction': { type: 'boolean' },
    },
    process.argv.slice(2),
  );
  if (values.help) {
    console.log(HELP);
    return;
  }
  const size = (values.size ?? 'tiny') as ClipSize;
  if (!['test', 'tiny', 'base', 'paper'].includes(size))
    throw new ExampleError(`--size must be test, tiny, base or paper, got ${size}`);
  const epochs = intOption('epochs', values.epochs, undefined, 1);
  const batchSize = intOption('batch-size', values['batch-size'], undefined, 2);
  const microBatch = intOption('micro-batch', values['micro-batch'], undefined, 1);
  console.log(await startBackend(values));
  const inputSize = trainRecipe(`pir-clip-${size}` as never).augment.size;
  const { data, description, dataset } = await loadData(values, ['train', 'val', 'test'], inputSize);
  console.log(`data: ${description}`);
  const runDir = resolve(values['run-dir'] ?? `runs/${dataset}-pir-clip-${size}`);
  console.log(`stage 1 (CLIP fine-tuning) then stage 2 (PIR) at ${size} size → ${runDir}`);
  const result = await trainTwoStages({
    size,
    data: asTrainingData(data),
    runDir,
    recipe: {
      ...(epochs === undefined ? {} : { epochs }),
      ...(batchSize === undefined ? {} : { batchSize }),
    },
    seed: intOption('seed', values.seed, 0),
    progress: (values.progress ?? 'auto') as ProgressMode,
    ...(microBatch === undefined ? {} : { microBatch }),
    ...(values.clip === undefined ? {} : { clip: values.clip, tokenizer: await loadClipTokenizer() }),
    ...(values.resume ? { resume: true } : {}),
    ...(values['train-instruction'] ? { trainInstruction: true } : {}),
    log: (line) => console.log(line),
  });
  const where = dataset === 'synthetic' ? 'synthetic' : dataset.toUpperCase();
  const rows: Row[] = [];
  if (result.stage1.test) rows.push(row(`stage 1: CLIP fine-tuned (${where})`, result.stage1.test));
  if (result.stage2?.test) rows.push(row(`stage 2: PIR-CLIP (${where})`, result.stage2.test));
  console.log('\ntest split at the epochs selected on validation mR:');
  console.log(formatTable([...rows, referenceRow(dataset)]));
  if (dataset === 'synthetic')
    console.log(
      'The synthetic benchmark is not RSITMD: compare stage 2 with stage 1, not with the published row.',
    );
  console.log(
    `runs: ${result.stage1.runDir}${result.stage2 ? `, ${result.stage2.runDir}` : ''} (each: curves, log, checkpoints, model/)`,
  );
});
