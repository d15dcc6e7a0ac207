/**
 * The `pir` command.
 *
 *   pir demo [--backend wasm] [--threads N] [--epochs 4] [--images 240] [--size 32] [--seed 0] [--out dir]
 *            [--no-baseline] [--json]
 *   pir train --config <name|file.json> --out <run-dir> (--synthetic N [--size px] | --train f [--val f]
 *             [--test f] --image-dir d) [--resume] [--epochs] [--batch-size] [--micro-batch]
 *             [--gradient-checkpointing] [--lr] [--seed]
 *             [--init model-dir] [--tokenizer words|bert|clip] [--progress auto|bar|lines|none] [--json]
 *   pir index <folder> --model <model-dir> --store <file:dir> [--batch-size] [--strict] [--shard i/n]
 *             [--tile px [--overlap px] [--bands 2,1,0]] [--json]
 *   pir search "<caption>" … --model <model-dir> --store <file:dir> [-k 10] [--image] [--sheet hits.png
 *             [--belief hard|soft|none]] [--json]
 *   pir serve --model <model-dir> --store <file:dir> [--port 8080] [--host 127.0.0.1] [--max-queue 16]
 *   pir eval --model <model-dir> (--synthetic N [--size px] [--seed] | --annotations f --image-dir d)
 *            [--split test] [--json]
 *   pir bench [--mode quick|full] [--only <names>] [--backend wasm] [--threads N] [--json]
 *   pir convert <released.pth | model-dir> <out-dir | out.safetensors> [--kind] [--names released|pir]
 *   pir info [--backend auto]
 *   pir --version
 */
import { cpus, totalmem } from 'node:os';
import type { RetrievalReport } from '@pir/metrics';
import { initBackend } from '@pir/runtime';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatBench, runBench } from './bench/run.js';
import { convert } from './commands/convert.js';
import type { DataSource } from './commands/data.js';
import { evalCommand } from './commands/eval.js';
import { ANN_AUTO_ROWS, formatHits, indexCommand, searchCommand, serveCommand } from './commands/search.js';
import { trainCommand } from './commands/train.js';
import { DemoOptionsError } from './demo/errors.js';
import { MAX_SIZE, SIZE_MULTIPLE } from './demo/model.js';
import { DEMO_DEFAULTS, runDemo } from './demo/run.js';
import { recallTable, reportJson, reportRow } from './format.js';
import { VERSION } from './version.js';

const BACKENDS = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'] as const;

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'.`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(Number.isFinite(n) && n > 0))
      throw new InvalidArgumentError(`${name} must be a positive number, got '${value}'.`);
    return n;
  };
}

/** The data flags shared by `pir train` and `pir eval`, as a {@link DataSource}. */
function dataSource(
  opts: {
    synthetic?: number;
    size: number;
    seed: number;
    imageDir?: string;
    train?: string;
    val?: string;
    test?: string;
    annotations?: string;
  },
  command: 'train' | 'eval',
): DataSource {
  const files = command === 'train' ? opts.train : opts.annotations;
  const fileFlag = command === 'train' ? '--train' : '--annotations';
  if (opts.synthetic !== undefined) {
    if (files !== undefined || opts.imageDir !== undefined)
      throw new InvalidArgumentError(
        `--synthetic and ${fileFlag} / --image-dir are two data sources: give one.`,
      );
    return { kind: 'synthetic', images: opts.synthetic, size: opts.size, seed: opts.seed };
  }
  if (files === undefined || opts.imageDir === undefined)
    throw new InvalidArgumentError(
      `no data: give --synthetic <images> (the built-in benchmark), or ${fileFlag} <annotations.json> with --image-dir <folder>.`,
    );
  return {
    kind: 'files',
    train: files,
    ...(opts.val === undefined ? {} : { val: opts.val }),
    ...(opts.test === undefined ? {} : { test: opts.test }),
    imageDir: opts.imageDir,
  };
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got '${value}'.`);
  return n;
}

const program = new Command()
  .name('pir')
  .description('PIR remote sensing image-text retrieval in TensorFlow.js')
  .version(VERSION, '-V, --version', 'print the version of @pir/cli')
  .showHelpAfterError();

program
  .command('demo')
  .description('train and evaluate PIR-ITR on the built-in synthetic remote-sensing benchmark (no downloads)')
  .addOption(
    new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default(DEMO_DEFAULTS.backend),
  )
  .option('-t, --threads <n>', 'wasm threads (default: all cores)', positiveInt('--threads'))
  .option('-e, --epochs <n>', 'training epochs', positiveInt('--epochs'), DEMO_DEFAULTS.epochs)
  .option(
    '--images <n>',
    `synthetic images (${100 * DEMO_DEFAULTS.data.testShare} % of them for testing)`,
    positiveInt('--images'),
    DEMO_DEFAULTS.data.images,
  )
  .option(
    '--size <px>',
    `image side in pixels (a multiple of ${SIZE_MULTIPLE} in [${SIZE_MULTIPLE}, ${MAX_SIZE}])`,
    positiveInt('--size'),
    DEMO_DEFAULTS.data.size,
  )
  .option('-s, --seed <n>', 'random seed', integer, DEMO_DEFAULTS.seed)
  .option('-o, --out <dir>', 'folder of the runs (default: pir-demo-<date>-<time>)')
  .option('--no-baseline', 'train PIR-ITR only, not the VSE baseline')
  .option('--json', 'print the result as JSON at the end')
  .action(async (opts) => {
    const result = await runDemo({
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.out !== undefined ? { out: opts.out } : {}),
      epochs: opts.epochs,
      seed: opts.seed,
      baseline: opts.baseline !== false,
      data: { ...DEMO_DEFAULTS.data, images: opts.images, size: opts.size },
    });
    if (opts.json) {
      // per-query ranks are typed arrays: leave them out of the summary
      const summary = (r: RetrievalReport) => reportJson(r);
      const run = (r: (typeof result)['pirItr']) => ({ ...r, test: summary(r.test) });
      console.log(
        JSON.stringify({
          ...result,
          pirItr: run(result.pirItr),
          ...(result.vse === undefined ? {} : { vse: run(result.vse) }),
          before: summary(result.before),
          after: summary(result.after),
        }),
      );
    }
  });

program
  .command('train')
  .description(
    'train a model (a catalogue name or a configuration file) on the synthetic benchmark or on annotation files, into a run directory with checkpoints, log, curves and the selected model',
  )
  .requiredOption(
    '-c, --config <name|file>',
    'a catalogue model (pir-itr-tiny, vse-tiny, pir-clip-tiny, pir-itr, …) or a .json configuration',
  )
  .requiredOption('-o, --out <dir>', 'the run directory')
  .option(
    '--synthetic <images>',
    'train on the built-in synthetic benchmark with this many images (70/15/15 % train/val/test)',
    positiveInt('--synthetic'),
  )
  .option('--size <px>', 'synthetic image side in pixels', positiveInt('--size'), 64)
  .option('--train <file>', 'training annotations (PIR JSON, or a Karpathy dataset_*.json with every split)')
  .option('--val <file>', 'validation annotations (select the epoch kept)')
  .option('--test <file>', 'test annotations (reported at the selected epoch)')
  .option('--image-dir <dir>', "the folder the annotations' image paths are relative to")
  .option(
    '--resume',
    "continue the run in --out from its latest checkpoint (exactly: the same result as if it hadn't stopped)",
  )
  .option('-e, --epochs <n>', "epochs (default: the configuration's recipe)", positiveInt('--epochs'))
  .option('--batch-size <n>', "captions per step (default: the recipe's)", positiveInt('--batch-size'))
  .option(
    '--micro-batch <n>',
    'captions per forward pass: below the batch, gradient caching (same result, less memory)',
    positiveInt('--micro-batch'),
  )
  .option(
    '--gradient-checkpointing',
    "low-memory mode for large models: recompute the encoders' activations in the backward pass and keep no packed copy of the weights (same gradients; slower per step). With --micro-batch 1, trains the paper-size pir-itr in the 4 GiB wasm heap",
  )
  .option('--lr <x>', "peak learning rate (default: the recipe's)", positiveNumber('--lr'))
  .option(
    '-s, --seed <n>',
    'seed of the run (weights, batch order, augmentation, dropout; and the synthetic data)',
    integer,
    0,
  )
  .option(
    '--init <model-dir>',
    "start from a model directory's weights (matching names and shapes; e.g. PIR-CLIP stage 1)",
  )
  .addOption(
    new Option(
      '--tokenizer <kind>',
      "captions' tokenizer (default: --init's, else a word vocabulary of the training captions)",
    ).choices(['words', 'bert', 'clip']),
  )
  .addOption(
    new Option('--progress <mode>', 'progress display')
      .choices(['auto', 'bar', 'lines', 'none'])
      .default('auto'),
  )
  .addOption(new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
  .option('-t, --threads <n>', 'wasm threads (default: all cores)', positiveInt('--threads'))
  .option('--json', "print the run's results as JSON at the end")
  .action(async (opts) => {
    const data = dataSource(opts, 'train');
    await initBackend({
      backend: opts.backend,
      seed: opts.seed,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.gradientCheckpointing === true ? { cachePackedWeights: false } : {}),
    });
    const result = await trainCommand({
      config: opts.config,
      data,
      out: opts.out,
      seed: opts.seed,
      progress: opts.progress,
      ...(opts.resume === true ? { resume: true } : {}),
      ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
      ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
      ...(opts.microBatch !== undefined ? { microBatch: opts.microBatch } : {}),
      ...(opts.gradientCheckpointing === true ? { gradientCheckpointing: true } : {}),
      ...(opts.lr !== undefined ? { lr: opts.lr } : {}),
      ...(opts.init !== undefined ? { init: opts.init } : {}),
      ...(opts.tokenizer !== undefined ? { tokenizer: opts.tokenizer } : {}),
    });
    if (result.status === 'interrupted') {
      console.error(`pir: interrupted; resume with: pir train … --out ${result.runDir} --resume`);
      process.exit(130);
    }
    if (opts.json)
      console.log(
        JSON.stringify({
          status: result.status,
          runDir: result.runDir,
          files: result.files,
          best: result.best,
          val: result.val ?? null,
          test: result.test ?? null,
          steps: result.steps,
          seconds: result.seconds,
          peakTensorBytes: result.peakBytes,
          peakRssBytes: result.peakRssBytes,
        }),
      );
    else
      console.log(
        `\nselected model: ${result.files.model ?? '(none)'}\nevaluate it with: pir eval --model ${result.files.model ?? '<model-dir>'} …`,
      );
  });

program
  .command('eval')
  .description('score a model directory on a split: R@1/5/10 image→text and text→image, mR')
  .requiredOption(
    '-m, --model <dir>',
    'the model directory (pir train writes <run>/model; pir convert writes one)',
  )
  .option(
    '--synthetic <images>',
    'the built-in synthetic benchmark with this many images (as pir train made it)',
    positiveInt('--synthetic'),
  )
  .option('--size <px>', 'synthetic image side in pixels', positiveInt('--size'), 64)
  .option('-s, --seed <n>', 'seed of the synthetic benchmark', integer, 0)
  .option('--annotations <file>', 'annotations (PIR JSON of one split, or a Karpathy dataset_*.json)')
  .option('--image-dir <dir>', "the folder the annotations' image paths are relative to")
  .addOption(new Option('--split <name>', 'the split').choices(['train', 'val', 'test']).default('test'))
  .addOption(new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
  .option('-t, --threads <n>', 'wasm threads (default: all cores)', positiveInt('--threads'))
  .option('--json', 'print the result as JSON')
  .action(async (opts) => {
    const data = dataSource(opts, 'eval');
    await initBackend({
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    });
    const r = await evalCommand({ model: opts.model, data, split: opts.split });
    if (opts.json) {
      console.log(
        JSON.stringify({ model: r.model, data: r.data, seconds: r.seconds, ...reportJson(r.report) }),
      );
      return;
    }
    console.log(`model: ${r.model.name} (${r.model.architecture}), ${r.model.dir}`);
    console.log(
      `data: ${r.data}: ${r.report.nImages} images × ${r.report.nTexts} captions (${r.seconds.toFixed(1)} s)`,
    );
    console.log(recallTable([reportRow(r.model.name, r.report)]));
    console.log(
      `median rank I2T ${r.report.i2t.medianRank} · T2I ${r.report.t2i.medianRank} · ties counted ${r.report.ties}`,
    );
  });

program
  .command('index')
  .description(
    'embed every image of a folder (JPEG, PNG, TIFF, WebP; sub-folders too), and captions, into a store with a model; resumable (run it again after a crash: it adds what is missing) and shardable',
  )
  .argument('[folder]', 'the archive: a folder of images')
  .requiredOption('-m, --model <dir>', 'the model directory (pir train … → <run>/model, pir convert)')
  .requiredOption(
    '-s, --store <uri>',
    'the store: file:./archive.pirdb (created on first use), a folder, or postgres://user@host/db?collection=name',
  )
  .option(
    '--captions <file>',
    'also store the captions of an annotation file (RSICD/RSITMD JSON, PIR JSON) or a .txt (one per line), for image → captions',
  )
  .addOption(
    new Option(
      '--ann <mode>',
      `approximate index (HNSW): auto = from ${ANN_AUTO_ROWS.toLocaleString('en')} images or when the store has one, on, off`,
    )
      .choices(['auto', 'on', 'off'])
      .default('auto'),
  )
  .option(
    '--batch-size <n>',
    'images per forward pass and per committed batch (default 32)',
    positiveInt('--batch-size'),
  )
  .option('--strict', 'stop at the first unreadable image (default: report each one and go on)')
  .option('--shard <i/n>', 'index only shard i of n (0-based): n processes can fill one store together')
  .option(
    '--tile <px>',
    'cut TIFF/GeoTIFF scenes into tiles of this side (each keeps its window and ground bounds)',
    positiveInt('--tile'),
  )
  .option('--overlap <px>', 'pixels shared by neighbouring tiles (default 0)', integer)
  .option('--bands <list>', 'GeoTIFF bands composed as RGB, 0-based (e.g. 2,1,0: Landsat natural colour)')
  .addOption(new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
  .option('-t, --threads <n>', 'wasm threads (default: all cores)', positiveInt('--threads'))
  .option('--json', 'print the summary as JSON')
  .action(async (folder: string | undefined, opts) => {
    await initBackend({
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    });
    const tty = process.stderr.isTTY === true && !opts.json;
    const s = await indexCommand({
      ...(folder !== undefined ? { folder } : {}),
      ...(opts.captions !== undefined ? { captions: opts.captions } : {}),
      ann: opts.ann,
      model: opts.model,
      store: opts.store,
      ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
      ...(opts.strict === true ? { strict: true } : {}),
      ...(opts.shard !== undefined ? { shard: opts.shard } : {}),
      ...(opts.tile !== undefined ? { tile: opts.tile } : {}),
      ...(opts.overlap !== undefined ? { overlap: opts.overlap } : {}),
      ...(opts.bands !== undefined ? { bands: opts.bands } : {}),
      progress: (line, final) => {
        if (tty) process.stderr.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
        else if (!opts.json) process.stderr.write(`${line}\n`);
      },
    });
    if (opts.json) {
      console.log(JSON.stringify(s));
      return;
    }
    console.log(
      `${s.store}: ${s.added} added, ${s.alreadyIndexed} already there, ${s.failed.length} unreadable (${s.seconds.toFixed(1)} s)`,
    );
    for (const f of s.failed) console.log(`  unreadable: ${f.path}: ${f.error}`);
    if (s.captions !== undefined) {
      const c = s.captions;
      console.log(
        `captions: ${c.added} added, ${c.alreadyIndexed} already there${c.skipped.length > 0 ? `, ${c.skipped.length} entries skipped` : ''} (${c.seconds.toFixed(1)} s)`,
      );
      for (const x of c.skipped) console.log(`  skipped: ${x}`);
    }
    if (s.ann !== undefined) console.log(`approximate index built in ${s.ann.seconds.toFixed(1)} s`);
  });

program
  .command('search')
  .description('find the images of a store that match a caption (or, with --image, an image)')
  .argument('<query...>', 'one or more captions (quote each), or image files with --image')
  .requiredOption('-m, --model <dir>', 'the model directory the store was built with')
  .requiredOption(
    '-s, --store <uri>',
    'the store: file:./archive.pirdb, a folder, or postgres://…?collection=name',
  )
  .option('-k, --top <k>', 'hits per query', positiveInt('--top'), 10)
  .option('--image', 'the queries are image files: image → images')
  .option(
    '--captions',
    "with --image: rank the store's captions (pir index --captions) instead of its images",
  )
  .option('--exact', 'exact search even where the store has an approximate index')
  .option(
    '--sheet <file.png>',
    'a contact sheet of the hits with the belief heat-map (PIR-ITR); several queries: file-1.png, …',
  )
  .addOption(
    new Option(
      '--belief <mode>',
      'heat-map on the sheet: hard (kept vs dropped tokens), soft (belief scores), none',
    )
      .choices(['hard', 'soft', 'none'])
      .default('hard'),
  )
  .addOption(new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
  .option('-t, --threads <n>', 'wasm threads (default: all cores)', positiveInt('--threads'))
  .option('--json', 'print the hits as JSON')
  .action(async (queries: string[], opts) => {
    await initBackend({
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    });
    const results = await searchCommand({
      queries,
      model: opts.model,
      store: opts.store,
      k: opts.top,
      ...(opts.image === true ? { image: true } : {}),
      ...(opts.captions === true ? { captions: true } : {}),
      ...(opts.exact === true ? { exact: true } : {}),
      ...(opts.sheet !== undefined ? { sheet: opts.sheet, belief: opts.belief } : {}),
    });
    if (opts.json) {
      console.log(JSON.stringify(results));
      return;
    }
    console.log(results.map((r) => formatHits(r.query, r.hits)).join('\n\n'));
    for (const r of results) if (r.sheet !== undefined) console.log(`contact sheet: ${r.sheet}`);
  });

program
  .command('serve')
  .description(
    'an HTTP JSON API and a search page over a store (POST /search, GET /health, GET /image, GET /)',
  )
  .requiredOption('-m, --model <dir>', 'the model directory the store was built with')
  .requiredOption(
    '-s, --store <uri>',
    'the store: file:./archive.pirdb, a folder, or postgres://…?collection=name',
  )
  .option('-p, --port <n>', 'port (0: any free one)', integer, 8080)
  .option('--host <address>', 'address to bind (default 127.0.0.1: this machine only)', '127.0.0.1')
  .option('--max-queue <n>', 'searches waiting before 503 (default 16)', positiveInt('--max-queue'))
  .addOption(new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
  .option('-t, --threads <n>', 'wasm threads (default: all cores)', positiveInt('--threads'))
  .action(async (opts) => {
    await initBackend({
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    });
    const { url, close } = await serveCommand({
      model: opts.model,
      store: opts.store,
      port: opts.port,
      host: opts.host,
      ...(opts.maxQueue !== undefined ? { maxQueue: opts.maxQueue } : {}),
    });
    console.log(`pir serve: ${url} (Ctrl-C stops)`);
    // serve until Ctrl-C or SIGTERM (the command's promise resolving would exit the process)
    await new Promise<void>((ok) => {
      const stop = () => void close().then(ok);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });

program
  .command('bench')
  .description('measure inference and training speed of the PIR models on this machine (no downloads)')
  .addOption(
    new Option('-m, --mode <mode>', 'quick (3 runs each) or full (7 runs, recipe batches)')
      .choices(['quick', 'full'])
      .default('quick'),
  )
  .option('--only <names...>', 'only rows whose name contains one of these (e.g. swin bert pir-itr)')
  .addOption(new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
  .option('-t, --threads <n>', 'wasm threads (default: all cores)', positiveInt('--threads'))
  .option('--json', 'print the rows as JSON')
  .action(async (opts) => {
    const info = await initBackend({
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    });
    const cpu = cpus();
    const machine = `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
    const backend = `${info.name}${info.threads !== undefined ? ` (${info.threads} thread${info.threads === 1 ? '' : 's'}${info.simd ? ', SIMD' : ''})` : ''}`;
    if (!opts.json) console.log(`${machine}\nbackend: ${backend}, @pir/cli ${VERSION}\n`);
    const rows = await runBench({
      mode: opts.mode,
      ...(opts.only !== undefined ? { only: opts.only } : {}),
      ...(opts.json ? {} : { onRow: (name: string) => process.stderr.write(`measuring ${name} …\n`) }),
    });
    if (opts.json) console.log(JSON.stringify({ machine, backend, version: VERSION, rows }));
    else console.log(formatBench(rows));
  });

program
  .command('convert')
  .description(
    "convert an authors' PyTorch checkpoint (PIR-ITR .pth, PIR-CLIP .pt/.safetensors) into a model directory, or a model directory's weights into a safetensors file with PyTorch names",
  )
  .argument('<input>', 'a released checkpoint, or a model directory (with pir-model.json)')
  .argument('<output>', 'the model directory to write, or the .safetensors file to write')
  .addOption(
    new Option('--kind <kind>', 'the released checkpoint is (default: read off its keys)').choices([
      'pir-itr',
      'pir-clip',
    ]),
  )
  .addOption(
    new Option('--names <names>', "exporting: released (the authors' names) or pir (ours)").choices([
      'released',
      'pir',
    ]),
  )
  .option('--no-tokenizer', 'importing: save the model without a tokenizer')
  .option(
    '--text-heads <n>',
    'released PIR-ITR: BERT heads (when the width is not a multiple of 64)',
    positiveInt('--text-heads'),
  )
  .option('--head-width <n>', "released PIR-CLIP: OpenCLIP's head width (64)", positiveInt('--head-width'))
  .addOption(new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default('cpu'))
  .action(async (input: string, output: string, opts) => {
    await initBackend({ backend: opts.backend });
    await convert(input, output, {
      ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
      ...(opts.names !== undefined ? { names: opts.names } : {}),
      ...(opts.tokenizer === false ? { noTokenizer: true } : {}),
      ...(opts.textHeads !== undefined ? { textHeads: opts.textHeads } : {}),
      ...(opts.headWidth !== undefined ? { headWidth: opts.headWidth } : {}),
      log: (line) => console.log(line),
    });
  });

program
  .command('info')
  .description('initialise a backend and print what was chosen')
  .addOption(new Option('-b, --backend <name>', 'tfjs backend').choices(BACKENDS).default('auto'))
  .action(async (opts) => {
    console.log(JSON.stringify(await initBackend({ backend: opts.backend }), null, 2));
  });

/** The `pir demo` flag of each `runDemo` option a {@link DemoOptionsError} can name. */
const DEMO_FLAGS: Record<string, string> = { 'data.size': '--size', 'data.images': '--images', out: '--out' };

program
  .parseAsync(process.argv)
  // wasm worker threads may keep the event loop alive: the job is done, so leave
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    const flag = err instanceof DemoOptionsError ? DEMO_FLAGS[err.argument] : undefined;
    const message = String((err as Error)?.message ?? err);
    // PirErrors start with where they happened ('pir train: …'): no second 'pir:'
    console.error(
      `${message.startsWith('pir ') ? '' : 'pir: '}${message}${flag !== undefined ? ` (option ${flag})` : ''}`,
    );
    if (process.env.PIR_DEBUG) console.error(err);
    process.exit(1);
  });
