/**
 * The `pir` command.
 *
 *   pir demo [--backend wasm] [--threads N] [--epochs 4] [--images 240] [--size 32] [--seed 0] [--json]
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
import { DemoOptionsError } from './demo/errors.js';
import { MAX_SIZE, SIZE_MULTIPLE } from './demo/model.js';
import { DEMO_DEFAULTS, runDemo } from './demo/run.js';
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
  .option('--json', 'print the result as JSON at the end')
  .action(async (opts) => {
    const result = await runDemo({
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      epochs: opts.epochs,
      seed: opts.seed,
      data: { ...DEMO_DEFAULTS.data, images: opts.images, size: opts.size },
    });
    if (opts.json) {
      // per-query ranks are typed arrays: leave them out of the summary
      const summary = (r: RetrievalReport) => ({
        i2t: { recall: r.i2t.recall, medianRank: r.i2t.medianRank, meanRank: r.i2t.meanRank },
        t2i: { recall: r.t2i.recall, medianRank: r.t2i.medianRank, meanRank: r.t2i.meanRank },
        mR: r.mR,
        rsum: r.rsum,
      });
      console.log(
        JSON.stringify({ ...result, before: summary(result.before), after: summary(result.after) }),
      );
    }
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
const DEMO_FLAGS: Record<string, string> = { 'data.size': '--size', 'data.images': '--images' };

program
  .parseAsync(process.argv)
  // wasm worker threads may keep the event loop alive: the job is done, so leave
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    const flag = err instanceof DemoOptionsError ? DEMO_FLAGS[err.argument] : undefined;
    console.error(`pir: ${(err as Error)?.message ?? err}${flag !== undefined ? ` (option ${flag})` : ''}`);
    if (process.env.PIR_DEBUG) console.error(err);
    process.exit(1);
  });
