/**
 * From sampled rows to the tensors of a training step, and from a split to its embeddings: image
 * augmentation (`trainTransform` of `@pir/datasets` with the recipe's RandomResizedCrop, flip, RandAugment),
 * evaluation preprocessing (`evalTransform`), PIR's caption cleaning and the tokenizer.
 */

import type { TrainPipelineOptions } from '@pir/datasets';
import {
  type Batch,
  cleanCaption,
  evalTransform,
  imagesToBatch,
  type RawImage,
  trainTransform,
} from '@pir/datasets';
import { imageToTensor } from '@pir/datasets/transforms';
import type { Tokenizer } from '@pir/encoders';
import type { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';

/** The batch of one training step (what `modelTask(model)` takes for every model of `@pir/models`). */
export interface TrainBatch {
  /** [B, S, S, 3] augmented, normalised images (row r shows what caption r describes). */
  images: tf.Tensor4D;
  /** [B, L] int32 token ids of the cleaned captions. */
  ids: tf.Tensor2D;
  /** [B, L] 1 = token. */
  mask: tf.Tensor2D;
  /** [B] image index of each row (rows of one image are positives). */
  imageIds: number[];
  /** [B] scene label of each row's image. */
  labels: number[];
}

/** Free the tensors of a {@link TrainBatch}. */
export function disposeTrainBatch(batch: TrainBatch): void {
  tf.dispose([batch.images, batch.ids, batch.mask]);
}

/** Whether all images have one size (then they are transformed as one batch). */
function sameSize(images: readonly RawImage[]): boolean {
  const first = images[0] as RawImage;
  return images.every((im) => im.width === first.width && im.height === first.height);
}

/**
 * `[B, S, S, 3]`: each image augmented with the recipe's `trainTransform` (values in [0, 1] first), drawing
 * from `rng` only (the same state gives the same batch). Images of different sizes are transformed one by one.
 */
export function augmentImages(
  images: readonly RawImage[],
  rng: Rng,
  options: TrainPipelineOptions,
): tf.Tensor4D {
  return tf.tidy(() => {
    if (sameSize(images)) return trainTransform(imagesToBatch(images), rng, options);
    return tf.stack(
      images.map((im) => trainTransform(imageToTensor(im) as tf.Tensor3D, rng, options)),
    ) as tf.Tensor4D;
  });
}

/** `[B, S, S, 3]`: evaluation preprocessing (resize the shorter side, centre crop, CLIP normalisation). */
export function preprocessImages(images: readonly RawImage[], size: number): tf.Tensor4D {
  return tf.tidy(() => {
    if (sameSize(images)) return evalTransform(imagesToBatch(images), { size });
    return tf.stack(
      images.map((im) => evalTransform(imageToTensor(im) as tf.Tensor3D, { size })),
    ) as tf.Tensor4D;
  });
}

/** Token ids and mask [B, L] of captions cleaned as PIR does (`cleanCaption`, at most `maxWords` words). */
export function tokenize(
  tokenizer: Tokenizer,
  captions: readonly string[],
  maxWords: number,
): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const { ids, mask } = tokenizer.batch(captions.map((c) => cleanCaption(c, { maxWords })));
  return { ids: ids as tf.Tensor2D, mask: mask as tf.Tensor2D };
}

/**
 * The tensors of one training step from a sampled batch: the rows' images augmented, their captions cleaned
 * and tokenised.
 * @param images the decoded image of each row (`batch.imageIds` order)
 * @param captions the raw caption of each row (`batch.captions` order)
 */
export function makeTrainBatch(
  batch: Batch,
  images: readonly RawImage[],
  captions: readonly string[],
  tokenizer: Tokenizer,
  maxWords: number,
  rng: Rng,
  augment: TrainPipelineOptions,
): TrainBatch {
  const x = augmentImages(images, rng, augment);
  try {
    const { ids, mask } = tokenize(tokenizer, captions, maxWords);
    return {
      images: x,
      ids,
      mask,
      imageIds: Array.from(batch.imageIds),
      labels: batch.labels === undefined ? Array.from(batch.imageIds, () => 0) : Array.from(batch.labels),
    };
  } catch (e) {
    x.dispose();
    throw e;
  }
}
