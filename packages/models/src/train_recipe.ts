/**
 * The training recipe of a model configuration (its `train` key): plain data that a trainer reads — the
 * optimiser, the learning-rate schedule, epochs and batch, image augmentation, caption cleaning and the split
 * that selects the checkpoint (PIR_SPEC §5). Nothing here trains; `@pir/models` only checks the values.
 */
import type { FieldSpec } from './config_schema.js';

/** The optimiser (PIR_SPEC §5; `AdamW` of `@pir/train` takes `lr`, `betas`, `eps`, `weightDecay`). */
export interface OptimizerRecipe {
  /** `'adamw'`: Adam with decoupled weight decay (PyTorch's `torch.optim.AdamW`). */
  name: 'adamw';
  /** Peak learning rate (> 0), reached at the end of the warm-up. PIR-ITR: 6e-5. */
  lr: number;
  /** Decoupled weight decay (≥ 0). PIR-ITR: 0.01; PIR-CLIP: 0.5. */
  weightDecay: number;
  /** Adam's β1, β2 (each in [0, 1)). PIR: [0.9, 0.98]. */
  betas: [number, number];
  /** Adam's ε (> 0). PIR-ITR: 1e-8; PIR-CLIP: 1e-6. */
  eps: number;
  /**
   * Which parameters get no weight decay: `'rank<2'` — those of PyTorch rank < 2: biases, LayerNorm /
   * BatchNorm weights, temperatures, the logit scale (`noDecayByShape` of `@pir/train`: PIR-ITR's "none on
   * biases and norms" and open_clip's rule for PIR-CLIP); `'none'` — every parameter decays.
   */
  noDecay: 'rank<2' | 'none';
}

/**
 * The learning-rate schedule, per optimiser step: a linear warm-up to `lr`, then `name`. The warm-up is
 * `warmupFraction` of all steps or `warmupSteps` steps (at most one of them; neither: the trainer's default).
 * `@pir/train`'s `linearWarmupDecay` / `cosineWithWarmup` / `constantLr` take these fields.
 */
export interface ScheduleRecipe {
  /**
   * After the warm-up: `'linear'` decay to 0 at the last step (PIR-ITR; Hugging Face's
   * `get_linear_schedule_with_warmup`), `'cosine'` — a half cosine to 0 (PIR-CLIP; open_clip's `cosine_lr`),
   * or `'constant'`.
   */
  name: 'linear' | 'cosine' | 'constant';
  /** Share of all steps spent warming up, in [0, 1] (PIR-ITR: 0.1). */
  warmupFraction?: number;
  /** Warm-up steps, an integer ≥ 0 (PIR-CLIP's released command: 10 000). */
  warmupSteps?: number;
}

/** RandAugment (torchvision's), over PIR-ITR's subset of operations. */
export interface RandAugmentRecipe {
  /** Operations per image (N; PIR-ITR: 2). */
  numOps: number;
  /** Magnitude index M in [0, 30] of torchvision's 31 bins (PIR-ITR: 7). */
  magnitude: number;
  /**
   * Operations drawn from (default: all of them) — the names of `RAND_AUGMENT_OPS` in
   * `@pir/datasets/transforms`.
   */
  ops?: RandAugmentOpName[];
}

/** The operations of PIR-ITR's RandAugment (`RAND_AUGMENT_OPS` of `@pir/datasets/transforms`). */
export const RAND_AUGMENT_OP_NAMES = [
  'identity',
  'autoContrast',
  'equalize',
  'brightness',
  'sharpness',
  'shearX',
  'shearY',
  'translateX',
  'translateY',
  'rotate',
] as const;
/** A name of {@link RAND_AUGMENT_OP_NAMES}. */
export type RandAugmentOpName = (typeof RAND_AUGMENT_OP_NAMES)[number];

/**
 * Training-image augmentation, in this order (`trainTransform` of `@pir/datasets/transforms` takes these
 * fields): RandomResizedCrop to `size` (bicubic) → horizontal flip → RandAugment → normalise (CLIP mean/std).
 */
export interface AugmentRecipe {
  /** Output side in pixels: the vision encoder's `imageSize` (PIR: 224). */
  size: number;
  /** RandomResizedCrop's range of the crop area as a share of the image (PIR-ITR: [0.5, 1]; PIR-CLIP: [0.9, 1]). */
  scale: [number, number];
  /** Probability of a horizontal flip (PIR-ITR: 0.5; PIR-CLIP: 0). */
  flip: number;
  /** RandAugment, or `false` for none (PIR-ITR: N = 2, M = 7; PIR-CLIP: none). */
  randAugment: RandAugmentRecipe | false;
}

/** Caption preparation (PIR_SPEC §5). */
export interface CaptionRecipe {
  /**
   * PIR's cleaning (lower-case; delete `,.'!?"()*#:;~`; `-` and `/` to spaces — `cleanCaption` of
   * `@pir/datasets`), then keep at most this many words (30).
   */
  maxWords: number;
  /** Tokens per caption, special tokens included: the tokenizer's context length (BERT: 47; CLIP: 77). */
  maxTokens: number;
}

/** A model configuration's `train` key: how the published (or this size's) model is trained. */
export interface TrainRecipe {
  /** Passes over the training captions (PIR-ITR: 50). */
  epochs: number;
  /** Captions per optimiser step — the global batch (PIR-ITR: 256). */
  batchSize: number;
  optimizer: OptimizerRecipe;
  schedule: ScheduleRecipe;
  augment: AugmentRecipe;
  captions: CaptionRecipe;
  /**
   * The split whose retrieval mR selects the checkpoint kept: `'val'` (the project's rule) or `'test'` (what
   * the released code does; report both).
   */
  selectOn: 'val' | 'test';
  /** Where the values come from, and which ones were chosen here (free text). */
  notes?: string;
}

const unit = { kind: 'number', min: 0, max: 1 } as const;

/** The checks of a `train` key (`modelConfig` applies them). */
export const TRAIN_RECIPE_SPEC: FieldSpec = {
  kind: 'object',
  required: ['epochs', 'batchSize', 'optimizer', 'schedule', 'augment', 'captions', 'selectOn'],
  fields: {
    epochs: { kind: 'integer', min: 1 },
    batchSize: { kind: 'integer', min: 1 },
    optimizer: {
      kind: 'object',
      required: ['name', 'lr', 'weightDecay', 'betas', 'eps', 'noDecay'],
      fields: {
        name: { kind: 'enum', values: ['adamw'] },
        lr: { kind: 'number', above: 0, max: 1 },
        weightDecay: { kind: 'number', min: 0 },
        betas: {
          kind: 'tuple',
          items: [
            { kind: 'number', min: 0, below: 1 },
            { kind: 'number', min: 0, below: 1 },
          ],
        },
        eps: { kind: 'number', above: 0, max: 1 },
        noDecay: { kind: 'enum', values: ['rank<2', 'none'] },
      },
    },
    schedule: {
      kind: 'object',
      required: ['name'],
      fields: {
        name: { kind: 'enum', values: ['linear', 'cosine', 'constant'] },
        warmupFraction: unit,
        warmupSteps: { kind: 'integer', min: 0 },
      },
    },
    augment: {
      kind: 'object',
      required: ['size', 'scale', 'flip', 'randAugment'],
      fields: {
        size: { kind: 'integer', min: 1 },
        scale: {
          kind: 'tuple',
          items: [
            { kind: 'number', above: 0, max: 1 },
            { kind: 'number', above: 0, max: 1 },
          ],
          ordered: true,
        },
        flip: unit,
        randAugment: {
          kind: 'either',
          options: [
            { kind: 'enum', values: [false] },
            {
              kind: 'object',
              required: ['numOps', 'magnitude'],
              fields: {
                numOps: { kind: 'integer', min: 0 },
                magnitude: { kind: 'integer', min: 0, max: 30 },
                ops: {
                  kind: 'array',
                  items: { kind: 'enum', values: RAND_AUGMENT_OP_NAMES },
                  minItems: 1,
                  unique: true,
                },
              },
            },
          ],
        },
      },
    },
    captions: {
      kind: 'object',
      required: ['maxWords', 'maxTokens'],
      fields: {
        maxWords: { kind: 'integer', min: 1 },
        maxTokens: { kind: 'integer', min: 2 },
      },
    },
    selectOn: { kind: 'enum', values: ['val', 'test'] },
    notes: { kind: 'string' },
  },
};

/** Checks across the fields of a `train` key (after {@link TRAIN_RECIPE_SPEC}); throws a message per key. */
export function trainRecipeProblem(train: TrainRecipe): { key: string; detail: string } | undefined {
  const s = train.schedule;
  if (s.warmupFraction !== undefined && s.warmupSteps !== undefined)
    return { key: 'schedule.warmupSteps', detail: 'give warmupSteps or warmupFraction, not both' };
  return undefined;
}
