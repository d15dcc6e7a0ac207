/**
 * The embedded store at archive scale: 1 M × 512-d clustered embeddings (a mixture of Gaussians: 2,000 centres
 * with Zipf-like sizes, unit vectors; queries are fresh draws of the same mixture, as captions are near but not
 * on the images). Two mixtures (`--mixture`):
 *
 * - `lowrank` (default): each cluster varies along its own 24 directions (a mixture of factor analysers) plus
 *   a little isotropic noise — the structure of real embeddings, whose intrinsic dimension is tens, not 512;
 * - `isotropic`: each cluster is a 512-d isotropic Gaussian — the hardest case for a graph index (inside a
 *   cluster the points are uniform noise, every neighbour nearly as far as the next).
 *
 * Stored in
 * `@pir/search`'s FileStore, its approximate index (usearch HNSW) built and searched through the store's own
 * `search()` — candidates re-scored with the exact vectors — against exact search:
 *
 * - build: seconds to add the vectors (segments written with fsync) and to build the index, peak RSS;
 * - queries: one at a time (as `pir serve` runs them), p50/p99 latency, recall@10 against the exact top-10;
 * - baselines in the same run: PyTorch brute force (`search_ann_torch.py`: one [1 × 512] · [512 × 1 M] product
 *   and top-k per query, 1 and 2 threads, the best reported) and our own exact path (`exactTopK`, wasm);
 * - the choice of engine: PGlite + pgvector (PostgreSQL in wasm, one thread) against usearch on the same
 *   20,000 × 512 vectors — build time, latency, recall.
 *
 * Run (packages built, a quiet machine — load average < 0.5, recorded):
 *   npx tsx benchmarks/search_ann.ts [--n 1000000] [--queries 1000] [--pglite 20000] [--mixture lowrank|isotropic]
 * → results/search-ann.json (search-ann-isotropic.json). Needs ~8 GB of memory and ~6 GB in the temp folder at 1 M.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@pir/runtime';
import { exactTopK } from '@pir/search';
import { openFileStore as openStore } from '@pir/search/node';
import { machine, quietStart, writeResult } from './lib/report.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '1000' },
    pglite: { type: 'string', default: '20000' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    mixture: { type: 'string', default: 'lowrank' },
  },
});
const MIXTURE = args.mixture as 'lowrank' | 'isotropic';
if (MIXTURE !== 'lowrank' && MIXTURE !== 'isotropic') throw new Error('--mixture lowrank|isotropic');
const N = Number(args.n);
const Q = Number(args.queries);
const NP = Number(args.pglite);
const THREADS = Number(args.threads);
const D = 512;
const K = 10;
const CENTRES = 2000;
const identity = { name: 'bench-clustered', configHash: 'mixture-2000', dim: D };
const { load0, quiet } = quietStart();
console.log(
  `${machine().cpu}, ${os.availableParallelism()} cores; load average ${load0.toFixed(2)}${load0 >= 0.5 ? ' (NOT QUIET: figures are indicative)' : ''}`,
);

/** Mulberry32 + Box–Muller. */
function gen(seed: number) {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  const normal = () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(u() || 1e-12));
    const a = 2 * Math.PI * u();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
  return { u, normal };
}

const g = gen(2026);
const centres = Float32Array.from({ length: CENTRES * D }, () => g.normal());
// cluster sizes follow a Zipf-like law (a few common scene types, many rare ones)
const weights = Array.from({ length: CENTRES }, (_, c) => 1 / (c + 1) ** 0.7);
const cum: number[] = [];
weights.reduce((a, w) => {
  cum.push(a + w);
  return a + w;
}, 0);
const total = cum[cum.length - 1] as number;
const LATENT = 24;
// per cluster: LATENT directions (random Gaussian, scaled) for the low-rank mixture
const factors =
  MIXTURE === 'lowrank'
    ? Float32Array.from({ length: CENTRES * LATENT * D }, () => g.normal() / Math.sqrt(LATENT))
    : undefined;
const z = new Float32Array(LATENT);
function draw(out: Float32Array, row: number, spread: number): void {
  const x = g.u() * total;
  let lo = 0;
  let hi = CENTRES - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cum[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  let ss = 0;
  if (factors !== undefined) {
    for (let l = 0; l < LATENT; l++) z[l] = g.normal();
    const base = lo * LATENT * D;
    for (let j = 0; j < D; j++) {
      let v = (centres[lo * D + j] as number) + 0.15 * g.normal();
      for (let l = 0; l < LATENT; l++) v += 1.2 * (z[l] as number) * (factors[base + l * D + j] as number);
      out[row * D + j] = v;
      ss += v * v;
    }
  } else
    for (let j = 0; j < D; j++) {
      const v = (centres[lo * D + j] as number) + spread * g.normal();
      out[row * D + j] = v;
      ss += v * v;
    }
  const inv = 1 / Math.sqrt(ss);
  for (let j = 0; j < D; j++) out[row * D + j] = (out[row * D + j] as number) * inv;
}
function sample(n: number, spread: number): Float32Array {
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) draw(out, i, spread);
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
};
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

const work = mkdtempSync(path.join(os.tmpdir(), 'pir-bench-ann-'));
try {
  await initBackend({ backend: 'wasm' });
  let t = performance.now();
  const data = sample(N, 0.9);
  const queries = sample(Q, 0.9);
  console.log(`data ${N} × ${D} generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // --- the reference: PyTorch brute force (exact top-10 and its latency) -----------------------------------
  const dataFile = path.join(work, 'data.f32');
  const queryFile = path.join(work, 'queries.f32');
  writeFileSync(dataFile, new Uint8Array(data.buffer));
  writeFileSync(queryFile, new Uint8Array(queries.buffer));
  const torchOut = execFileSync(
    '/usr/bin/python3',
    [
      path.join(import.meta.dirname, 'search_ann_torch.py'),
      dataFile,
      queryFile,
      String(D),
      String(K),
      path.join(work, 'truth.json'),
    ],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  const torch = JSON.parse(torchOut.trim().split('\n').pop() as string) as {
    runs: { threads: number; p50Ms: number; p99Ms: number; batchedMsPerQuery: number }[];
    torch: string;
    truthFile: string;
  };
  const truth = JSON.parse((await import('node:fs')).readFileSync(torch.truthFile, 'utf8')) as number[][];
  rmSync(dataFile);
  console.log('torch brute force', JSON.stringify(torch.runs));

  // --- the store and its index ------------------------------------------------------------------------------
  const dir = path.join(work, 'archive.pirdb');
  const store = await openStore(dir, { create: identity });
  t = performance.now();
  const SEG = 50_000;
  for (let s = 0; s < N; s += SEG) {
    const n = Math.min(SEG, N - s);
    const items = Array.from({ length: n }, (_, i) => ({
      id: `scene/${s + i}.tif`,
      path: `scene/${s + i}.tif`,
    }));
    await store.add(identity, items, data.subarray(s * D, (s + n) * D));
  }
  const addSeconds = (performance.now() - t) / 1000;
  console.log(`stored in ${addSeconds.toFixed(1)} s`);
  const built = await store.buildIndex({ threads: THREADS });
  const rssAfterBuild = rssMiB();
  console.log(`index built in ${built.seconds.toFixed(1)} s, RSS ${rssAfterBuild.toFixed(0)} MiB`);
  await store.close();

  // queries one at a time through the store, for several candidate-list sizes (ef)
  const sweep: {
    expansionSearch: number;
    openSeconds: number;
    rssMiB: number;
    p50Ms: number;
    p99Ms: number;
    recallAt10: number;
  }[] = [];
  for (const ef of [64, 128, 256, 512]) {
    (globalThis as { gc?: () => void }).gc?.();
    t = performance.now();
    const reopened = await openStore(dir, { search: { expansionSearch: ef } });
    const openSeconds = (performance.now() - t) / 1000;
    if (reopened.indexed().image !== N) throw new Error(`index not used: ${reopened.annProblem}`);
    const lat: number[] = [];
    let found = 0;
    for (let r = 0; r < 5; r++) await reopened.search(identity, queries.subarray(r * D, (r + 1) * D), K); // warm-up
    for (let qi = 0; qi < Q; qi++) {
      const t0 = performance.now();
      const [hits] = await reopened.search(identity, queries.subarray(qi * D, (qi + 1) * D), K);
      lat.push(performance.now() - t0);
      const want = new Set((truth[qi] as number[]).map((i) => `scene/${i}.tif`));
      found += (hits ?? []).filter((h) => want.has(h.item.id)).length;
    }
    const row = {
      expansionSearch: ef,
      openSeconds,
      rssMiB: rssMiB(),
      p50Ms: pct(lat, 0.5),
      p99Ms: pct(lat, 0.99),
      recallAt10: found / (Q * K),
    };
    sweep.push(row);
    console.log(
      `approximate, ef ${ef}: p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms, recall@10 ${row.recallAt10.toFixed(4)}; open ${openSeconds.toFixed(1)} s, RSS ${row.rssMiB.toFixed(0)} MiB`,
    );
    await reopened.close();
  }
  const ann = sweep.find((r) => r.expansionSearch === 512) as (typeof sweep)[number]; // the default ef

  // the store's exact path (usearch's native brute force + exact re-scoring) and tfjs's exactTopK, a few queries
  const exactStore = await openStore(dir);
  const exactLat: number[] = [];
  for (let qi = 0; qi < 20; qi++) {
    const t0 = performance.now();
    await exactStore.search(identity, queries.subarray(qi * D, (qi + 1) * D), K, { exact: true });
    exactLat.push(performance.now() - t0);
  }
  await exactStore.close();
  const tfjsLat: number[] = [];
  for (let qi = 0; qi < 3; qi++) {
    const t0 = performance.now();
    await exactTopK(queries.subarray(qi * D, (qi + 1) * D), data, D, K);
    tfjsLat.push(performance.now() - t0);
  }
  console.log(
    `exact: the store (native) p50 ${pct(exactLat, 0.5).toFixed(1)} ms, tfjs exactTopK (wasm) p50 ${pct(tfjsLat, 0.5).toFixed(0)} ms per query`,
  );
  rmSync(dir, { recursive: true, force: true });

  // --- engine choice: usearch vs PGlite + pgvector on the same NP vectors -----------------------------------
  const small = data.subarray(0, NP * D);
  const smallTruth = Array.from({ length: 100 }, (_, qi) => {
    const q = queries.subarray(qi * D, (qi + 1) * D);
    const s = new Float32Array(NP);
    for (let i = 0; i < NP; i++) {
      let v = 0;
      for (let j = 0; j < D; j++) v += (q[j] as number) * (small[i * D + j] as number);
      s[i] = v;
    }
    return new Set(
      Array.from(s.keys())
        .sort((a, b) => (s[b] as number) - (s[a] as number))
        .slice(0, K),
    );
  });
  const sdir = path.join(work, 'small.pirdb');
  const sstore = await openStore(sdir, { create: identity });
  await sstore.add(
    identity,
    Array.from({ length: NP }, (_, i) => ({ id: String(i), path: String(i) })),
    small,
  );
  const sb = await sstore.buildIndex({ threads: THREADS });
  const slat: number[] = [];
  let sfound = 0;
  for (let qi = 0; qi < 100; qi++) {
    const t0 = performance.now();
    const [hits] = await sstore.search(identity, queries.subarray(qi * D, (qi + 1) * D), K);
    slat.push(performance.now() - t0);
    sfound += (hits ?? []).filter((h) => smallTruth[qi]?.has(Number(h.item.id))).length;
  }
  const usearchSmall = {
    buildSeconds: sb.seconds,
    p50Ms: pct(slat, 0.5),
    recallAt10: sfound / 1000,
  };

  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec('CREATE EXTENSION vector; CREATE TABLE items (id int PRIMARY KEY, embedding vector(512));');
  t = performance.now();
  for (let s = 0; s < NP; s += 500) {
    const rows: string[] = [];
    for (let i = s; i < Math.min(NP, s + 500); i++)
      rows.push(`(${i}, '[${Array.from(small.subarray(i * D, (i + 1) * D)).join(',')}]')`);
    await db.exec(`INSERT INTO items VALUES ${rows.join(',')}`);
  }
  const pgInsert = (performance.now() - t) / 1000;
  t = performance.now();
  await db.exec(
    'CREATE INDEX ON items USING hnsw (embedding vector_ip_ops) WITH (m = 16, ef_construction = 128)',
  );
  const pgBuild = (performance.now() - t) / 1000;
  await db.exec('SET hnsw.ef_search = 128');
  const plat: number[] = [];
  let pfound = 0;
  for (let qi = 0; qi < 100; qi++) {
    const lit = `[${Array.from(queries.subarray(qi * D, (qi + 1) * D)).join(',')}]`;
    const t0 = performance.now();
    const r = await db.query<{ id: number }>('SELECT id FROM items ORDER BY embedding <#> $1 LIMIT 10', [
      lit,
    ]);
    plat.push(performance.now() - t0);
    pfound += r.rows.filter((x) => smallTruth[qi]?.has(x.id)).length;
  }
  await db.close();
  const pglite = {
    insertSeconds: pgInsert,
    buildSeconds: pgBuild,
    p50Ms: pct(plat, 0.5),
    recallAt10: pfound / 1000,
  };
  console.log(
    `engine choice at ${NP} × ${D}: usearch build ${usearchSmall.buildSeconds.toFixed(1)} s, p50 ${usearchSmall.p50Ms.toFixed(2)} ms, recall ${usearchSmall.recallAt10}; PGlite build ${pgBuild.toFixed(1)} s (+ insert ${pgInsert.toFixed(1)} s), p50 ${pglite.p50Ms.toFixed(2)} ms, recall ${pglite.recallAt10}`,
  );

  const load1 = os.loadavg()[0] as number;
  const best = torch.runs.reduce((a, b) => (b.p50Ms < a.p50Ms ? b : a));
  const out = writeResult(MIXTURE === 'lowrank' ? 'search-ann' : 'search-ann-isotropic', {
    quiet,
    loadAverage: { before: load0, after: load1 },
    sizes: { n: N, dim: D, queries: Q, k: K, centres: CENTRES },
    mixture:
      MIXTURE === 'lowrank'
        ? { kind: 'lowrank', latent: LATENT, factorScale: 1.2, noise: 0.15 }
        : { kind: 'isotropic', spread: 0.9 },
    index: {
      engine: 'usearch',
      quantization: 'f16',
      connectivity: 16,
      expansionAdd: 128,
      expansionSearch: 512,
      threads: THREADS,
    },
    build: {
      addSeconds,
      indexSeconds: built.seconds,
      rssMiB: rssAfterBuild,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    },
    approximate: ann,
    sweep,
    exact: {
      storeNativeP50Ms: pct(exactLat, 0.5),
      storeNativeP99Ms: pct(exactLat, 0.99),
      tfjsExactTopKP50Ms: pct(tfjsLat, 0.5),
    },
    torchBruteForce: torch,
    speedupVsTorchBest: best.p50Ms / ann.p50Ms,
    engineChoice: { n: NP, usearch: usearchSmall, pglite },
  });
  console.log(`→ ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
