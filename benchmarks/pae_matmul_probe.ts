/**
 * The matMul shapes of one Spatial-PAE step (B=32, K=40, D=512, 8 heads) timed alone on wasm (repaired
 * kernels, 1 thread): which products are slow. Run: npx tsx benchmarks/pae_matmul_probe.ts
 */
import os from 'node:os';
import { time } from './lib/report.js';

await import('@tensorflow/tfjs');
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
const { setupWasm } = await import('../packages/runtime/src/wasm/setup.js');
const { repairWasmKernels } = await import('../packages/runtime/src/kernels/index.js');
await setupWasm({ threads: 1, simd: true });
await tf.setBackend('wasm');
repairWasmKernels();

const cases: [string, number[], number[], boolean, boolean][] = [
  ['linear fwd x·W [1280,512]·[512,512]', [1280, 512], [512, 512], false, false],
  ['linear dX dy·Wᵀ', [1280, 512], [512, 512], false, true],
  ['linear dW xᵀ·dy', [1280, 512], [1280, 512], true, false],
  ['ffn fwd [1280,512]·[512,1024]', [1280, 512], [512, 1024], false, false],
  ['ffn dW xᵀ·dy [512,1280]·[1280,1024]', [1280, 512], [1280, 1024], true, false],
  ['attn logits q·kᵀ [256,40,64]·[256,40,64]ᵀ', [256, 40, 64], [256, 40, 64], false, true],
  ['attn out p·v [256,40,40]·[256,40,64]', [256, 40, 40], [256, 40, 64], false, false],
  ['attn grad pᵀ·dy [256,40,40]ᵀ·[256,40,64]', [256, 40, 40], [256, 40, 64], true, false],
  ['attn 4-D q·kᵀ [32,8,40,64]', [32, 8, 40, 64], [32, 8, 40, 64], false, true],
];
console.log(`load average ${os.loadavg()[0]?.toFixed(2)}`);
for (const [name, sa, sb, ta, tb] of cases) {
  const a = tf.randomNormal(sa);
  const b = tf.randomNormal(sb);
  const r = tf.matMul(a, b, ta, tb);
  const m = r.shape[r.rank - 2] as number;
  const n = r.shape[r.rank - 1] as number;
  const batch = r.size / (m * n);
  const kdim = (ta ? sa[sa.length - 2] : sa[sa.length - 1]) as number;
  r.dispose();
  const t = await time(
    async () => {
      const y = tf.matMul(a, b, ta, tb);
      await y.data();
      y.dispose();
    },
    { warmup: 2, reps: 7 },
  );
  const gflops = (2 * batch * m * n * kdim) / (t.medianMs * 1e6);
  console.log(
    `${name.padEnd(48)} ${t.medianMs.toFixed(2).padStart(8)} ms  ${gflops.toFixed(1).padStart(6)} GFLOP/s`,
  );
  tf.dispose([a, b]);
}
process.exit(0);
