/**
 * readCheckpoint: a checkpoint record's state dict and its other fields in one pass (the released PIR-ITR's
 * `{'model', 'config'}`, open_clip's `{'state_dict', 'optimizer', …}`), tensors outside the state dict
 * described, not read; and the released name maps on hand-made keys.
 */
import { describe, expect, it } from 'vitest';
import { mapStateDict, NAME_MAPS, readCheckpoint, readTorch, type StateDict } from '../src/weights/index.js';
import fx from './fixtures/weights/weights_fixtures.json';

function bytesOf(name: string): Uint8Array {
  const bin = atob((fx.files as Record<string, string>)[name] as string);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

describe('readCheckpoint', () => {
  it('returns the state dict, where it was, and the other fields', () => {
    const bytes = bytesOf('checkpoint.pth');
    const { stateDict, key, fields } = readCheckpoint(bytes, { name: 'checkpoint.pth' });
    expect(key).toBe('model');
    expect([...stateDict.keys()]).toEqual([...readTorch(bytes).keys()]);
    for (const [k, v] of Object.entries(fx.extra['checkpoint.pth'])) expect(fields.get(k), k).toEqual(v);
    expect(fields.has('model')).toBe(false);
    expect(readCheckpoint(bytes, { key: 'model' }).key).toBe('model');
  });
  it('a bare state dict has no key and no fields', () => {
    const { key, fields, stateDict } = readCheckpoint(bytesOf('dtypes.pth'));
    expect([key, fields.size, stateDict.size]).toEqual(['', 0, 12]);
  });
});

describe('released name maps', () => {
  const sd = (keys: string[]): StateDict =>
    new Map(keys.map((k) => [k, { dtype: 'float32', shape: [1], data: new Float32Array(1) }]));
  it('pirItrReleased', () => {
    const out = mapStateDict(
      sd([
        'module.conv_encoder.0.weight',
        'conv_encoder.1.num_batches_tracked',
        'conv_encoder.6.2.downsample.0.weight',
        'conv_proj.bias',
        'temp',
        'temp2',
        'vision_encoder.layers.1.blocks.1.attn_mask',
        'vision_encoder.layers.1.blocks.1.attn.relative_position_index',
        'vision_encoder.norm.weight',
        'text_encoder.embeddings.position_ids',
        'text_encoder.embeddings.word_embeddings.weight',
        'img_sa.0.mhatt.linear_q.weight',
      ]),
      'pirItrReleased',
    );
    expect([...out.keys()]).toEqual([
      'instruction_encoder.conv1.weight',
      'instruction_encoder.layer3.2.downsample.0.weight',
      'instruction_proj.bias',
      'temp',
      'temp_center',
      'vision_encoder.norm.weight',
      'text_encoder.embeddings.word_embeddings.weight',
      'img_sa.0.mhatt.linear_q.weight',
    ]);
  });
  it('pirClipReleased', () => {
    const out = mapStateDict(
      sd([
        'module.visual.proj',
        'module.res_visual.bn1.num_batches_tracked',
        'module.res_visual.attnpool.q_proj.weight',
        'module.vision_proj_res.weight',
        'module.transformer.resblocks.0.ln_1.weight',
        'module.ln_final.bias',
        'module.text_projection',
        'module.positional_embedding',
        'module.logit_scale',
        'attn_mask',
      ]),
      'pirClipReleased',
    );
    expect([...out.keys()]).toEqual([
      'vision_encoder.proj',
      'instruction_encoder.attnpool.q_proj.weight',
      'instruction_proj.weight',
      'text_encoder.transformer.resblocks.0.ln_1.weight',
      'text_encoder.ln_final.bias',
      'text_encoder.text_projection',
      'text_encoder.positional_embedding',
      'logit_scale',
    ]);
    expect(NAME_MAPS.pirClipReleased.description).toMatch(/PIR-CLIP/);
  });
});
