import { describe, expect, it } from 'vitest';
import {
  checkKeys,
  mapStateDict,
  NAME_MAPS,
  PIR_ITR_PREFIXES,
  readTorch,
  type StateDict,
  type StateTensor,
  splitStateDict,
} from '../src/weights/index.js';
import fx from './fixtures/weights/weights_fixtures.json';

const t = (shape: number[] = [1]): StateTensor => ({
  dtype: 'float32',
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
});
const sdOf = (keys: string[]): StateDict => new Map(keys.map((k) => [k, t()]));
const keysAfter = (keys: string[], map: Parameters<typeof mapStateDict>[1]) => [
  ...mapStateDict(sdOf(keys), map).keys(),
];

describe('name maps', () => {
  it('torchvisionResnet strips DataParallel prefixes and BN counters', () => {
    expect(
      keysAfter(
        ['module.conv1.weight', 'module.bn1.num_batches_tracked', 'module.layer2.0.downsample.0.weight'],
        'torchvisionResnet',
      ),
    ).toEqual(['conv1.weight', 'layer2.0.downsample.0.weight']);
  });
  const clip = [
    'positional_embedding',
    'text_projection',
    'logit_scale',
    'visual.class_embedding',
    'visual.conv1.weight',
    'visual.transformer.resblocks.0.attn.in_proj_weight',
    'visual.attnpool.k_proj.weight',
    'visual.layer1.0.bn1.num_batches_tracked',
    'visual.proj',
    'token_embedding.weight',
    'transformer.resblocks.11.mlp.c_proj.bias',
    'ln_final.weight',
    'attn_mask',
  ];
  it('clipVisual takes the image tower (ViT-B/32 and RN50 keys)', () => {
    expect(keysAfter(clip, 'clipVisual')).toEqual([
      'class_embedding',
      'conv1.weight',
      'transformer.resblocks.0.attn.in_proj_weight',
      'attnpool.k_proj.weight',
      'proj',
    ]);
  });
  it('clipText takes the text tower (OpenAI and OpenCLIP CustomTextCLIP)', () => {
    expect(keysAfter(clip, 'clipText')).toEqual([
      'positional_embedding',
      'text_projection',
      'token_embedding.weight',
      'transformer.resblocks.11.mlp.c_proj.bias',
      'ln_final.weight',
    ]);
    expect(keysAfter(['module.text.token_embedding.weight', 'module.visual.trunk.x'], 'clipText')).toEqual([
      'token_embedding.weight',
    ]);
    expect(keysAfter(clip, 'clipLogitScale')).toEqual(['logit_scale']);
  });
  it('swinTimm moves downsample to the end of the previous stage and drops buffers', () => {
    expect(
      keysAfter(
        [
          'patch_embed.proj.weight',
          'layers.0.blocks.1.attn.relative_position_bias_table',
          'layers.0.blocks.1.attn.relative_position_index',
          'layers.1.downsample.reduction.weight',
          'layers.3.downsample.norm.weight',
          'layers.3.blocks.1.mlp.fc2.bias',
          'head.fc.weight',
        ],
        'swinTimm',
      ),
    ).toEqual([
      'patch_embed.proj.weight',
      'layers.0.blocks.1.attn.relative_position_bias_table',
      'layers.0.downsample.reduction.weight',
      'layers.2.downsample.norm.weight',
      'layers.3.blocks.1.mlp.fc2.bias',
      'head.weight',
    ]);
  });
  it('bert strips bert., drops heads and position_ids, renames gamma/beta', () => {
    expect(
      keysAfter(
        [
          'bert.embeddings.word_embeddings.weight',
          'bert.embeddings.position_ids',
          'bert.embeddings.LayerNorm.gamma',
          'bert.encoder.layer.0.attention.self.query.weight',
          'bert.encoder.layer.0.output.LayerNorm.beta',
          'cls.predictions.bias',
          'bert.pooler.dense.weight',
        ],
        'bert',
      ),
    ).toEqual([
      'embeddings.word_embeddings.weight',
      'embeddings.LayerNorm.weight',
      'encoder.layer.0.attention.self.query.weight',
      'encoder.layer.0.output.LayerNorm.bias',
      'pooler.dense.weight',
    ]);
  });
  it('a PIR-ITR-style checkpoint splits into towers and PAE keys', () => {
    const sd = sdOf([
      'module.vision_encoder.layers.0.blocks.0.norm1.weight',
      'module.text_encoder.encoder.layer.0.attention.self.query.weight',
      'module.vision_proj.weight',
      'module.img_sa.0.mhatt.linear_q.weight',
      'module.img_ca.1.ffn.0.weight',
      'module.mapping_img.0.weight',
      'module.txt_sa.2.norm1.bias',
      'module.head_img.weight',
      'module.temp',
    ]);
    const parts = splitStateDict(sd, PIR_ITR_PREFIXES);
    expect([...(parts.vision as StateDict).keys()]).toEqual(['layers.0.blocks.0.norm1.weight']);
    expect([...(parts.text as StateDict).keys()]).toEqual(['encoder.layer.0.attention.self.query.weight']);
    expect([...(parts.visionProj as StateDict).keys()]).toEqual(['weight']);
    expect([...mapStateDict(parts.rest, 'pirPae').keys()]).toEqual([
      'img_sa.0.mhatt.linear_q.weight',
      'img_ca.1.ffn.0.weight',
      'mapping_img.0.weight',
      'txt_sa.2.norm1.bias',
      'head_img.weight',
    ]);
  });
  it('on a real torch.save file: DataParallel parameters → names, then checkKeys', () => {
    const bytes = Uint8Array.from(atob(fx.files['parameters.pt'] as string), (c) => c.charCodeAt(0));
    const sd = mapStateDict(readTorch(bytes), 'torchvisionResnet');
    const expected = new Map(
      Object.entries(fx.expected['checkpoint.pth'] as Record<string, { shape: number[] }>)
        .filter(([k]) => !k.startsWith('bn.running') && !k.endsWith('num_batches_tracked'))
        .map(([k, v]) => [k, v.shape]),
    );
    expect(checkKeys(expected, sd)).toEqual({ missing: [], unexpected: [], mismatched: [] });
    expected.set('fc.weight', [3, 4]);
    expect(() => checkKeys(expected, sd, { source: 'parameters.pt' })).toThrow(
      /parameters\.pt: shape mismatch: fc\.weight expected \[3,4\] got \[2,4\]/,
    );
  });
  it('every shipped map has a description and valid patterns', () => {
    for (const [name, m] of Object.entries(NAME_MAPS)) {
      expect(m.description.length, name).toBeGreaterThan(10);
      for (const r of m.rules) expect(() => new RegExp(r.pattern)).not.toThrow();
    }
    expect(() => mapStateDict(new Map(), 'nope' as never)).toThrow(/unknown name map 'nope'/);
  });
});
