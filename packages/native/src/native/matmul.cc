// Matrix products through OpenBLAS's cblas_sgemm, with tfjs's fused bias and activations.
#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "denormals.h"
#include "kernels.h"
#include "vector.h"

// OpenBLAS's thread pool (exported by its pthread builds; weak, so that a source build against a
// BLAS without them still links, and setThreads then leaves the pool alone).
extern "C" {
int blas_thread_init(void) __attribute__((weak));
int blas_thread_shutdown_(void) __attribute__((weak));
}

namespace vaeflow {

namespace {

inline float activate(float x, Activation act, float alpha, float preluW) {
  switch (act) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0.f ? x : 0.f;
    case Activation::Relu6: return std::min(std::max(x, 0.f), 6.f);
    case Activation::Prelu: return x < 0.f ? preluW * x : x;
    case Activation::LeakyRelu: return x < 0.f ? alpha * x : x;
    case Activation::Sigmoid: return 1.f / (1.f + std::exp(-x));
    case Activation::Elu: return x < 0.f ? std::expm1(x) : x;
  }
  return x;
}

/**
 * C[M, N] = op(A) op(B) (+ C when beta is 1) for products too small for the BLAS to pay off:
 * its call costs some microseconds, as long as a loop takes for about 10^4 multiply-adds. The
 * batched matrix-vector products of Sylvester flows ([B, 32, 32] x [B, 32, 1]) took 4 us a
 * matrix through cblas_sgemm. Loops are ordered so that the innermost one runs over contiguous
 * memory; compiled for AVX-512, AVX2 + FMA and the baseline, picked when the module loads.
 */
VAEFLOW_CPU_CLONES void smallProduct(const float *A, const float *B, float *C, int64_t M, int64_t N, int64_t K, bool transA, bool transB, float beta) {
  if (beta == 0.f) std::fill(C, C + M * N, 0.f);
  if (transB && K < 8) {
    // Short dot products (an outer product when K = 1): along j instead, B[:, k] strided by K.
    for (int64_t i = 0; i < M; i++) {
      float *row = C + i * N;
      for (int64_t k = 0; k < K; k++) {
        const float a = transA ? A[k * M + i] : A[i * K + k];
        const float *b = B + k;
        for (int64_t j = 0; j < N; j++) row[j] += a * b[j * K];
      }
    }
  } else if (transB) {
    // C[i, j] += A(i, :) . B[j, :]: B's rows are contiguous in k, and A's too unless transposed.
    for (int64_t i = 0; i < M; i++) {
      for (int64_t j = 0; j < N; j++) {
        const float *b = B + j * K;
        if (!transA) {
          C[i * N + j] += dot(A + i * K, b, K);
        } else {
          float sum = 0.f;
          for (int64_t k = 0; k < K; k++) sum += A[k * M + i] * b[k];
          C[i * N + j] += sum;
        }
      }
    }
  } else if (transA) {
    // A^T B = sum_k A[k, :]^T B[k, :]: rank-one updates along contiguous rows of A and B.
    for (int64_t k = 0; k < K; k++) {
      const float *a = A + k * M, *b = B + k * N;
      if (N == 1) {
        axpy(b[0], a, C, M);
      } else {
        for (int64_t i = 0; i < M; i++) axpy(a[i], b, C + i * N, N);
      }
    }
  } else if (N == 1) {
    // Matrix times vector: one dot product per row.
    for (int64_t i = 0; i < M; i++) C[i] += dot(A + i * K, B, K);
  } else {
    for (int64_t i = 0; i < M; i++)
      for (int64_t k = 0; k < K; k++) axpy(A[i * K + k], B + k * N, C + i * N, N);
  }
}

/** Products up to this many multiply-adds go to smallProduct. */
constexpr int64_t kSmallProduct = 8192;

}  // namespace

void matmul(const MatMulArgs &m) {
  const int64_t M = m.M, N = m.N, K = m.K;
  const int lda = static_cast<int>(m.transA ? M : K);
  const int ldb = static_cast<int>(m.transB ? K : N);
  for (int64_t b = 0; b < m.batch; b++) {
    const float *A = m.a + b * m.strideA;
    const float *B = m.b + b * m.strideB;
    float *C = m.out + b * M * N;
    float beta = 0.f;
    if (m.bias != nullptr) {
      // C = bias (broadcast over rows), then C = A B + C in the same pass as the product.
      for (int64_t i = 0; i < M; i++) {
        float *row = C + i * N;
        if (m.biasLen == 1) std::fill(row, row + N, m.bias[0]);
        else if (m.biasLen == N) std::copy(m.bias, m.bias + N, row);
        else std::copy(m.bias + i * N, m.bias + (i + 1) * N, row);  // one bias per output element
      }
      beta = 1.f;
    }
    if (K == 0) {
      if (m.bias == nullptr) std::fill(C, C + M * N, 0.f);
    } else if (M * N * K <= kSmallProduct) {
      smallProduct(A, B, C, M, N, K, m.transA, m.transB, beta);
    } else {
      cblas_sgemm(CblasRowMajor, m.transA ? CblasTrans : CblasNoTrans, m.transB ? CblasTrans : CblasNoTrans,
                  static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), 1.f, A, lda, B, ldb, beta, C, static_cast<int>(N));
    }
    if (m.act == Activation::Linear) continue;
    if (m.act == Activation::Relu) {
      for (int64_t i = 0; i < M * N; i++) C[i] = C[i] > 0.f ? C[i] : 0.f;
      continue;
    }
    for (int64_t i = 0; i < M; i++) {
      float *row = C + i * N;
      for (int64_t j = 0; j < N; j++) {
        const float w = m.prelu == nullptr ? 0.f : m.prelu[m.preluLen == 1 ? 0 : j];
        row[j] = activate(row[j], m.act, m.leakyAlpha, w);
      }
    }
  }
}

void setThreads(int n) {
  // OpenBLAS's worker threads keep the floating-point mode they were created with, and the pool is
  // created when the library loads, before any kernel has set one. Re-created here with subnormals
  // flushed (threads inherit their creator's mode), so every thread of a product flushes them,
  // not only the caller's (denormals.h). Debian's OpenBLAS is not built to copy the mode over itself.
  FlushDenormals flush;
  if (blas_thread_shutdown_ != nullptr && blas_thread_init != nullptr) {
    blas_thread_shutdown_();
    blas_thread_init();
  }
  openblas_set_num_threads(std::max(1, n));
}
int threads() { return openblas_get_num_threads(); }
const char *blasConfig() { return openblas_get_config(); }
const char *blasCore() { return openblas_get_corename(); }

}  // namespace vaeflow
