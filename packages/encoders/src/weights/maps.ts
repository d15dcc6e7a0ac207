/**
 * Name maps as data: from the key layouts of common checkpoints to the canonical names the encoders of this
 * package use (which are the reference PyTorch implementations' own names: torchvision ResNet, OpenAI CLIP,
 * Microsoft's official Swin, HF `BertModel`, the released PIR modules). Apply with {@link applyNameMap} or
 * {@link mapStateDict}; check with `checkKeys`.
 */

import type { StateDict } from '@pir/nn';
import { WeightsError } from './errors.js';
import { applyNameMap, type NameRule } from './names.js';

/** A named list of rules with a sentence saying what it maps from and to. */
export interface NameMap {
  description: string;
  rules: NameRule[];
}

/** `module.` prefixes of DataParallel / DistributedDataParallel checkpoints (repeated ones too). */
const STRIP_MODULE: NameRule = { pattern: '^(module\\.)+', replace: '' };
/** BatchNorm step counters: buffers the encoders do not load. */
const DROP_BN_COUNTER: NameRule = { pattern: '(^|\\.)num_batches_tracked$', drop: true };

/** The name maps this package ships. */
export const NAME_MAPS = {
  /** torchvision ResNet (`conv1`, `bn1`, `layer1.0.conv1`, `layer2.0.downsample.0`, `fc`): names unchanged. */
  torchvisionResnet: {
    description: 'torchvision ResNet checkpoint (optionally DataParallel) → torchvision names',
    rules: [STRIP_MODULE, DROP_BN_COUNTER],
  },
  /**
   * The image tower of a whole OpenAI CLIP / OpenCLIP state dict (`visual.conv1.weight`,
   * `visual.transformer.resblocks.0.attn.in_proj_weight`, RN50: `visual.layer1.0.conv1.weight`,
   * `visual.attnpool.k_proj.weight`) → the same names without `visual.`.
   */
  clipVisual: {
    description: 'OpenAI CLIP / OpenCLIP state dict → image tower (ViT-B/32 or ModifiedResNet RN50)',
    rules: [STRIP_MODULE, DROP_BN_COUNTER, { pattern: '^visual\\.', replace: '', select: true }],
  },
  /**
   * The text tower of an OpenAI CLIP / OpenCLIP state dict (`token_embedding.weight`, `positional_embedding`,
   * `transformer.resblocks.N.*`, `ln_final.*`, `text_projection`); OpenCLIP's CustomTextCLIP `text.` prefix is
   * stripped. Names as OpenAI CLIP.
   */
  clipText: {
    description: 'OpenAI CLIP / OpenCLIP state dict → text tower',
    rules: [
      STRIP_MODULE,
      { pattern: '^text\\.', replace: '' },
      { pattern: '^attn_mask$', drop: true },
      {
        pattern: '^(token_embedding\\.|positional_embedding$|transformer\\.|ln_final\\.|text_projection$)',
        replace: '$1',
        select: true,
      },
    ],
  },
  /** The scalar `logit_scale` of a CLIP state dict. */
  clipLogitScale: {
    description: 'OpenAI CLIP / OpenCLIP state dict → logit_scale',
    rules: [STRIP_MODULE, { pattern: '^logit_scale$', replace: 'logit_scale', select: true }],
  },
  /**
   * Swin-T as Microsoft's official `swin_transformer.py` names it (`patch_embed.proj`, `layers.i.blocks.j.*`,
   * `layers.i.downsample.reduction` at the END of stage i, `norm`, `head`), from timm ≥ 0.9 checkpoints
   * (downsample at the START of stage i+1) or official ones; buffers recomputed by the model
   * (`relative_position_index`, `attn_mask`) dropped.
   */
  swinTimm: {
    description: 'timm ≥ 0.9 or official Swin checkpoint → official Swin names',
    rules: [
      STRIP_MODULE,
      { pattern: '(^|\\.)(relative_position_index|attn_mask)$', drop: true },
      { pattern: '^layers\\.1\\.downsample\\.', replace: 'layers.0.downsample.' },
      { pattern: '^layers\\.2\\.downsample\\.', replace: 'layers.1.downsample.' },
      { pattern: '^layers\\.3\\.downsample\\.', replace: 'layers.2.downsample.' },
      { pattern: '^head\\.fc\\.', replace: 'head.' },
    ],
  },
  /**
   * HF `BertModel` names (`embeddings.word_embeddings.weight`, `encoder.layer.N.attention.self.query.weight`,
   * `pooler.dense.*`) from `BertModel` / `BertForPreTraining` / `BertForMaskedLM` checkpoints (`bert.` stripped,
   * `cls.` heads dropped) and old Google-converted ones (`LayerNorm.gamma/beta`).
   */
  bert: {
    description: 'HF BERT checkpoint (bert-base-uncased, pytorch_model.bin) → BertModel names',
    rules: [
      STRIP_MODULE,
      { pattern: '^cls\\.', drop: true },
      { pattern: '(^|\\.)position_ids$', drop: true },
      { pattern: '^bert\\.', replace: '' },
      { pattern: 'LayerNorm\\.gamma$', replace: 'LayerNorm.weight' },
      { pattern: 'LayerNorm\\.beta$', replace: 'LayerNorm.bias' },
    ],
  },
  /**
   * The PAE part of a released PIR-ITR checkpoint, names unchanged (`img_sa.{i}.mhatt.linear_{q,k,v,merge}`,
   * `img_sa.{i}.ffn.*`, `img_sa.{i}.norm{1,2}`, `img_ca.{i}.*`, `mapping_img.{i}`, `txt_sa/txt_ca/mapping_txt`,
   * `head_img`, `head_txt`) — what `@pir/pae`'s `loadStateDict` takes.
   */
  pirPae: {
    description: 'released PIR-ITR checkpoint → PAE modules (@pir/pae names)',
    rules: [
      STRIP_MODULE,
      {
        pattern: '^((img|txt)_(sa|ca)\\.\\d+\\.|mapping_(img|txt)\\.\\d+\\.|head_(img|txt)\\.)',
        replace: '$1',
        select: true,
      },
    ],
  },
  /**
   * A whole released PIR-ITR checkpoint (`torch.save({'model': state_dict, 'config': config})` of
   * jaychempan/PIR) → the names `@pir/models`' `PirItr` and its encoders use, under the
   * {@link PIR_ITR_PREFIXES} tower prefixes:
   *
   * | released | ours |
   * |---|---|
   * | `vision_encoder.*` (Microsoft Swin names) | unchanged; buffers `relative_position_index`, `attn_mask` dropped |
   * | `text_encoder.*` (HF `BertModel` names, no pooler) | unchanged; buffer `position_ids` dropped |
   * | `conv_encoder.0.` / `.1.` / `.4.`–`.7.` (an `nn.Sequential` of torchvision ResNet's children) | `instruction_encoder.conv1.` / `bn1.` / `layer1.`–`layer4.` |
   * | `conv_proj.*` | `instruction_proj.*` |
   * | `temp2` (τ2 of the affiliation loss) | `temp_center` |
   * | `vision_proj`, `text_proj`, `img_sa`/`img_ca`/`txt_sa`/`txt_ca`, `mapping_img`/`mapping_txt`, `head_img`/`head_txt`, `temp` | unchanged |
   *
   * `num_batches_tracked` is dropped, `module.` stripped. Anything else stays as it is (and is then unexpected
   * for a strict load).
   */
  pirItrReleased: {
    description:
      'released PIR-ITR checkpoint (jaychempan/PIR) → PirItr names (vision_encoder., text_encoder., instruction_encoder., instruction_proj, temp_center)',
    rules: [
      STRIP_MODULE,
      DROP_BN_COUNTER,
      { pattern: '^vision_encoder\\.(.*\\.)?(relative_position_index|attn_mask)$', drop: true },
      { pattern: '^text_encoder\\.(.*\\.)?position_ids$', drop: true },
      { pattern: '^conv_encoder\\.0\\.', replace: 'instruction_encoder.conv1.' },
      { pattern: '^conv_encoder\\.1\\.', replace: 'instruction_encoder.bn1.' },
      { pattern: '^conv_encoder\\.4\\.', replace: 'instruction_encoder.layer1.' },
      { pattern: '^conv_encoder\\.5\\.', replace: 'instruction_encoder.layer2.' },
      { pattern: '^conv_encoder\\.6\\.', replace: 'instruction_encoder.layer3.' },
      { pattern: '^conv_encoder\\.7\\.', replace: 'instruction_encoder.layer4.' },
      { pattern: '^conv_proj\\.', replace: 'instruction_proj.' },
      { pattern: '^temp2$', replace: 'temp_center' },
    ],
  },
  /**
   * A released PIR-CLIP checkpoint (the OpenCLIP fork jaychempan/PIR-CLIP: `{'state_dict': …}` of its
   * training script, `module.` prefixes) → the names `@pir/models`' `PirClip` and its encoders use:
   *
   * | released | ours |
   * |---|---|
   * | `visual.*` (the ViT) | `vision_encoder.*` |
   * | `token_embedding`, `positional_embedding`, `transformer.*`, `ln_final`, `text_projection` (the text tower, at the top level as OpenCLIP's `CLIP`) | `text_encoder.*` |
   * | `res_visual.*` (CLIP's ModifiedResNet, output = the embedding width) | `instruction_encoder.*` |
   * | `vision_proj_res.*` (Linear embedding width → ViT width) | `instruction_proj.*` |
   * | `logit_scale` | unchanged |
   *
   * `num_batches_tracked` and the (non-persistent) `attn_mask` are dropped, `module.` stripped.
   */
  pirClipReleased: {
    description:
      'released PIR-CLIP checkpoint (jaychempan/PIR-CLIP) → PirClip names (vision_encoder., text_encoder., instruction_encoder., instruction_proj, logit_scale)',
    rules: [
      STRIP_MODULE,
      DROP_BN_COUNTER,
      { pattern: '^attn_mask$', drop: true },
      { pattern: '^visual\\.', replace: 'vision_encoder.' },
      { pattern: '^res_visual\\.', replace: 'instruction_encoder.' },
      { pattern: '^vision_proj_res\\.', replace: 'instruction_proj.' },
      {
        pattern: '^(token_embedding\\.|positional_embedding$|transformer\\.|ln_final\\.|text_projection$)',
        replace: 'text_encoder.$1',
      },
    ],
  },
  /**
   * The inverse of `pirItrReleased` for a model directory's weights (`@pir/models`' `model.safetensors`:
   * prefixes `model.`, `vision.`, `text.`, `instruction.`) → the released PIR-ITR names, so a model trained
   * here loads into the authors' PyTorch code (`model.load_state_dict(sd)`). Parts the released model has not
   * are dropped: the Swin classification `head`, BERT's `pooler`, the ResNet's `fc`.
   */
  pirItrToReleased: {
    description: 'PIR-ITR model directory (model./vision./text./instruction.) → released PIR-ITR names',
    rules: [
      { pattern: '^vision\.head\.', drop: true },
      { pattern: '^text\.pooler\.', drop: true },
      { pattern: '^instruction\.fc\.', drop: true },
      { pattern: '^vision\.', replace: 'vision_encoder.' },
      { pattern: '^text\.', replace: 'text_encoder.' },
      { pattern: '^instruction\.conv1\.', replace: 'conv_encoder.0.' },
      { pattern: '^instruction\.bn1\.', replace: 'conv_encoder.1.' },
      { pattern: '^instruction\.layer1\.', replace: 'conv_encoder.4.' },
      { pattern: '^instruction\.layer2\.', replace: 'conv_encoder.5.' },
      { pattern: '^instruction\.layer3\.', replace: 'conv_encoder.6.' },
      { pattern: '^instruction\.layer4\.', replace: 'conv_encoder.7.' },
      { pattern: '^model\.instruction_proj\.', replace: 'conv_proj.' },
      { pattern: '^model\.temp_center$', replace: 'temp2' },
      { pattern: '^model\.', replace: '' },
    ],
  },
  /**
   * The inverse of `pirClipReleased` for a model directory's weights → the released PIR-CLIP (OpenCLIP fork)
   * names: `visual.*`, the text tower at the top level, `res_visual.*`, `vision_proj_res.*`, `logit_scale`.
   */
  pirClipToReleased: {
    description: 'PIR-CLIP model directory (model./vision./text./instruction.) → released PIR-CLIP names',
    rules: [
      { pattern: '^vision\.', replace: 'visual.' },
      { pattern: '^instruction\.', replace: 'res_visual.' },
      { pattern: '^text\.', replace: '' },
      { pattern: '^model\.instruction_proj\.', replace: 'vision_proj_res.' },
      { pattern: '^model\.', replace: '' },
    ],
  },
} as const satisfies Record<string, NameMap>;

/** Name of a shipped map. */
export type NameMapName = keyof typeof NAME_MAPS;

/**
 * Prefixes of the towers of a PIR-ITR state dict as `@pir/models` names them — what a released checkpoint
 * holds after the {@link NAME_MAPS} `pirItrReleased` map (the released file itself names the instruction
 * encoder `conv_encoder.` and its projection `conv_proj.`). Pass your own to {@link splitStateDict} when a
 * checkpoint differs.
 */
export const PIR_ITR_PREFIXES: Readonly<Record<string, string>> = {
  vision: 'vision_encoder.',
  text: 'text_encoder.',
  instruction: 'instruction_encoder.',
  visionProj: 'vision_proj.',
  textProj: 'text_proj.',
  instructionProj: 'instruction_proj.',
};

/**
 * Applies a shipped map by name, or a {@link NameMap}.
 * @example
 * ```ts
 * const visual = mapStateDict(readTorch(bytes), 'clipVisual'); // 'conv1.weight', 'class_embedding', …
 * ```
 */
export function mapStateDict(sd: StateDict, map: NameMapName | NameMap): StateDict {
  const m: NameMap = typeof map === 'string' ? NAME_MAPS[map] : map;
  if (!m)
    throw new WeightsError(
      'mapStateDict',
      `unknown name map '${String(map)}' (have ${Object.keys(NAME_MAPS).join(', ')})`,
    );
  return applyNameMap(sd, m.rules);
}

/**
 * Splits a whole-model state dict by key prefix (after stripping `module.`), each part with its prefix
 * removed; keys under no prefix go to `rest`.
 * @example
 * ```ts
 * const { vision, text, rest } = splitStateDict(sd, PIR_ITR_PREFIXES);
 * mapStateDict(rest, 'pirPae'); // img_sa.0.mhatt.linear_q.weight, …
 * ```
 */
export function splitStateDict(
  sd: StateDict,
  prefixes: Readonly<Record<string, string>>,
): Record<string, StateDict> & { rest: StateDict } {
  const out: Record<string, StateDict> = { rest: new Map() };
  for (const name of Object.keys(prefixes)) out[name] = new Map();
  const ordered = Object.entries(prefixes).sort((a, b) => b[1].length - a[1].length); // longest prefix wins
  for (const [k0, t] of sd) {
    const k = k0.replace(/^(module\.)+/, '');
    const hit = ordered.find(([, p]) => k.startsWith(p));
    if (hit) (out[hit[0]] as StateDict).set(k.slice(hit[1].length), t);
    else out.rest?.set(k, t);
  }
  return out as Record<string, StateDict> & { rest: StateDict };
}
