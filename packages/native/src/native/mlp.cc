// A small multilayer perceptron, forward and backward, as one kernel each: for the many tiny
// networks of flow priors and discriminators (dpVAE's coupling nets: 2 -> 64 -> 64 -> 2 on a
// batch of 128), where tfjs spends more time dispatching some thirty ops and recording them for
// autodiff than computing. The products go through matmul (loops below the BLAS cut-off).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"

namespace vaeflow {

namespace {

float act(float z, MLPActivation a, float alpha) {
  switch (a) {
    case MLPActivation::Linear: return z;
    case MLPActivation::Relu: return z > 0.f ? z : 0.f;
    case MLPActivation::LeakyRelu: return z > 0.f ? z : alpha * z;
    case MLPActivation::Tanh: return std::tanh(z);
    case MLPActivation::Sigmoid: return 1.f / (1.f + std::exp(-z));
    case MLPActivation::Elu: return z > 0.f ? z : std::expm1(z);
  }
  return z;
}

/** d act / dz from z and a = act(z). */
float slope(float z, float a, MLPActivation f, float alpha) {
  switch (f) {
    case MLPActivation::Linear: return 1.f;
    case MLPActivation::Relu: return z > 0.f ? 1.f : 0.f;
    case MLPActivation::LeakyRelu: return z > 0.f ? 1.f : alpha;
    case MLPActivation::Tanh: return 1.f - a * a;
    case MLPActivation::Sigmoid: return a * (1.f - a);
    case MLPActivation::Elu: return z > 0.f ? 1.f : a + 1.f;
  }
  return 1.f;
}

/** out[B, N] = in[B, K] W[K, N] + b, then (when `a` is given) a = act(out). */
void layer(const MLPArgs &m, int64_t l, const float *in, float *z, float *a) {
  MatMulArgs p{};
  p.a = in, p.b = m.weights[l], p.out = z, p.bias = m.biases[l];
  p.batch = 1, p.M = m.batch, p.K = m.sizes[l], p.N = m.sizes[l + 1];
  p.act = Activation::Linear, p.biasLen = p.N;
  matmul(p);
  const MLPActivation f = l + 1 == m.layers ? m.output : m.hidden;
  const int64_t n = m.batch * p.N;
  for (int64_t i = 0; i < n; i++) a[i] = act(z[i], f, m.alpha);
}

struct MLPScratch {
  std::vector<float> z, a, g, gz, next;
};
MLPScratch &scratch() {
  thread_local MLPScratch s;
  return s;
}

int64_t totalWidth(const MLPArgs &m) {
  int64_t t = 0;
  for (int64_t l = 1; l <= m.layers; l++) t += m.sizes[l];
  return t;
}

}  // namespace

void mlpForward(const MLPArgs &m, const float *x, float *y) {
  MLPScratch &s = scratch();
  const int64_t widest = *std::max_element(m.sizes, m.sizes + m.layers + 1);
  s.z.resize(m.batch * widest);
  s.a.resize(2 * m.batch * widest);
  const float *in = x;
  for (int64_t l = 0; l < m.layers; l++) {
    float *a = l + 1 == m.layers ? y : s.a.data() + (l % 2) * m.batch * widest;
    layer(m, l, in, s.z.data(), a);
    in = a;
  }
}

void mlpBackward(const MLPArgs &m, const float *x, const float *dy, float *dx, float *const *dw, float *const *db) {
  if (m.batch == 0) {  // no rows: zero gradients
    for (int64_t l = 0; l < m.layers; l++) {
      std::fill(dw[l], dw[l] + m.sizes[l] * m.sizes[l + 1], 0.f);
      std::fill(db[l], db[l] + m.sizes[l + 1], 0.f);
    }
    return;
  }
  MLPScratch &s = scratch();
  // Forward again, keeping every layer's pre-activation z_l and output a_l.
  const int64_t total = m.batch * totalWidth(m);
  s.z.resize(total);
  s.a.resize(total);
  std::vector<int64_t> at(m.layers + 1, 0);
  for (int64_t l = 0; l < m.layers; l++) at[l + 1] = at[l] + m.batch * m.sizes[l + 1];
  for (int64_t l = 0; l < m.layers; l++) layer(m, l, l == 0 ? x : s.a.data() + at[l - 1], s.z.data() + at[l], s.a.data() + at[l]);
  const int64_t widest = *std::max_element(m.sizes, m.sizes + m.layers + 1);
  s.g.assign(dy, dy + m.batch * m.sizes[m.layers]);
  s.gz.resize(m.batch * widest);
  for (int64_t l = m.layers - 1; l >= 0; l--) {
    const int64_t K = m.sizes[l], N = m.sizes[l + 1];
    const MLPActivation f = l + 1 == m.layers ? m.output : m.hidden;
    const float *z = s.z.data() + at[l], *a = s.a.data() + at[l];
    float *gz = s.gz.data();
    for (int64_t i = 0; i < m.batch * N; i++) gz[i] = s.g[i] * slope(z[i], a[i], f, m.alpha);
    const float *in = l == 0 ? x : s.a.data() + at[l - 1];
    // dW = in^T gz, db = column sums of gz (rows in order), g_in = gz W^T
    MatMulArgs p{};
    p.a = in, p.b = gz, p.out = dw[l], p.batch = 1, p.M = K, p.K = m.batch, p.N = N, p.transA = true, p.act = Activation::Linear;
    matmul(p);
    std::fill(db[l], db[l] + N, 0.f);
    for (int64_t i = 0; i < m.batch; i++)
      for (int64_t j = 0; j < N; j++) db[l][j] += gz[i * N + j];
    s.next.resize(m.batch * K);
    MatMulArgs q{};
    q.a = gz, q.b = m.weights[l], q.out = l == 0 ? dx : s.next.data(), q.batch = 1, q.M = m.batch, q.K = N, q.N = K, q.transB = true, q.act = Activation::Linear;
    matmul(q);
    if (l > 0) std::swap(s.g, s.next);
  }
}

}  // namespace vaeflow
