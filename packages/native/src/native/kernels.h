// vaeflow native kernels: plain C++ over float32 buffers, no Node-API types. The buffers are
// views into the wasm backend's heap (addon.cc resolves them); scratch space lives in native
// memory so that nothing here can grow (and so detach) the wasm heap.
#pragma once
#include <cstddef>
#include <cstdint>

namespace vaeflow {

/** Activations tfjs fuses into _FusedMatMul, applied after the bias. */
enum class Activation : int { Linear = 0, Relu = 1, Relu6 = 2, Prelu = 3, LeakyRelu = 4, Sigmoid = 5, Elu = 6 };

/**
 * out[b] = act(op(A[b]) op(B[b]) + bias) for b < batch, row-major, op = transpose when asked.
 * A[b] starts at a + b * strideA (0 repeats one matrix for every b); likewise B.
 * bias (length biasLen: 1, N, or M * N for one per output element, the same for every b) and
 * prelu weights (length 1 or N) may be null.
 */
struct MatMulArgs {
  const float *a, *b;
  float *out;
  const float *bias;
  const float *prelu;
  int64_t batch, strideA, strideB, M, N, K;
  bool transA, transB;
  Activation act;
  float leakyAlpha;
  int64_t biasLen, preluLen;
};
void matmul(const MatMulArgs &m);

/** NHWC convolution geometry, filter [KH, KW, CI, CO], as tfjs's computeConv2DInfo gives it. */
struct ConvGeometry {
  int64_t batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft;
  int64_t rows() const { return batch * outH * outW; }      // M: one patch per output pixel
  int64_t patch() const { return kH * kW * inC; }           // K: one patch's length
};

/** y[M, CO] = im2col(x)[M, K] W[K, CO]. */
void conv2d(const ConvGeometry &g, const float *x, const float *w, float *y);
/** dx = col2im(dy[M, CO] W[K, CO]^T): the input gradient, and the transposed convolution. */
void conv2dBackpropInput(const ConvGeometry &g, const float *dy, const float *w, float *dx);
/** dW[K, CO] = im2col(x)^T dy. */
void conv2dBackpropFilter(const ConvGeometry &g, const float *x, const float *dy, float *dw);

/**
 * One Adam step (Kingma & Ba 2015) on n parameters, the gradient scaled by gradScale first:
 *   m' = b1 m + (1 - b1) g,  v' = b2 v + (1 - b2) g^2,
 *   x' = x - lr (m' / c1) / (sqrt(v' / c2) + eps),  c1 = 1 - b1^t, c2 = 1 - b2^t.
 * Reads x, g, m, v and writes x', m', v' to separate buffers (the caller's new tensors).
 */
struct AdamArgs {
  const float *x, *g, *m, *v;
  float *xOut, *mOut, *vOut;
  int64_t n;
  float lr, beta1, beta2, epsilon, gradScale, oneMinusAccBeta1, oneMinusAccBeta2;
};
void adam(const AdamArgs &a);

/**
 * out[a, c] = sum_r x[a, r, c]: a sum over one contiguous block of axes, with x viewed as
 * [A, R, C] (R the product of the summed axes). Rows are added in order, so the result depends
 * on the shape only.
 */
void reduceSum(const float *x, float *out, int64_t A, int64_t R, int64_t C);

/** out = x tiled reps[d] times along each dimension d (rank >= 0), for elements of any byte size. */
void tile(const void *x, void *out, const int64_t *shape, const int64_t *reps, int rank, int64_t elementBytes);

/** y = log(1 + e^x), elementwise. */
void softplus(const float *x, float *y, int64_t n);

/** out[r] = sum_d x[r, d] l[r, d] - softplus(l[r, d]): the Bernoulli log-likelihood of x under logits l, per row. */
void bernoulliLogProb(const float *x, const float *logits, float *out, int64_t rows, int64_t dims);

/** sum_i x_i^2, accumulated in double in a fixed order (deterministic for any thread count). */
double sumSquares(const float *x, int64_t n);

/**
 * Björck's orthogonalisation of `batch` D x M matrices (M <= D), each on its own:
 *   Q_{k+1} = Q_k (I + (I - Q_k^T Q_k) / 2) = 1.5 Q_k - 0.5 Q_k (Q_k^T Q_k),
 * stopping before an update once |Q_k^T Q_k - I|_F <= tolerance sqrt(M), after at most
 * maxIterations updates. The backward pass recomputes the iterates and returns dL/dQ_0.
 */
struct BjorckArgs {
  int64_t batch, D, M, maxIterations;
  float tolerance;
};
void bjorck(const BjorckArgs &a, const float *q0, float *q);
void bjorckBackward(const BjorckArgs &a, const float *q0, const float *dy, float *dq0);

/** The most bins {@link rqSpline} takes (its per-element knots live on the stack). */
constexpr int64_t kMaxSplineBins = 64;

/**
 * The rational-quadratic spline with identity tails of Durkan et al. 2019, elementwise over n
 * elements, each with its own unnormalised widths and heights (K each) and interior derivatives
 * (K - 1), laid out element by element: the knots are pos_j = 2B sum_{i<j} (minBinSize +
 * (1 - minBinSize K) softmax(u)_i) - B and d_j = softplus(u_j) + minDerivative (d_0 = d_K = 1).
 * Forward writes y = f(x) and log f'(x); inverse writes x = f^-1(y) and -log f'(x). Outside
 * [-B, B] the map is the identity with log-derivative 0. The backward pass takes dL/d(out) and
 * dL/d(logDet) and writes the gradients of v and of the three parameter arrays.
 */
struct RQSplineArgs {
  int64_t n, K;
  double bound, minBinSize, minDerivative;
  bool inverse;
};
void rqSpline(const RQSplineArgs &a, const float *v, const float *uw, const float *uh, const float *ud, float *out, float *logDet);
void rqSplineBackward(const RQSplineArgs &a, const float *v, const float *uw, const float *uh, const float *ud, const float *gOut, const float *gLogDet, float *gv,
                      float *guw, float *guh, float *gud);

/** Activations of {@link mlpForward}'s layers. */
enum class MLPActivation : int { Linear = 0, Relu = 1, LeakyRelu = 2, Tanh = 3, Sigmoid = 4, Elu = 5 };

/**
 * A multilayer perceptron on a batch: a_0 = x, a_l = act_l(a_{l-1} W_l + b_l) for l = 1..L, W_l
 * [sizes[l-1], sizes[l]] row-major, hidden layers' activation `hidden` (LeakyRelu with slope
 * alpha), the last layer's `output`. The backward pass recomputes the forward and writes dL/dx
 * and every dL/dW_l, dL/db_l from dL/dy.
 */
struct MLPArgs {
  int64_t batch, layers;
  const int64_t *sizes;  // layers + 1
  const float *const *weights;
  const float *const *biases;
  MLPActivation hidden, output;
  float alpha;
};
void mlpForward(const MLPArgs &m, const float *x, float *y);
void mlpBackward(const MLPArgs &m, const float *x, const float *dy, float *dx, float *const *dw, float *const *db);

/** Threads used by the BLAS (and by the kernels here that split work). */
void setThreads(int n);
int threads();
/** The BLAS's build configuration and the CPU kernel it chose at run time. */
const char *blasConfig();
const char *blasCore();

}  // namespace vaeflow
