/**
 * Shared by the model-directory tests: captions and a tokenizer that fit both test text encoders, a fake
 * `fetch` over files in memory, and a helper that edits a saved directory consistently (sizes and SHA-256 in
 * the manifest follow), to build damaged or crafted directories.
 */
import { buildWordVocab, readWeights, writeSafetensors } from '@pir/encoders';
import { readSafetensorsHeader } from '@pir/encoders/weights';
import type { StateDict } from '@pir/nn';
import { sha256Hex } from '../src/model_dir_format.js';
import type { ModelFiles, ResponseLike } from '../src/model_dir_source.js';

export const CAPTIONS = [
  'many planes are parked near the terminal',
  'planes parked at a terminal',
  'a green park with trees',
  'a river runs past the park',
];

/** A word vocabulary small enough for bert-test (50) and clip-text-test (64). */
export const tokenizer = () => buildWordVocab(CAPTIONS, { contextLength: 8 });

/** Parsed JSON that a test reads and edits freely. */
// biome-ignore lint/suspicious/noExplicitAny: JSON of any shape, edited by the tests
export type Json = any;

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const parse = (b: Uint8Array | ArrayBuffer | undefined): Record<string, unknown> =>
  JSON.parse(text(b instanceof ArrayBuffer ? new Uint8Array(b) : (b as Uint8Array)));

/** A fetch over files in memory: 404 for anything else; `calls` records the URLs asked for. */
export function fakeFetch(files: ModelFiles, base = 'https://example.org/models/m/') {
  const calls: string[] = [];
  const fetch = async (url: string): Promise<ResponseLike> => {
    calls.push(url);
    const name = url.startsWith(base) ? url.slice(base.length) : url;
    const f = Object.hasOwn(files, name) ? files[name] : undefined;
    if (f === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
    return new Response(f instanceof Uint8Array ? (f.slice() as Uint8Array<ArrayBuffer>) : f);
  };
  return { fetch, calls };
}

/**
 * A copy of a saved directory with its weights, tokenizer JSON and/or manifest changed; the manifest's file
 * table (bytes, sha256) follows the new files unless `keepTable`.
 */
export async function edit(
  files: Record<string, Uint8Array>,
  change: {
    weights?: (sd: StateDict, metadata: Record<string, string>) => void;
    tokenizer?: (j: Record<string, unknown>) => void;
    manifest?: (m: Record<string, Json>) => void;
    keepTable?: boolean;
  },
): Promise<Record<string, Uint8Array>> {
  const out = { ...files };
  if (change.weights !== undefined) {
    const w = out['model.safetensors'] as Uint8Array;
    const sd = readWeights(w);
    const metadata = { ...readSafetensorsHeader(w).metadata };
    change.weights(sd, metadata);
    out['model.safetensors'] = writeSafetensors(sd, metadata);
  }
  if (change.tokenizer !== undefined) {
    const j = parse(out['tokenizer.json']);
    change.tokenizer(j);
    out['tokenizer.json'] = bytes(JSON.stringify(j));
  }
  const m = parse(out['pir-model.json']) as Record<string, Json>;
  change.manifest?.(m);
  if (change.keepTable !== true)
    for (const name of ['model.safetensors', 'tokenizer.json']) {
      const b = out[name] as Uint8Array;
      m.files[name] = { bytes: b.length, sha256: await sha256Hex(b) };
    }
  out['pir-model.json'] = bytes(JSON.stringify(m));
  return out;
}
