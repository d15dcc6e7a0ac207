/**
 * The named encoder configurations — open_clip's `model_configs/` for the encoders of this package: every
 * published size under its usual name, and the tiny sizes the tests use under `*-test`. A model config (see
 * `@pir/models`) names its encoders this way, and `createEncoder` builds one from a name.
 *
 * | name                | architecture      | what it is                                              |
 * |---------------------|-------------------|---------------------------------------------------------|
 * | `swin-t`            | `swin`            | Swin-T, 224 px (PIR-ITR's vision encoder)               |
 * | `bert-base-uncased` | `bert`            | BERT-base (PIR-ITR's text encoder)                      |
 * | `resnet50`          | `resnet`          | torchvision ResNet-50 (PIR-ITR's instruction encoder)   |
 * | `resnet18`          | `resnet`          | torchvision ResNet-18                                   |
 * | `clip-vit-b32`      | `clip-vit`        | CLIP ViT-B/32 image tower (PIR-CLIP's vision encoder)   |
 * | `clip-text-b32`     | `clip-text`       | CLIP ViT-B/32's text tower (PIR-CLIP's text encoder)    |
 * | `clip-rn50`         | `clip-resnet`     | CLIP RN50 image tower (PIR-CLIP's instruction encoder)  |
 * | `gru-vse`           | `gru`             | the VSE++ bidirectional GRU text encoder (baseline)     |
 * | `*-test`            | each of the above | a tiny size of the same architecture, for tests         |
 */
import { EncoderError } from '../layers/errors.js';
import { BERT_BASE, BERT_TEST, type BertConfig, BertEncoder } from './bert.js';
import { CLIP_TEXT_B32, CLIP_TEXT_TEST, type ClipTextConfig, ClipTextTransformer } from './clip_text.js';
import { CLIP_VIT_B32, CLIP_VIT_TEST, type ClipVisionConfig, ClipVisionTransformer } from './clip_vit.js';
import { GRU_TEST, GRU_VSE, type GruTextConfig, GruTextEncoder } from './gru.js';
import { CLIP_RN_TEST, CLIP_RN50, ModifiedResNet, type ModifiedResNetConfig } from './modified_resnet.js';
import type { ResNetOptions, TextModelOptions } from './options.js';
import { RESNET_TEST, RESNET18, RESNET50, ResNet, type ResNetConfig } from './resnet.js';
import { SWIN_T, SWIN_TEST, type SwinConfig, SwinTransformer } from './swin.js';

/** Each architecture: its configuration type and the encoder class it builds. */
export interface EncoderArchitectures {
  swin: { config: SwinConfig; encoder: SwinTransformer };
  bert: { config: BertConfig; encoder: BertEncoder };
  resnet: { config: ResNetConfig; encoder: ResNet };
  'clip-vit': { config: ClipVisionConfig; encoder: ClipVisionTransformer };
  'clip-text': { config: ClipTextConfig; encoder: ClipTextTransformer };
  'clip-resnet': { config: ModifiedResNetConfig; encoder: ModifiedResNet };
  gru: { config: GruTextConfig; encoder: GruTextEncoder };
}

/** An architecture name: `'swin'`, `'bert'`, `'resnet'`, `'clip-vit'`, `'clip-text'`, `'clip-resnet'`, `'gru'`. */
export type EncoderArchitecture = keyof EncoderArchitectures;

/** A named configuration: its architecture and the full configuration. */
export interface NamedEncoderConfig<A extends EncoderArchitecture = EncoderArchitecture> {
  architecture: A;
  config: Readonly<EncoderArchitectures[A]['config']>;
  /** One line on what it is. */
  description: string;
}

const named = <A extends EncoderArchitecture>(
  architecture: A,
  config: Readonly<EncoderArchitectures[A]['config']>,
  description: string,
): NamedEncoderConfig<A> => ({ architecture, config, description });

/** Every named configuration (see the module doc). */
export const ENCODER_CONFIGS = {
  'swin-t': named('swin', SWIN_T, 'Swin-T, 224 px (PIR-ITR vision encoder)'),
  'swin-test': named('swin', SWIN_TEST, 'tiny Swin for tests (32 px, 4 stages)'),
  'bert-base-uncased': named('bert', BERT_BASE, 'BERT-base uncased (PIR-ITR text encoder)'),
  'bert-test': named('bert', BERT_TEST, 'tiny BERT for tests (width 32, 2 layers)'),
  resnet50: named('resnet', RESNET50, 'torchvision ResNet-50 (PIR-ITR instruction encoder)'),
  resnet18: named('resnet', RESNET18, 'torchvision ResNet-18'),
  'resnet-test': named('resnet', RESNET_TEST, 'tiny bottleneck ResNet for tests'),
  'clip-vit-b32': named('clip-vit', CLIP_VIT_B32, 'CLIP ViT-B/32 image tower (PIR-CLIP vision encoder)'),
  'clip-vit-test': named('clip-vit', CLIP_VIT_TEST, 'tiny CLIP ViT for tests (32 px, patch 8)'),
  'clip-text-b32': named('clip-text', CLIP_TEXT_B32, 'CLIP ViT-B/32 text tower (PIR-CLIP text encoder)'),
  'clip-text-test': named('clip-text', CLIP_TEXT_TEST, 'tiny CLIP text tower for tests'),
  'clip-rn50': named('clip-resnet', CLIP_RN50, 'CLIP RN50 image tower (PIR-CLIP instruction encoder)'),
  'clip-rn-test': named('clip-resnet', CLIP_RN_TEST, 'tiny CLIP ModifiedResNet for tests'),
  'gru-vse': named('gru', GRU_VSE, 'VSE++ bidirectional GRU text encoder (baseline)'),
  'gru-test': named('gru', GRU_TEST, 'tiny GRU text encoder for tests'),
} as const;

/** A name of {@link ENCODER_CONFIGS}. */
export type EncoderName = keyof typeof ENCODER_CONFIGS;

/** The architecture of a named configuration. */
export type ArchitectureOf<N extends EncoderName> = (typeof ENCODER_CONFIGS)[N]['architecture'];

/**
 * The names of every encoder configuration, published sizes first.
 * @example
 * ```ts
 * listEncoders().includes('swin-t'); // true
 * ```
 */
export function listEncoders(): EncoderName[] {
  return Object.keys(ENCODER_CONFIGS) as EncoderName[];
}

function unknown(where: string, name: string): EncoderError {
  return new EncoderError(
    where,
    'name',
    `unknown encoder configuration '${name}'; known: ${listEncoders().join(', ')}`,
  );
}

/**
 * A copy of a named configuration (arrays copied too), to use as is or to change.
 * @example
 * ```ts
 * encoderConfig('swin-t').config.depths; // [2, 2, 6, 2]
 * encoderConfig('bert-test').architecture; // 'bert'
 * ```
 */
export function encoderConfig<N extends EncoderName>(name: N): NamedEncoderConfig<ArchitectureOf<N>> {
  const entry = (ENCODER_CONFIGS as Record<string, NamedEncoderConfig>)[name];
  if (entry === undefined) throw unknown('encoderConfig', name);
  return {
    architecture: entry.architecture,
    config: structuredClone(entry.config),
    description: entry.description,
  } as NamedEncoderConfig<ArchitectureOf<N>>;
}

/** Options of {@link createEncoder}: the constructors' options (seeded init, tokenizer, BatchNorm folding). */
export type CreateEncoderOptions = TextModelOptions & ResNetOptions;

/**
 * Build an encoder from a named configuration (optionally with some fields changed), or from an architecture
 * and a full or partial configuration (merged over that architecture's published size). Weights are
 * initialised as the architecture's paper does; load pretrained ones with `loadStateDict`.
 * @example
 * ```ts
 * const swin = createEncoder('swin-test', { overrides: { imageSize: 64 } });
 * swin.config.imageSize; // 64
 * swin.dispose();
 * ```
 */
export function createEncoder<N extends EncoderName>(
  name: N,
  options?: CreateEncoderOptions & { overrides?: Partial<EncoderArchitectures[ArchitectureOf<N>]['config']> },
): EncoderArchitectures[ArchitectureOf<N>]['encoder'];
export function createEncoder<A extends EncoderArchitecture>(
  spec: { architecture: A; config?: Partial<EncoderArchitectures[A]['config']> },
  options?: CreateEncoderOptions,
): EncoderArchitectures[A]['encoder'];
export function createEncoder(
  nameOrSpec: string | { architecture: EncoderArchitecture; config?: object },
  options: CreateEncoderOptions & { overrides?: object } = {},
): EncoderArchitectures[EncoderArchitecture]['encoder'] {
  let architecture: EncoderArchitecture;
  let config: object;
  if (typeof nameOrSpec === 'string') {
    const entry = (ENCODER_CONFIGS as Record<string, NamedEncoderConfig>)[nameOrSpec];
    if (entry === undefined) throw unknown('createEncoder', nameOrSpec);
    architecture = entry.architecture;
    config = { ...entry.config, ...(options.overrides ?? {}) };
  } else {
    architecture = nameOrSpec.architecture;
    config = nameOrSpec.config ?? {};
  }
  const { overrides: _, ...opts } = options;
  switch (architecture) {
    case 'swin':
      return new SwinTransformer(config, opts);
    case 'bert':
      return new BertEncoder(config, opts);
    case 'resnet':
      return new ResNet(config, opts);
    case 'clip-vit':
      return new ClipVisionTransformer(config, opts);
    case 'clip-text':
      return new ClipTextTransformer(config, opts);
    case 'clip-resnet':
      return new ModifiedResNet(config, opts);
    case 'gru':
      return new GruTextEncoder(config, opts);
    default:
      throw new EncoderError(
        'createEncoder',
        'architecture',
        `unknown architecture '${String(architecture)}'; known: swin, bert, resnet, clip-vit, clip-text, clip-resnet, gru`,
      );
  }
}
