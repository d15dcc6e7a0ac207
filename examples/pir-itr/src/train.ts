/**
 * `npm run train`: train PIR-ITR (and with `--with-baseline` the VSE baseline) and print the test numbers at the
 * epoch selected on validation, next to the published ones (PIR_SPEC §7).
 *
 * ```
 * npm run train -- --data-dir ~/data/rsitmd/images                 # RSITMD, the paper configuration and recipe
 * npm run train -- --dataset rsicd --data-dir … --train rsicd_train.json
 * npm run train -- --with-baseline                                 # no --data-dir: the synthetic benchmark, pir-itr-tiny
 * ```
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ModelName, modelConfig, trainRecipe } from '@pir/models';
import type { ProgressMode } from '@pir/train/node';
import { COMMON_OPTIONS, dataSource, intOption, loadData, main, parseOptions, startBackend } from './cli.js';
import { asTrainingData, ExampleError } from './data.js';
import { formatTable } from './published.js';
import { comparisonRows } from './report.js';
import { baselineOf, reproduce } from './reproduce.js';

const HELP = `npm run train -- [options]

data (RSITMD/RSICD when --data-dir is given, else the synthetic benchmark):
  --data-dir <folder>      the dataset's images (as the annotation paths say, or all in one folder)
  --dataset rsitmd|rsicd   default rsitmd
  --annotations <folder>   <dataset>_{train,val,test}.json (default ../shared/data/annotations)
  --train|--val|--test <file>  one split's PIR JSON file instead
  --synthetic              the synthetic benchmark even with --data-dir
  --images <n>             synthetic scenes (default 300; 72/18/10 % train/val/test)
  --data-seed <n>          synthetic seed (default 0)
model and recipe:
  --config <name>          pir-itr-paper (default with --data-dir) | pir-itr-base | pir-itr-tiny (default
                           on the synthetic benchmark) | pir-itr-test
  --with-baseline          also train the VSE baseline of the same size on the same data
  --epochs <n>, --batch-size <n>   change the configuration's recipe
  --micro-batch <n>        rows per forward pass (gradient caching: the same gradient on less memory)
  --gradient-checkpointing recompute the encoders' activations in the backward pass, no packed weight
                           copies: with --micro-batch 1 the paper's configuration trains in wasm's 4 GiB
  --seed <n>               weights, batch order, augmentation (default 0)
  --swin|--bert|--resnet <file>   pretrained towers (ImageNet Swin-T, bert-base-uncased, the instruction
                           ResNet-50 trained on AID), as the published model starts from them
  --instruction-epochs <n> without --resnet: pre-train the instruction ResNet on the training split's scene
                           labels for n epochs (default 5; 0 keeps it random)
run:
  --run-dir <folder>       default runs/<data>-<config>
  --resume                 continue the runs from their latest checkpoints
  --progress auto|bar|lines|none
  --backend wasm|cpu|…, --threads <n>`;

await main(async () => {
  const values = parseOptions(
    {
      ...COMMON_OPTIONS,
      config: { type: 'string' },
      'with-baseline': { type: 'boolean' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'micro-batch': { type: 'string' },
      'gradient-checkpointing': { type: 'boolean' },
      seed: { type: 'string' },
      swin: { type: 'string' },
      bert: { type: 'string' },
      resnet: { type: 'string' },
      'instruction-epochs': { type: 'string' },
      'run-dir': { type: 'string' },
      resume: { type: 'boolean' },
      progress: { type: 'string' },
    },
    process.argv.slice(2),
  );
  if (values.help) {
    console.log(HELP);
    return;
  }
  const real = values['data-dir'] !== undefined && values.synthetic !== true;
  const config = (values.config ?? (real ? 'pir-itr-paper' : 'pir-itr-tiny')) as ModelName;
  let name: string;
  try {
    name = modelConfig(config).name;
    baselineOf(config as ModelName);
  } catch {
    throw new ExampleError(
      `--config must be pir-itr-paper, pir-itr-base, pir-itr-tiny or pir-itr-test, got ${config}`,
    );
  }
  const recipe = trainRecipe(config);
  const epochs = intOption('epochs', values.epochs, undefined, 1);
  const batchSize = intOption('batch-size', values['batch-size'], undefined, 2);
  const changes = {
    ...(epochs === undefined ? {} : { epochs }),
    ...(batchSize === undefined ? {} : { batchSize }),
  };
  console.log(await startBackend(values));
  const source = dataSource(values, recipe.augment.size);
  const { data, description } = await loadData(source, ['train', 'val', 'test']);
  console.log(`data: ${description}`);
  const tag = source.kind === 'synthetic' ? 'synthetic' : source.dataset;
  const runDir = resolve(String(values['run-dir'] ?? join('runs', `${tag}-${name}`)));
  const weights = {
    ...(values.swin === undefined ? {} : { swin: values.swin }),
    ...(values.bert === undefined ? {} : { bert: values.bert }),
    ...(values.resnet === undefined ? {} : { resnet: values.resnet }),
  };
  if (name === 'pir-itr-paper' && (weights.swin === undefined || weights.bert === undefined))
    console.log(
      'note: the published PIR-ITR starts from ImageNet Swin-T and bert-base-uncased (--swin, --bert) and an AID ResNet-50 (--resnet); without them the towers train from scratch',
    );
  const withBaseline = values['with-baseline'] === true;
  console.log(
    `training ${name}${withBaseline ? ` and ${baselineOf(config)}` : ''}: ${changes.epochs ?? recipe.epochs} epochs, batch ${changes.batchSize ?? recipe.batchSize}, ${recipe.augment.size} px, seed ${values.seed ?? 0} → ${runDir}`,
  );
  await mkdir(runDir, { recursive: true });
  const started = performance.now();
  const result = await reproduce({
    config,
    data: asTrainingData(data),
    runDir,
    withBaseline,
    recipe: changes,
    seed: intOption('seed', values.seed, 0),
    weights,
    instructionEpochs: intOption('instruction-epochs', values['instruction-epochs'], 5),
    progress: (values.progress ?? 'auto') as ProgressMode,
    ...(values['micro-batch'] === undefined
      ? {}
      : { microBatch: intOption('micro-batch', values['micro-batch'], 1, 1) }),
    ...(values['gradient-checkpointing'] === true ? { gradientCheckpointing: true } : {}),
    ...(values.resume ? { resume: 'auto' as const } : {}),
    log: (line) => console.log(line),
  });
  const seconds = (performance.now() - started) / 1000;
  await writeFile(
    join(runDir, 'example.json'),
    `${JSON.stringify({ data: source, config: name, withBaseline, result, seconds }, null, 2)}\n`,
  );
  console.log(
    `\ntest split at the epoch selected on validation mR (${(seconds / 60).toFixed(1)} min in all):`,
  );
  console.log(formatTable(comparisonRows(source, result)));
  if (source.kind === 'synthetic')
    console.log(
      'The synthetic benchmark is not RSITMD: compare the gap between PIR-ITR and the baseline, not the numbers.',
    );
  console.log(`runs: ${runDir} (npm run eval -- --run-dir ${runDir} evaluates the saved models again)`);
});
