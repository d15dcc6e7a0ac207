/**
 * The checks of each architecture's model fields (a configuration's `config` key): what `modelConfig`
 * enforces — types, ranges, enum values, unknown keys — on top of the constructors' own checks.
 */
import type { FieldSpec } from './config_schema.js';

const positive = { kind: 'integer', min: 1 } as const;
const boolean = { kind: 'boolean' } as const;
const lambda = { kind: 'number', min: 0 } as const;

/** `LearnableTemperatureConfig` of `@pir/losses` without its per-run `name`. */
const temperature: FieldSpec = {
  kind: 'object',
  fields: {
    init: { kind: 'number', above: 0 },
    parametrization: { kind: 'enum', values: ['direct', 'log'] },
    min: { kind: 'number', above: 0 },
    max: { kind: 'number', above: 0 },
    trainable: boolean,
  },
};

const lossFields = {
  loss: { kind: 'enum', values: ['contrastive', 'triplet'] },
  margin: { kind: 'number', min: 0 },
  maxViolation: boolean,
} as const satisfies Record<string, FieldSpec>;

/** The fields of a PIR-ITR configuration (`PirItrConfig` without `seed` and `ownsEncoders`). */
export const PIR_ITR_FIELDS: FieldSpec = {
  kind: 'object',
  fields: {
    dim: positive,
    k: positive,
    heads: positive,
    spatialLayers: positive,
    temporalLayers: positive,
    dropout: { kind: 'number', min: 0, below: 1 },
    lambda,
    variant: { kind: 'enum', values: ['paper', 'released'] },
    noBelief: boolean,
    noSpatialPae: boolean,
    noTemporalPae: boolean,
    ...lossFields,
    temperature,
    affiliationTemperature: temperature,
  },
};

/** The fields of a PIR-CLIP configuration (`PirClipConfig` without `seed` and `ownsEncoders`). */
export const PIR_CLIP_FIELDS: FieldSpec = {
  kind: 'object',
  fields: {
    variant: { kind: 'enum', values: ['paper', 'released'] },
    lambda,
    noBelief: boolean,
    noInstruction: boolean,
    trainInstruction: boolean,
    logitScale: {
      kind: 'object',
      fields: {
        init: { kind: 'number', above: 0 },
        maxScale: { kind: 'number', above: 0 },
        trainable: boolean,
      },
    },
  },
};

/** The fields of a VSE configuration (`VseConfig` without `seed` and `ownsEncoders`). */
export const VSE_FIELDS: FieldSpec = {
  kind: 'object',
  fields: {
    dim: positive,
    lambda,
    ...lossFields,
    temperature,
    affiliationTemperature: temperature,
  },
};
