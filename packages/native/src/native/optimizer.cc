// The optimiser's elementwise work in one pass per variable: Adam and the gradient norm.
#include <cmath>

#include "kernels.h"
#include "parallel.h"

namespace vaeflow {

namespace {

/**
 * Adam over n elements: m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g^2,
 * x' = x - lr (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps), g the clipped gradient
 * (Kingma & Ba 2015). The buffers are distinct (the kernel writes new tensors); GCC vectorises
 * the loop only when they are restrict *parameters* (restrict locals, or a lambda's captures,
 * left it scalar: a divide and a square root per element, 15% of a reference VAE step).
 */
void adamRange(const AdamArgs &a, int64_t n, const float *__restrict x, const float *__restrict gIn, const float *__restrict mIn, const float *__restrict vIn,
               float *__restrict xOut, float *__restrict mOut, float *__restrict vOut) {
  const float b1 = a.beta1, b2 = a.beta2, c1 = 1.f - b1, c2 = 1.f - b2;
  const float step = -a.lr, s = a.gradScale, eps = a.epsilon;
  const float r1 = 1.f / a.oneMinusAccBeta1, r2 = 1.f / a.oneMinusAccBeta2;
  for (int64_t i = 0; i < n; i++) {
    const float g = gIn[i] * s;
    const float m = b1 * mIn[i] + c1 * g;
    const float v = b2 * vIn[i] + c2 * (g * g);
    mOut[i] = m;
    vOut[i] = v;
    xOut[i] = x[i] + step * (m * r1) / (std::sqrt(v * r2) + eps);
  }
}

}  // namespace

void adam(const AdamArgs &a) {
  // Each element depends on its own inputs only, so splitting across threads changes nothing.
  parallelFor(a.n, 1 << 16, [&a](int64_t b, int64_t e) { adamRange(a, e - b, a.x + b, a.g + b, a.m + b, a.v + b, a.xOut + b, a.mOut + b, a.vOut + b); });
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
