/*
 * Batched small GEMM for tfjs-backend-wasm's heap: C = op(A) · op(B) for one [M, K] × [K, N] product per call,
 * wasm SIMD (f32x4), register-blocked 4 × 8, no libc, no stack, no static data. The module imports the
 * Emscripten module's own memory (`env.memory`), so it reads and writes tensors in place.
 *
 * A(i, k) = a[i * ras + k * cas]   (transposeA: ras = 1, cas = M)
 * B(k, j) = b[k * rbs + j * cbs]   (transposeB: rbs = 1, cbs = K)
 * C(i, j) = c[i * n + j]           (row-major, written, not accumulated)
 * pack: scratch of K * ceil(N / 8) * 8 floats (B is copied into 8-column panels, zero-padded).
 *
 * gemm_panels(…, pack, p0, p1, np) does the same for the columns of panels [p0, p1) only, np panels at a time
 * (pack: K * np * 8 floats): the parallel GEMM runs one panel range per thread on the shared heap, each thread
 * with its own pack area (parallel_gemm.ts).
 *
 * Build: ./build.sh (clang-14 + wasm-ld-14) → batched_gemm_wasm.ts in packages/runtime/src/kernels/.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* Copy panels [p0, p1) of B (columns 8·p0 … 8·p1 − 1) into pack: panel p at pack + (p − p0)·K·8. */
static void pack_b(const float *b, int rbs, int cbs, int k, int n, float *pack, int p0, int p1) {
  for (int p = p0; p < p1; p++) {
    const int j0 = p << 3;
    float *dst = pack + (p - p0) * k * 8;
    if (cbs == 1 && j0 + 8 <= n) {
      const float *src = b + j0;
      for (int kk = 0; kk < k; kk++) {
        wasm_v128_store(dst, wasm_v128_load(src));
        wasm_v128_store(dst + 4, wasm_v128_load(src + 4));
        dst += 8;
        src += rbs;
      }
    } else if (rbs == 1 && j0 + 8 <= n) {
      /* B stored transposed ([N, K], k contiguous): 4 × 4 transposes through registers. */
      const float *src = b + j0 * cbs;
      int kk = 0;
      for (; kk + 4 <= k; kk += 4) {
        for (int h = 0; h < 2; h++) {
          const float *s = src + h * 4 * cbs + kk;
          const v128_t r0 = wasm_v128_load(s);
          const v128_t r1 = wasm_v128_load(s + cbs);
          const v128_t r2 = wasm_v128_load(s + 2 * cbs);
          const v128_t r3 = wasm_v128_load(s + 3 * cbs);
          const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
          const v128_t t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
          const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
          const v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          float *d = dst + kk * 8 + h * 4;
          wasm_v128_store(d, wasm_i64x2_shuffle(t0, t1, 0, 2));
          wasm_v128_store(d + 8, wasm_i64x2_shuffle(t0, t1, 1, 3));
          wasm_v128_store(d + 16, wasm_i64x2_shuffle(t2, t3, 0, 2));
          wasm_v128_store(d + 24, wasm_i64x2_shuffle(t2, t3, 1, 3));
        }
      }
#pragma clang loop unroll(disable)
      for (; kk < k; kk++) {
#pragma clang loop unroll(disable)
        for (int jj = 0; jj < 8; jj++) dst[kk * 8 + jj] = src[jj * cbs + kk];
      }
    } else {
      const int w = n - j0 < 8 ? n - j0 : 8;
      for (int kk = 0; kk < k; kk++) {
        const float *src = b + kk * rbs + j0 * cbs;
        int jj = 0;
#pragma clang loop unroll(disable)
        for (; jj < w; jj++) dst[jj] = src[jj * cbs];
#pragma clang loop unroll(disable)
        for (; jj < 8; jj++) dst[jj] = 0.0f;
        dst += 8;
      }
    }
  }
}

/* Store one row of 8 results, only the first w (1..8) columns. */
static inline void store_row(float *c, v128_t lo, v128_t hi, int w) {
  if (w == 8) {
    wasm_v128_store(c, lo);
    wasm_v128_store(c + 4, hi);
    return;
  }
  if (w >= 4) {
    wasm_v128_store(c, lo);
    c += 4;
    w -= 4;
    lo = hi;
  }
  if (w > 0) c[0] = wasm_f32x4_extract_lane(lo, 0);
  if (w > 1) c[1] = wasm_f32x4_extract_lane(lo, 1);
  if (w > 2) c[2] = wasm_f32x4_extract_lane(lo, 2);
}

/* One row of 8 results read back, only the first w (1..8) columns (the rest zero): a K block's partial sums. */
static inline void load_row(const float *c, v128_t *lo, v128_t *hi, int w) {
  if (w == 8) {
    *lo = wasm_v128_load(c);
    *hi = wasm_v128_load(c + 4);
    return;
  }
  const float x0 = c[0], x1 = w > 1 ? c[1] : 0.0f, x2 = w > 2 ? c[2] : 0.0f, x3 = w > 3 ? c[3] : 0.0f;
  const float x4 = w > 4 ? c[4] : 0.0f, x5 = w > 5 ? c[5] : 0.0f, x6 = w > 6 ? c[6] : 0.0f;
  *lo = wasm_f32x4_make(x0, x1, x2, x3);
  *hi = wasm_f32x4_make(x4, x5, x6, 0.0f);
}

/*
 * Cache blocking: K in blocks of KC (a panel's slice, KC × 8 floats = 8 KiB, stays in L1 while MC rows pass
 * it), rows in blocks of MC (the MC × KC block of A, 128 KiB, stays in L2 while every panel of the range
 * passes it). Without it each panel streams all of A from memory: two threads then share the memory
 * bandwidth and run at half speed when K is large. Later K blocks add to C, continuing each element's sum in
 * the same order, so results are bitwise those of one unblocked pass.
 */
#define KC 256
#define MC 128

/* C[:, 8·p0 … 8·p1 − 1] from panels [p0, p1) of the packed B (panel p at pack + (p − p0)·K·8), all M rows. */
static void compute(const float *a, int ras, int cas, const float *pack, float *c, int m, int k, int n, int p0,
                    int p1) {
  for (int k0 = 0; k0 < k; k0 += KC) {
    const int kl = k - k0 < KC ? k - k0 : KC;
    const int acc = k0 > 0;
    for (int i0 = 0; i0 < m; i0 += MC) {
      const int i1 = m - i0 < MC ? m : i0 + MC;
      for (int p = p0; p < p1; p++) {
        const int j0 = p << 3;
        const int w = n - j0 < 8 ? n - j0 : 8;
        const float *pb0 = pack + (p - p0) * k * 8 + k0 * 8;
        int i = i0;
        for (; i + 4 <= i1; i += 4) {
          const float *a0 = a + i * ras + k0 * cas;
          const float *a1 = a0 + ras;
          const float *a2 = a1 + ras;
          const float *a3 = a2 + ras;
          const float *pb = pb0;
          float *cr = c + i * n + j0;
          v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
          v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
          if (acc) {
            load_row(cr, &c00, &c01, w);
            load_row(cr + n, &c10, &c11, w);
            load_row(cr + 2 * n, &c20, &c21, w);
            load_row(cr + 3 * n, &c30, &c31, w);
          }
          int ak = 0;
          for (int kk = 0; kk < kl; kk++) {
            const v128_t b0 = wasm_v128_load(pb);
            const v128_t b1 = wasm_v128_load(pb + 4);
            pb += 8;
            v128_t x = wasm_f32x4_splat(a0[ak]);
            c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, b0));
            c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, b1));
            x = wasm_f32x4_splat(a1[ak]);
            c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x, b0));
            c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x, b1));
            x = wasm_f32x4_splat(a2[ak]);
            c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x, b0));
            c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x, b1));
            x = wasm_f32x4_splat(a3[ak]);
            c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x, b0));
            c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x, b1));
            ak += cas;
          }
          store_row(cr, c00, c01, w);
          store_row(cr + n, c10, c11, w);
          store_row(cr + 2 * n, c20, c21, w);
          store_row(cr + 3 * n, c30, c31, w);
        }
        for (; i < i1; i++) {
          const float *a0 = a + i * ras + k0 * cas;
          const float *pb = pb0;
          float *cr = c + i * n + j0;
          v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00;
          if (acc) load_row(cr, &c00, &c01, w);
          int ak = 0;
#pragma clang loop unroll(disable)
          for (int kk = 0; kk < kl; kk++) {
            const v128_t x = wasm_f32x4_splat(a0[ak]);
            c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, wasm_v128_load(pb)));
            c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, wasm_v128_load(pb + 4)));
            pb += 8;
            ak += cas;
          }
          store_row(cr, c00, c01, w);
        }
      }
    }
  }
}

EXPORT("gemm")
void gemm(const float *a, int ras, int cas, const float *b, int rbs, int cbs, float *c, int m, int k, int n,
          float *pack) {
  const int panels = (n + 7) >> 3;
  pack_b(b, rbs, cbs, k, n, pack, 0, panels);
  compute(a, ras, cas, pack, c, m, k, n, 0, panels);
}

/*
 * The columns of panels [p0, p1) only, `np` panels at a time: packs them into `pack` (this caller's own
 * K · np · 8 floats) and computes C[:, 8·p0 … min(8·p1, N) − 1]. Calls on disjoint panel ranges with their
 * own pack areas write disjoint bytes, so threads sharing the memory can each run one (the parallel GEMM);
 * `np` bounds the scratch whatever the size of B.
 */
EXPORT("gemm_panels")
void gemm_panels(const float *a, int ras, int cas, const float *b, int rbs, int cbs, float *c, int m, int k,
                 int n, float *pack, int p0, int p1, int np) {
  for (int q0 = p0; q0 < p1; q0 += np) {
    const int q1 = p1 - q0 < np ? p1 : q0 + np;
    pack_b(b, rbs, cbs, k, n, pack, q0, q1);
    compute(a, ras, cas, pack, c, m, k, n, q0, q1);
  }
}
