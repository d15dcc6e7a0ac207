/**
 * `npm run released`: the authors' PIR-CLIP checkpoint (their OpenCLIP fork: `visual.*` ViT, `res_visual.*`
 * ModifiedResNet instruction encoder, `vision_proj_res`, exact GELU) loaded strictly by `loadReleasedPirClip` of
 * `@pir/models` and scored on the test split (every image against every caption, R@1/5/10 both ways, mR), with
 * CLIP's BPE tokenizer and test transform.
 *
 * ```
 * npm run released -- --checkpoint pir_clip_rsitmd.pt --image-dir ~/data/rsitmd/images
 * ```
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadClipTokenizer, type Tokenizer } from '@pir/encoders';
import type { RetrievalReport } from '@pir/metrics';
import { loadReleasedPirClip } from '@pir/models';
import { type DataSplit, evaluateSplit } from '@pir/train';
import {
  DATA_OPTIONS,
  formatTable,
  intOption,
  loadData,
  main,
  parseOptions,
  referenceRow,
  row,
  startBackend,
} from './cli.js';
import { ExampleError } from './data.js';

/** Options of {@link evaluateReleasedPirClip}. */
export interface ReleasedPirClipEvalOptions {
  /** The checkpoint's bytes (`.pt` / `.bin` / `.safetensors`). */
  checkpoint: Uint8Array;
  split: DataSplit;
  /** Default: CLIP's BPE (as released). */
  tokenizer?: Tokenizer;
  /** OpenCLIP's head width (default 64). */
  headWidth?: number;
}

/** Load the released checkpoint and score it on `split`; leaves no tensor behind. */
export async function evaluateReleasedPirClip(o: ReleasedPirClipEvalOptions): Promise<RetrievalReport> {
  const tokenizer = o.tokenizer ?? (await loadClipTokenizer());
  const model = await loadReleasedPirClip(o.checkpoint, {
    tokenizer,
    ...(o.headWidth === undefined ? {} : { headWidth: o.headWidth }),
  });
  try {
    const vocab = (model.encoders.text as { config?: { vocabSize?: number } }).config?.vocabSize;
    if (vocab !== undefined && tokenizer.vocabSize > vocab)
      throw new ExampleError(
        `the tokenizer has ${tokenizer.vocabSize} tokens, the checkpoint's text tower embeds ${vocab}: pass the tokenizer it was trained with`,
      );
    return await evaluateSplit(model, o.split, { tokenizer });
  } finally {
    model.dispose();
  }
}

if (process.argv[1]?.endsWith('released.ts'))
  await main(async () => {
    const values = parseOptions(
      {
        ...DATA_OPTIONS,
        checkpoint: { type: 'string' },
        'head-width': { type: 'string' },
        size: { type: 'string' },
      },
      process.argv.slice(2),
    );
    if (values.help || values.checkpoint === undefined) {
      console.log(
        'npm run released -- --checkpoint <file> [--image-dir <folder> --dataset rsitmd|rsicd --test <file>] [--head-width 64]\n' +
          '  without --image-dir: the synthetic benchmark at --size px (default 224), a smoke test only',
      );
      if (!values.help)
        throw new ExampleError(
          '--checkpoint is needed (the authors publish PIR-CLIP checkpoints per dataset)',
        );
      return;
    }
    if (!existsSync(values.checkpoint))
      throw new ExampleError(`${values.checkpoint} does not exist (--checkpoint)`);
    console.log(await startBackend(values));
    const { data, description, dataset } = await loadData(
      values,
      ['test'],
      intOption('size', values.size, 224, 32),
    );
    console.log(`data: ${description}`);
    const headWidth = intOption('head-width', values['head-width'], undefined, 1);
    const t0 = performance.now();
    const report = await evaluateReleasedPirClip({
      checkpoint: new Uint8Array(await readFile(values.checkpoint)),
      split: data.test as DataSplit,
      ...(headWidth === undefined ? {} : { headWidth }),
    });
    console.log(`\ntest split (${((performance.now() - t0) / 1000).toFixed(1)} s):`);
    console.log(formatTable([row(`released PIR-CLIP (${dataset})`, report), referenceRow(dataset)]));
  });
