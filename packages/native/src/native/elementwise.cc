// Copies and elementwise maps: Tile (as block copies) and Softplus, split across threads for
// large tensors. Each output element is computed by one thread from its inputs alone, so the
// result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace vaeflow {

namespace {

/** Tiles dimension d and everything inside it: src block -> dst block. */
void tileDim(const char *src, char *dst, const int64_t *shape, const int64_t *reps, const int64_t *srcStride, const int64_t *dstStride, int rank, int d, int64_t elementBytes) {
  if (d == rank - 1) {
    const int64_t rowBytes = shape[d] * elementBytes;
    for (int64_t r = 0; r < reps[d]; r++) std::memcpy(dst + r * rowBytes, src, rowBytes);
    return;
  }
  for (int64_t i = 0; i < shape[d]; i++) tileDim(src + i * srcStride[d] * elementBytes, dst + i * dstStride[d] * elementBytes, shape, reps, srcStride, dstStride, rank, d + 1, elementBytes);
  const int64_t blockBytes = shape[d] * dstStride[d] * elementBytes;
  for (int64_t r = 1; r < reps[d]; r++) std::memcpy(dst + r * blockBytes, dst, blockBytes);
}

}  // namespace

void tile(const void *x, void *out, const int64_t *shape, const int64_t *reps, int rank, int64_t elementBytes) {
  if (rank == 0) {
    std::memcpy(out, x, elementBytes);
    return;
  }
  std::vector<int64_t> srcStride(rank, 1), dstStride(rank, 1);
  for (int d = rank - 2; d >= 0; d--) {
    srcStride[d] = srcStride[d + 1] * shape[d + 1];
    dstStride[d] = dstStride[d + 1] * shape[d + 1] * reps[d + 1];
  }
  tileDim(static_cast<const char *>(x), static_cast<char *>(out), shape, reps, srcStride.data(), dstStride.data(), rank, 0, elementBytes);
}

namespace {

/**
 * log(1 + e^v) = max(v, 0) + log(1 + t), t = e^-|v| in (0, 1]: no overflow. log(1 + t) is
 * logf (twice as fast as log1pf) except for t < 2^-12, where t - t^2/2 is exact to float
 * precision; the absolute error stays below 1e-7, as in tfjs's own log(e^v + 1).
 */
inline float softplusOf(float v) {
  const float t = std::exp(-std::fabs(v));
  return std::max(v, 0.f) + (t < 0x1p-12f ? t * (1.f - 0.5f * t) : std::log(1.f + t));
}

}  // namespace

void softplus(const float *x, float *y, int64_t n) {
  parallelFor(n, 1 << 15, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) y[i] = std::isnan(x[i]) ? x[i] : softplusOf(x[i]);
  });
}

void bernoulliLogProb(const float *x, const float *logits, float *out, int64_t rows, int64_t dims) {
  parallelFor(rows, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, dims)), [=](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const float *xr = x + r * dims, *lr = logits + r * dims;
      float total = 0.f;
      for (int64_t d = 0; d < dims; d++) total += xr[d] * lr[d] - softplusOf(lr[d]);
      out[r] = total;
    }
  });
}

}  // namespace vaeflow
