// The optimiser's elementwise work in one pass per variable: Adam and the gradient norm.
#include <cmath>

#include "kernels.h"
#include "parallel.h"

namespace vaeflow {

void adam(const AdamArgs &a) {
  const float b1 = a.beta1, b2 = a.beta2, c1 = 1.f - b1, c2 = 1.f - b2;
  const float step = -a.lr, s = a.gradScale, eps = a.epsilon;
  const float r1 = 1.f / a.oneMinusAccBeta1, r2 = 1.f / a.oneMinusAccBeta2;
  // Distinct buffers (the kernel writes new tensors), so the loop vectorises.
  const float *__restrict x = a.x, *__restrict gIn = a.g, *__restrict mIn = a.m, *__restrict vIn = a.v;
  float *__restrict xOut = a.xOut, *__restrict mOut = a.mOut, *__restrict vOut = a.vOut;
  // Each element depends on its own inputs only, so splitting across threads changes nothing.
  parallelFor(a.n, 1 << 16, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      const float g = gIn[i] * s;
      const float m = b1 * mIn[i] + c1 * g;
      const float v = b2 * vIn[i] + c2 * (g * g);
      mOut[i] = m;
      vOut[i] = v;
      xOut[i] = x[i] + step * (m * r1) / (std::sqrt(v * r2) + eps);
    }
  });
}

double sumSquares(const float *x, int64_t n) {
  // Blocks of 8 float partial sums, added into one double per block: fast, and the order of
  // additions depends on n only.
  double total = 0.0;
  int64_t i = 0;
  for (; i + 1024 <= n; i += 1024) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = 0; j < 1024; j += 8)
      for (int k = 0; k < 8; k++) lanes[k] += x[i + j + k] * x[i + j + k];
    double block = 0.0;
    for (float l : lanes) block += l;
    total += block;
  }
  for (; i < n; i++) total += static_cast<double>(x[i]) * x[i];
  return total;
}

}  // namespace vaeflow
