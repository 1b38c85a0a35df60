// Björck's iterative orthogonalisation of a batch of D x M matrices (M <= D), forward and
// backward, one matrix at a time so that its iterates stay in cache: the Q of O-SNF
// (van den Berg et al. 2018, arXiv 1803.05649). Each matrix stops on its own once its
// columns are orthonormal to the tolerance, as the composite in @vaeflow/core does.
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace vaeflow {

namespace {

/** Per-thread buffers, grown on demand and reused across calls. */
struct BjorckScratch {
  std::vector<float> iterates, grams, work;
};
BjorckScratch &scratch() {
  thread_local BjorckScratch s;
  return s;
}

/** G = Q^T Q (M x M) for Q (D x M), and |G - I|_F^2. */
float gramError(const float *q, float *G, int64_t D, int64_t M) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(M), static_cast<int>(D), 1.f, q, static_cast<int>(M), q,
              static_cast<int>(M), 0.f, G, static_cast<int>(M));
  float e = 0.f;
  for (int64_t i = 0; i < M; i++) {
    for (int64_t j = 0; j < M; j++) {
      const float d = G[i * M + j] - (i == j ? 1.f : 0.f);
      e += d * d;
    }
  }
  return e;
}

/** next = 1.5 q - 0.5 q G, using t (D x M) as scratch. */
void bjorckStep(const float *q, const float *G, float *next, float *t, int64_t D, int64_t M) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(D), static_cast<int>(M), static_cast<int>(M), 1.f, q, static_cast<int>(M), G,
              static_cast<int>(M), 0.f, t, static_cast<int>(M));
  for (int64_t i = 0; i < D * M; i++) next[i] = 1.5f * q[i] - 0.5f * t[i];
}

/**
 * Runs the iteration from q0 and returns n, the number of updates made; the last iterate q_n is
 * at iterates + slot(n, keepAll) D M. With keepAll every iterate q_0..q_n is kept in `iterates`
 * ((n + 1) D M) and the Gram matrices G_0..G_{n-1} in `grams` (the backward needs them); without,
 * two iterate slots and one Gram matrix are reused (the forward needs only q_n).
 */
int64_t slot(int64_t k, bool keepAll) { return keepAll ? k : (k & 1); }

int64_t iterate(const BjorckArgs &a, const float *q0, bool keepAll, std::vector<float> &iterates, std::vector<float> &grams, float *t) {
  const int64_t D = a.D, M = a.M, DM = D * M, MM = M * M;
  const int64_t slots = keepAll ? a.maxIterations + 1 : 2;
  const float threshold = a.tolerance * a.tolerance * static_cast<float>(M);
  if (iterates.size() < static_cast<size_t>(slots * DM)) iterates.resize(slots * DM);
  if (grams.size() < static_cast<size_t>(slots * MM)) grams.resize(slots * MM);
  std::memcpy(iterates.data(), q0, DM * sizeof(float));
  int64_t k = 0;
  for (; k < a.maxIterations; k++) {
    const float *q = iterates.data() + slot(k, keepAll) * DM;
    float *G = grams.data() + (keepAll ? k : 0) * MM;
    if (gramError(q, G, D, M) <= threshold) break;
    bjorckStep(q, G, iterates.data() + slot(k + 1, keepAll) * DM, t, D, M);
  }
  return k;
}

}  // namespace

void bjorck(const BjorckArgs &a, const float *q0, float *q) {
  const int64_t DM = a.D * a.M;
  parallelFor(a.batch, 1, [&](int64_t begin, int64_t end) {
    BjorckScratch &s = scratch();
    if (s.work.size() < static_cast<size_t>(DM)) s.work.resize(DM);
    for (int64_t b = begin; b < end; b++) {
      const int64_t n = iterate(a, q0 + b * DM, false, s.iterates, s.grams, s.work.data());
      std::memcpy(q + b * DM, s.iterates.data() + slot(n, false) * DM, DM * sizeof(float));
    }
  });
}

void bjorckBackward(const BjorckArgs &a, const float *q0, const float *dy, float *dq0) {
  const int64_t D = a.D, M = a.M, DM = D * M, MM = M * M;
  parallelFor(a.batch, 1, [&](int64_t begin, int64_t end) {
    BjorckScratch &s = scratch();
    if (s.work.size() < static_cast<size_t>(3 * DM + 2 * MM)) s.work.resize(3 * DM + 2 * MM);
    float *g = s.work.data(), *gNext = g + DM, *t = gNext + DM, *P = t + DM, *S = P + MM;
    for (int64_t b = begin; b < end; b++) {
      const int64_t n = iterate(a, q0 + b * DM, true, s.iterates, s.grams, t);
      std::memcpy(g, dy + b * DM, DM * sizeof(float));
      // q' = 1.5 q - 0.5 q G with G = q^T q, so for the upstream gradient g of q':
      // dq = 1.5 g - 0.5 (g G + q (P + P^T)), P = q^T g.
      for (int64_t k = n - 1; k >= 0; k--) {
        const float *q = s.iterates.data() + k * DM, *G = s.grams.data() + k * MM;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(M), static_cast<int>(D), 1.f, q, static_cast<int>(M), g,
                    static_cast<int>(M), 0.f, P, static_cast<int>(M));
        for (int64_t i = 0; i < M; i++)
          for (int64_t j = 0; j < M; j++) S[i * M + j] = P[i * M + j] + P[j * M + i];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(D), static_cast<int>(M), static_cast<int>(M), 1.f, g, static_cast<int>(M), G,
                    static_cast<int>(M), 0.f, t, static_cast<int>(M));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(D), static_cast<int>(M), static_cast<int>(M), 1.f, q, static_cast<int>(M), S,
                    static_cast<int>(M), 1.f, t, static_cast<int>(M));
        for (int64_t i = 0; i < DM; i++) gNext[i] = 1.5f * g[i] - 0.5f * t[i];
        std::swap(g, gNext);
      }
      std::memcpy(dq0 + b * DM, g, DM * sizeof(float));
    }
  });
}

}  // namespace vaeflow
