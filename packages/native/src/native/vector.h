// Vector loops shared by the kernels. Where GCC can pick a function's version by CPU when the
// module loads (x86-64 Linux), each is compiled for AVX-512, AVX2 + FMA and the baseline (the
// build targets the baseline, so that one binary runs everywhere).
#pragma once
#include <cstdint>

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define VAEFLOW_CPU_CLONES __attribute__((target_clones("default", "arch=haswell", "arch=skylake-avx512")))
#else
#define VAEFLOW_CPU_CLONES
#endif

namespace vaeflow {

/**
 * sum_i a[i] b[i] in 16 interleaved partial sums, added up at the end: a fixed order (so the
 * same result on every CPU version) that the compiler can vectorise, which one running sum is not.
 */
VAEFLOW_CPU_CLONES static float dot(const float *a, const float *b, int64_t n) {
  float part[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; j++) part[j] += a[i + j] * b[i + j];
  for (; i < n; i++) part[i % 16] += a[i] * b[i];
  float s = 0.f;
  for (int j = 0; j < 16; j++) s += part[j];
  return s;
}

/** out[r] += W[r, :] . x for r < rows <= 8 (W rows n long): dot() for several rows, x read once. */
VAEFLOW_CPU_CLONES static void dots(const float *x, const float *W, int64_t rows, int64_t n, float *out) {
  float part[8][16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int64_t r = 0; r < rows; r++)
      for (int j = 0; j < 16; j++) part[r][j] += x[i + j] * W[r * n + i + j];
  for (; i < n; i++)
    for (int64_t r = 0; r < rows; r++) part[r][i % 16] += x[i] * W[r * n + i];
  for (int64_t r = 0; r < rows; r++) {
    float s = 0.f;
    for (int j = 0; j < 16; j++) s += part[r][j];
    out[r] += s;
  }
}

/** y += sum_r a[r] W[r, :] over n elements, for r < rows (W rows n long). */
VAEFLOW_CPU_CLONES static void axpys(const float *a, const float *W, int64_t rows, float *y, int64_t n) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t i = 0; i < n; i++) y[i] += a[r] * W[r * n + i];
}

/** D[r, :] += a[r] x over n elements, for r < rows (D rows n long): a sum of outer products. */
VAEFLOW_CPU_CLONES static void rankOne(const float *a, const float *x, int64_t rows, float *D, int64_t n) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t i = 0; i < n; i++) D[r * n + i] += a[r] * x[i];
}

/** y += a x over n elements. */
VAEFLOW_CPU_CLONES static void axpy(float a, const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

}  // namespace vaeflow
