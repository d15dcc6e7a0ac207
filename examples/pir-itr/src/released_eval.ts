/**
 * The authors' PIR-ITR checkpoint (jaychempan/PIR, `checkpoint_best.pth`) evaluated with the released evaluation
 * protocol:
 *
 * 1. the checkpoint loaded strictly by `loadReleasedPirItr` of `@pir/models` — the released forward pass
 *    (`variant: 'released'`, BERT without attention mask, the hard belief over the first 50 vision tokens);
 * 2. images resized to the checkpoint's `image_res` (bicubic) and normalised with CLIP's mean and std — the
 *    released test transform (`evalTransform` of `@pir/datasets`; RSITMD's and RSICD's images are square, so
 *    resize-and-centre-crop is the released square resize);
 * 3. captions cleaned as the released dataset class does (`pre_caption`: `cleanCaption`, at most 30 words), then
 *    embedded by `embedCaptionsReleased`: in chunks of `batch_size_test_text` (128), each padded to its longest
 *    caption, truncated at `max_tokens` (47) — so a caption's embedding depends on its chunk, as in the released
 *    numbers;
 * 4. every image against every caption: R@1/5/10 both ways and mR (`evaluateRetrieval` of `@pir/metrics`).
 */
import { cleanCaption, evalTransform, imagesToBatch } from '@pir/datasets';
import { loadBertTokenizer, type Tokenizer } from '@pir/encoders';
import { evaluateRetrieval, type RetrievalReport } from '@pir/metrics';
import { embedCaptionsReleased, loadReleasedPirItr, type ReleasedPirItr } from '@pir/models';
import type { DataSplit } from '@pir/train';
import * as tf from '@tensorflow/tfjs-core';
import { ExampleError } from './data.js';

/** Options of {@link evaluateReleasedPirItr}. */
export interface ReleasedPirItrEvalOptions {
  /** The checkpoint: a path (Node) or its bytes. */
  checkpoint: string | Uint8Array;
  /** The images and captions to evaluate on (the test split). */
  split: DataSplit;
  /** The captions' tokenizer (default: bert-base-uncased's WordPiece, as released). */
  tokenizer?: Tokenizer;
  /** BERT's heads (not in the file; default width / 64 = 12 for BERT-base). */
  textHeads?: number;
  /** Captions per chunk and tokens per caption (default: the checkpoint's `batch_size_test_text`, `max_tokens`). */
  chunkSize?: number;
  maxTokens?: number;
  /** Images per forward pass (default 32). */
  imageBatch?: number;
  /** Called with a line per stage. */
  log?: (line: string) => void;
}

/** What {@link evaluateReleasedPirItr} measured, and what it loaded. */
export interface ReleasedPirItrEvaluation {
  report: RetrievalReport;
  /** The input side the checkpoint was trained at, the hard belief's k, the embedding width. */
  imageSize: number;
  k: number;
  dim: number;
  seconds: number;
}

/** The released model's input side (its Swin's, through the first-50-tokens wrapper when there is one). */
export function releasedImageSize(model: ReleasedPirItr): number {
  const vision = model.encoders.vision as {
    inner?: { config?: { imageSize?: number } };
    config?: { imageSize?: number };
  };
  return vision.inner?.config?.imageSize ?? vision.config?.imageSize ?? 224;
}

/** Evaluate the authors' PIR-ITR checkpoint on a split with the released protocol (see the module doc). */
export async function evaluateReleasedPirItr(
  options: ReleasedPirItrEvalOptions,
): Promise<ReleasedPirItrEvaluation> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const tokenizer = options.tokenizer ?? (await loadBertTokenizer());
  const model = await loadReleasedPirItr(options.checkpoint, {
    tokenizer,
    ...(options.textHeads === undefined ? {} : { textHeads: options.textHeads }),
  });
  const textVocab = (model.encoders.text as { config?: { vocabSize?: number } }).config?.vocabSize;
  if (textVocab !== undefined && tokenizer.vocabSize > textVocab) {
    model.dispose();
    throw new ExampleError(
      `the tokenizer has ${tokenizer.vocabSize} tokens, the checkpoint's BERT embeds ${textVocab}: this checkpoint was not trained with bert-base-uncased's WordPiece; pass the tokenizer it was trained with`,
    );
  }
  const vParts: tf.Tensor2D[] = [];
  let v: tf.Tensor2D | undefined;
  let t: tf.Tensor2D | undefined;
  try {
    const size = releasedImageSize(model);
    log(
      `loaded: PIR-ITR, ${size} px, k = ${model.k}, D = ${model.dim} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    const n = options.split.imageLabels.length;
    const batch = options.imageBatch ?? 32;
    for (let s = 0; s < n; s += batch) {
      const indices = Array.from({ length: Math.min(batch, n - s) }, (_, i) => s + i);
      const raws = await options.split.loadImages(indices);
      vParts.push(
        tf.tidy(() => model.embedImages(evalTransform(imagesToBatch(raws), { size }) as tf.Tensor4D, false)),
      );
    }
    v = vParts.length === 1 ? (vParts.pop() as tf.Tensor2D) : tf.concat(vParts, 0);
    log(`images: ${n} embedded`);
    const captions = options.split.captions.map((c) => cleanCaption(c, { maxWords: 30 }));
    t = embedCaptionsReleased(model, captions, {
      tokenizer,
      ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
      ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
    });
    log(`captions: ${captions.length} embedded in the released chunks`);
    const report = await evaluateRetrieval(v, t, options.split.captionToImage);
    return {
      report,
      imageSize: size,
      k: model.k,
      dim: model.dim,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    tf.dispose([...vParts, ...(v === undefined ? [] : [v]), ...(t === undefined ? [] : [t])]);
    model.dispose();
  }
}
