/*
 * Winograd F(4x4, 3x3) transforms for 3 × 3, stride-1 convolutions on tfjs-backend-wasm's heap (NHWC, f32x4
 * SIMD over channels; channel counts must be multiples of 4). The convolution is
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ) ] A      per 6 × 6 input tile d → 4 × 4 output tile,
 *
 * with the 36 element-wise products summed over input channels as 36 GEMMs [tiles, Cin] × [Cin, Cout], which
 * the caller runs (XNNPACK, threaded). This file holds the three transforms (Lavin & Gray 2016, points
 * 0, ±1, ±2):
 *
 *   wino_filter  g [3, 3, Cin, Cout] (HWIO)               → u [36][Cin, Cout]
 *   wino_input   x [N, H, W, Cin], tiles [t0, t1)         → v [36][t1 − t0, Cin]   (matrix ξ at v + ξ·ld)
 *   wino_output  m [36][t1 − t0, Cout] (+ bias, activation) → y [N, Ho, Wo, Cout] (matrix ξ at m + ξ·ld)
 *
 * ld (floats) ≥ rows × channels; the caller pads it so that the 36 matrices do not start at addresses a multiple
 * of 4 KiB apart (36 streams on the same cache sets thrash L1/L2).
 *
 * Tiles are numbered over (image, tile row, tile column); tile (ty, tx) reads input rows ty·4 − pad_t … +5 and
 * columns tx·4 − pad_l … +5 (zeros outside the image, i.e. zero padding) and writes output rows ty·4 … +3 that
 * lie inside Ho × Wo. No libc, no stack, no static data: scratch space is passed in.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

typedef v128_t V;
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define SPLAT wasm_f32x4_splat
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, x) wasm_v128_store((p), (x))

/* Bᵀ·(d0..d5) */
#define BT6(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5)                                              \
  do {                                                                                                    \
    const V four_ = SPLAT(4.0f), five_ = SPLAT(5.0f), two_ = SPLAT(2.0f);                                    \
    r0 = ADD(SUB(MUL(four_, d0), MUL(five_, d2)), d4);                                                      \
    r1 = SUB(ADD(d4, d3), MUL(four_, ADD(d1, d2)));                                                        \
    r2 = ADD(SUB(d4, d3), MUL(four_, SUB(d1, d2)));                                                        \
    const V e_ = SUB(d4, d2), f_ = MUL(two_, SUB(d3, d1));                                                   \
    r3 = ADD(e_, f_);                                                                                       \
    r4 = SUB(e_, f_);                                                                                       \
    r5 = ADD(SUB(MUL(four_, d1), MUL(five_, d3)), d5);                                                      \
  } while (0)

/* Aᵀ·(m0..m5) */
#define AT6(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3)                                                       \
  do {                                                                                                    \
    const V s12_ = ADD(m1, m2), d12_ = SUB(m1, m2), s34_ = ADD(m3, m4), d34_ = SUB(m3, m4);                   \
    o0 = ADD(ADD(m0, s12_), s34_);                                                                          \
    o1 = ADD(d12_, MUL(SPLAT(2.0f), d34_));                                                                 \
    o2 = ADD(s12_, MUL(SPLAT(4.0f), s34_));                                                                 \
    o3 = ADD(ADD(d12_, MUL(SPLAT(8.0f), d34_)), m5);                                                        \
  } while (0)

/* G·(g0, g1, g2) */
#define G3(g0, g1, g2, r0, r1, r2, r3, r4, r5)                                                            \
  do {                                                                                                    \
    const V g0_ = (g0), g1_ = (g1), g2_ = (g2);                                                           \
    const V s02_ = ADD(g0_, g2_);                                                                         \
    r0 = MUL(SPLAT(0.25f), g0_);                                                                          \
    r1 = MUL(SPLAT(-1.0f / 6.0f), ADD(s02_, g1_));                                                        \
    r2 = MUL(SPLAT(-1.0f / 6.0f), SUB(s02_, g1_));                                                        \
    const V p_ = ADD(MUL(SPLAT(1.0f / 24.0f), g0_), MUL(SPLAT(1.0f / 6.0f), g2_));                        \
    const V q_ = MUL(SPLAT(1.0f / 12.0f), g1_);                                                           \
    r3 = ADD(p_, q_);                                                                                     \
    r4 = SUB(p_, q_);                                                                                     \
    r5 = g2_;                                                                                             \
  } while (0)

EXPORT("wino_filter")
void wino_filter(const float *g, int cin, int cout, float *u) {
  const int plane = cin * cout;
  for (int ci = 0; ci < cin; ci++) {
    for (int co = 0; co < cout; co += 4) {
      const float *p = g + ci * cout + co;
      /* column j of g (3 taps along the filter rows i) → 6 values t<a><j> */
#define COLUMN(j, r0, r1, r2, r3, r4, r5)                                                                 \
  G3(LOAD(p + (0 * 3 + j) * plane), LOAD(p + (1 * 3 + j) * plane), LOAD(p + (2 * 3 + j) * plane), r0, r1, \
     r2, r3, r4, r5)
      V t00, t10, t20, t30, t40, t50, t01, t11, t21, t31, t41, t51, t02, t12, t22, t32, t42, t52;
      COLUMN(0, t00, t10, t20, t30, t40, t50);
      COLUMN(1, t01, t11, t21, t31, t41, t51);
      COLUMN(2, t02, t12, t22, t32, t42, t52);
#undef COLUMN
      float *o = u + ci * cout + co;
      /* row a of t → U[a][0..5] */
#define ROW(a, x0, x1, x2)                                                                                \
  do {                                                                                                    \
    V r0, r1, r2, r3, r4, r5;                                                                             \
    G3(x0, x1, x2, r0, r1, r2, r3, r4, r5);                                                               \
    STORE(o + (a * 6 + 0) * plane, r0);                                                                   \
    STORE(o + (a * 6 + 1) * plane, r1);                                                                   \
    STORE(o + (a * 6 + 2) * plane, r2);                                                                   \
    STORE(o + (a * 6 + 3) * plane, r3);                                                                   \
    STORE(o + (a * 6 + 4) * plane, r4);                                                                   \
    STORE(o + (a * 6 + 5) * plane, r5);                                                                   \
  } while (0)
      ROW(0, t00, t01, t02);
      ROW(1, t10, t11, t12);
      ROW(2, t20, t21, t22);
      ROW(3, t30, t31, t32);
      ROW(4, t40, t41, t42);
      ROW(5, t50, t51, t52);
#undef ROW
    }
  }
}

/*
 * scr: 36 pointers (as ints) + 36 × 4 floats, 16-byte aligned. zeros: cin zero floats.
 */
EXPORT("wino_input")
void wino_input(const float *x, int h, int w, int cin, int pad_t, int pad_l, int th, int tw, int t0, int t1,
                float *v, int ld, const float *zeros, float *scr) {
  const float **ptr = (const float **)scr;
  float *buf = scr + 48; /* after 36 pointers, rounded up to 16 bytes */
  const int per_image = th * tw;
  for (int t = t0; t < t1; t++) {
    const int img = t / per_image;
    const int rem = t - img * per_image;
    const int ty = rem / tw;
    const int tx = rem - ty * tw;
    const int y0 = ty * 4 - pad_t;
    const int x0 = tx * 4 - pad_l;
    const float *base = x + (long)img * h * w * cin;
    for (int i = 0; i < 6; i++) {
      const int y = y0 + i;
      for (int j = 0; j < 6; j++) {
        const int xx = x0 + j;
        ptr[i * 6 + j] = (y >= 0 && y < h && xx >= 0 && xx < w) ? base + (y * w + xx) * cin : zeros;
      }
    }
    float *vt = v + (t - t0) * cin;
    for (int c = 0; c < cin; c += 4) {
      /* rows: s[i][b] = Σ_j d[i][j]·Bᵀ[b][j] */
      for (int i = 0; i < 6; i++) {
        const float *const *pr = ptr + i * 6;
        const V d0 = LOAD(pr[0] + c), d1 = LOAD(pr[1] + c), d2 = LOAD(pr[2] + c);
        const V d3 = LOAD(pr[3] + c), d4 = LOAD(pr[4] + c), d5 = LOAD(pr[5] + c);
        V r0, r1, r2, r3, r4, r5;
        BT6(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5);
        float *s = buf + i * 24;
        STORE(s, r0);
        STORE(s + 4, r1);
        STORE(s + 8, r2);
        STORE(s + 12, r3);
        STORE(s + 16, r4);
        STORE(s + 20, r5);
      }
      /* columns: v[a][b] = Σ_i Bᵀ[a][i]·s[i][b] */
      for (int b = 0; b < 6; b++) {
        const float *s = buf + b * 4;
        const V s0 = LOAD(s), s1 = LOAD(s + 24), s2 = LOAD(s + 48);
        const V s3 = LOAD(s + 72), s4 = LOAD(s + 96), s5 = LOAD(s + 120);
        V r0, r1, r2, r3, r4, r5;
        BT6(s0, s1, s2, s3, s4, s5, r0, r1, r2, r3, r4, r5);
        float *o = vt + c + b * ld;
        STORE(o, r0);
        STORE(o + 6 * ld, r1);
        STORE(o + 12 * ld, r2);
        STORE(o + 18 * ld, r3);
        STORE(o + 24 * ld, r4);
        STORE(o + 30 * ld, r5);
      }
    }
  }
}

/*
 * act: 0 linear, 1 relu, 2 relu6. bias: cout floats or 0. scr: 24 × 4 floats, 16-byte aligned.
 */
EXPORT("wino_output")
void wino_output(const float *m, int ld, int cout, int th, int tw, int ho, int wo, int t0, int t1,
                 const float *bias, int act, float *y, float *scr) {
  const int per_image = th * tw;
  const V zero = SPLAT(0.0f), six = SPLAT(6.0f);
  for (int t = t0; t < t1; t++) {
    const int img = t / per_image;
    const int rem = t - img * per_image;
    const int ty = rem / tw;
    const int tx = rem - ty * tw;
    const int oy = ty * 4, ox = tx * 4;
    const int rows = ho - oy < 4 ? ho - oy : 4;
    const int cols = wo - ox < 4 ? wo - ox : 4;
    float *yt = y + (((long)img * ho + oy) * wo + ox) * cout;
    const float *mt = m + (t - t0) * cout;
    for (int c = 0; c < cout; c += 4) {
      /* rows of the 6 × 6 product: s[i][q] = Σ_j m[i][j]·Aᵀ[q][j] */
      for (int i = 0; i < 6; i++) {
        const float *mi = mt + c + i * 6 * ld;
        const V m0 = LOAD(mi), m1 = LOAD(mi + ld), m2 = LOAD(mi + 2 * ld);
        const V m3 = LOAD(mi + 3 * ld), m4 = LOAD(mi + 4 * ld), m5 = LOAD(mi + 5 * ld);
        V o0, o1, o2, o3;
        AT6(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3);
        float *s = scr + i * 16;
        STORE(s, o0);
        STORE(s + 4, o1);
        STORE(s + 8, o2);
        STORE(s + 12, o3);
      }
      const V bv = bias ? LOAD(bias + c) : zero;
      for (int q = 0; q < cols; q++) {
        const float *s = scr + q * 4;
        const V s0 = LOAD(s), s1 = LOAD(s + 16), s2 = LOAD(s + 32);
        const V s3 = LOAD(s + 48), s4 = LOAD(s + 64), s5 = LOAD(s + 80);
        V o0, o1, o2, o3;
        AT6(s0, s1, s2, s3, s4, s5, o0, o1, o2, o3);
        float *yq = yt + q * cout + c;
#define EMIT(pp, o)                                                                                       \
  if (pp < rows) {                                                                                        \
    V r = ADD(o, bv);                                                                                     \
    if (act == 1) r = wasm_f32x4_max(r, zero);                                                            \
    else if (act == 2) r = wasm_f32x4_min(wasm_f32x4_max(r, zero), six);                                  \
    STORE(yq + pp * wo * cout, r);                                                                        \
  }
        EMIT(0, o0)
        EMIT(1, o1)
        EMIT(2, o2)
        EMIT(3, o3)
#undef EMIT
      }
    }
  }
}
