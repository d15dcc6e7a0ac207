/**
 * Image transforms on tfjs tensors [H, W, C] or [B, H, W, C] (float32, [0, 1] before normalisation), seeded
 * with `Rng` from `@pir/runtime`: bicubic resize (PyTorch's or PIL's antialiased), centre crop,
 * RandomResizedCrop, horizontal flip, RandAugment, CLIP normalisation, and the eval/train pipelines.
 */
export { centerCrop } from './crop.js';
export { TransformInputError } from './errors.js';
export { horizontalFlip, randomHorizontalFlip } from './flip.js';
export { asBatch, type ImageTensor, roundHalfEven } from './image_tensor.js';
export { CLIP_MEAN, CLIP_STD, IMAGENET_MEAN, IMAGENET_STD, normalize } from './normalize.js';
export {
  evalTransform,
  type PipelineOptions,
  type TrainPipelineOptions,
  trainTransform,
} from './pipeline.js';
export {
  type AugmentStep,
  applyAugmentOp,
  applyAugmentOpJs,
  augmentMagnitude,
  equalizeLut,
  RAND_AUGMENT_OPS,
  type RandAugmentOp,
  type RandAugmentOptions,
  randAugment,
  sampleAugmentSteps,
} from './rand_augment.js';
export {
  type RandomResizedCropOptions,
  randomResizedCrop,
  sampleResizedCropBox,
} from './random_resized_crop.js';
export { type Box, type ResizeOptions, resize, resizedCrop, resizedCrops, resizedShape } from './resize.js';
export { cubicKernel, resizeWeights } from './resize_weights.js';
export { imagesToBatch, imageToTensor } from './to_tensor.js';
