/**
 * Tokenizing every RSICD test caption (5,465): @pir/encoders' CLIP BPE and BERT WordPiece against the pure-
 * Python reference implementations of `tools/golden/tokenizers.py` (the published algorithms, as OpenAI's
 * simple_tokenizer and Google's tokenization.py run them), same machine, same run.
 * Run: `npx tsx benchmarks/tokenizers.ts [path/to/rsicd_test.json]` → results/tokenizers.json
 *
 * cold = a fresh tokenizer (empty BPE/WordPiece cache); warm = the same captions again (cache hits);
 * batch = `batch()` of all captions into [B, L] int32 tensors (cpu backend).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import {
  BertTokenizer,
  bertUncasedVocab,
  ClipTokenizer,
  clipMerges,
} from '../packages/encoders/src/tokenizers/index.js';
import { quietStart, runPython, time, writeResult } from './lib/report.js';

const root = join(import.meta.dirname, '..');
const path = process.argv[2] ?? join(root, '..', 'shared', 'data', 'annotations', 'rsicd_test.json');
const captions = (JSON.parse(readFileSync(path, 'utf8')) as { caption: string[] }[]).flatMap(
  (e) => e.caption,
);
await initBackend({ backend: 'cpu' });

const load0 = performance.now();
const [merges, vocab] = await Promise.all([clipMerges(), bertUncasedVocab()]);
const loadMs = performance.now() - load0;

const js: Record<string, Record<string, number>> = {};
for (const [name, make] of [
  ['clip', () => new ClipTokenizer(merges)],
  ['bert', () => new BertTokenizer(vocab)],
] as const) {
  const build0 = performance.now();
  make();
  const buildMs = performance.now() - build0;
  const cold = await time(
    () => {
      const tok = make();
      for (const c of captions) tok.encode(c);
    },
    { warmup: 1, reps: 5 },
  );
  const tok = make();
  for (const c of captions) tok.encode(c);
  const warm = await time(() => {
    for (const c of captions) tok.encode(c);
  });
  const batch = await time(() => {
    const b = tok.batch(captions);
    tf.dispose([b.ids, b.mask]);
  });
  js[name] = { buildMs, coldMs: cold.medianMs - buildMs, warmMs: warm.medianMs, batchMs: batch.medianMs };
}

const py = runPython(join(root, 'tools/golden/tokenizers.py'), ['--bench', path]) as Record<
  string,
  { loadMs: number; coldMs: number; warmMs: number }
>;
const { load0: load, quiet } = quietStart();
console.log(
  `${captions.length} RSICD test captions; load average ${load.toFixed(2)}; vocab files loaded in ${loadMs.toFixed(0)} ms`,
);
for (const name of ['clip', 'bert']) {
  const j = js[name] as Record<string, number>;
  const p = py[name] as { loadMs: number; coldMs: number; warmMs: number };
  console.log(
    `${name}: build ${j.buildMs?.toFixed(0)} ms (py ${p.loadMs.toFixed(0)}), cold ${j.coldMs?.toFixed(1)} ms (py ${p.coldMs.toFixed(1)}, ${(
      p.coldMs / (j.coldMs as number)
    ).toFixed(
      1,
    )}x), warm ${j.warmMs?.toFixed(1)} ms (py ${p.warmMs.toFixed(1)}, ${(p.warmMs / (j.warmMs as number)).toFixed(1)}x), batch→tensors ${j.batchMs?.toFixed(1)} ms`,
  );
}
console.log(
  `wrote ${writeResult('tokenizers', { quiet, captions: captions.length, loadAverage: load, vocabLoadMs: loadMs, js, python: py })}`,
);
process.exit(0);
