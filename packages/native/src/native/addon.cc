// Node-API bindings. Every kernel takes the wasm backend's heap (an ArrayBuffer) and byte
// offsets into it, so tensors are read and written where they live, without copies. An
// offset of -1 stands for an absent optional input. Offsets are checked against the heap.
#include <node_api.h>

#include <cstdio>
#include <string>
#include <vector>

#include "denormals.h"
#include "kernels.h"

#ifndef VAEFLOW_SOURCE_HASH
#define VAEFLOW_SOURCE_HASH "unknown"
#endif

namespace {

using namespace vaeflow;

struct Args {
  FlushDenormals flush;  // for the whole call, kernel included (see denormals.h)
  napi_env env;
  napi_value argv[24];
  size_t argc = 24;
  char *heap = nullptr;
  size_t heapBytes = 0;
  bool ok = true;

  Args(napi_env e, napi_callback_info info, size_t expected) : env(e) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < expected) fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc));
  }
  void fail(const std::string &message) {
    if (ok) napi_throw_error(env, "VAEFLOW_NATIVE_ARGS", ("vaeflow native: " + message).c_str());
    ok = false;
  }
  /** Binds argument i as the heap. */
  void heapAt(size_t i) {
    if (!ok) return;
    void *data = nullptr;
    if (napi_get_arraybuffer_info(env, argv[i], &data, &heapBytes) != napi_ok) return fail("argument 0 must be the wasm heap (an ArrayBuffer)");
    heap = static_cast<char *>(data);
  }
  double number(size_t i) {
    double v = 0;
    if (ok && napi_get_value_double(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }
  int64_t integer(size_t i) { return static_cast<int64_t>(number(i)); }
  /** A JavaScript array of numbers at argument i. */
  std::vector<int64_t> integers(size_t i) {
    std::vector<int64_t> out;
    uint32_t length = 0;
    bool isArray = false;
    if (!ok) return out;
    if (napi_is_array(env, argv[i], &isArray) != napi_ok || !isArray || napi_get_array_length(env, argv[i], &length) != napi_ok) {
      fail("argument " + std::to_string(i) + " must be an array of numbers");
      return out;
    }
    for (uint32_t k = 0; k < length && ok; k++) {
      napi_value element;
      double v = 0;
      if (napi_get_element(env, argv[i], k, &element) != napi_ok || napi_get_value_double(env, element, &v) != napi_ok) fail("argument " + std::to_string(i) + " must be an array of numbers");
      out.push_back(static_cast<int64_t>(v));
    }
    return out;
  }
  /** A float32 buffer of `count` elements at the byte offset in argument i (null for -1). */
  float *floats(size_t i, int64_t count, bool optional = false) {
    const double offset = number(i);
    if (!ok) return nullptr;
    if (offset < 0 && optional) return nullptr;
    return floatsAt(offset, count, "buffer at argument " + std::to_string(i));
  }
  /** A float32 buffer of `count` elements at a byte offset, checked against the heap. */
  float *floatsAt(double offset, int64_t count, const std::string &what) {
    if (!ok) return nullptr;
    if (offset < 0 || count < 0 || static_cast<uint64_t>(offset) % 4 != 0 || static_cast<uint64_t>(offset) + static_cast<uint64_t>(count) * 4 > heapBytes) {
      fail(what + " lies outside the heap");
      return nullptr;
    }
    return reinterpret_cast<float *>(heap + static_cast<uint64_t>(offset));
  }
};

napi_value undefinedValue(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

// matmul(heap, a, b, out, bias, prelu, batch, strideA, strideB, M, N, K, transA, transB, act, alpha, biasLen, preluLen)
napi_value MatMul(napi_env env, napi_callback_info info) {
  Args in(env, info, 18);
  in.heapAt(0);
  MatMulArgs m{};
  m.batch = in.integer(6), m.strideA = in.integer(7), m.strideB = in.integer(8);
  m.M = in.integer(9), m.N = in.integer(10), m.K = in.integer(11);
  m.transA = in.number(12) != 0, m.transB = in.number(13) != 0;
  m.act = static_cast<Activation>(in.integer(14));
  m.leakyAlpha = static_cast<float>(in.number(15));
  m.biasLen = in.integer(16), m.preluLen = in.integer(17);
  const int64_t spanA = (m.batch - 1) * m.strideA + m.M * m.K, spanB = (m.batch - 1) * m.strideB + m.K * m.N;
  m.a = in.floats(1, spanA);
  m.b = in.floats(2, spanB);
  m.out = in.floats(3, m.batch * m.M * m.N);
  m.bias = in.floats(4, m.biasLen, true);
  m.prelu = in.floats(5, m.preluLen, true);
  if (in.ok && (static_cast<int>(m.act) < 0 || static_cast<int>(m.act) > 6)) in.fail("unknown activation");
  if (in.ok) matmul(m);
  return undefinedValue(env);
}

ConvGeometry geometryFrom(Args &in, size_t first) {
  ConvGeometry g{};
  int64_t *fields[] = {&g.batch, &g.inH, &g.inW, &g.inC, &g.outH, &g.outW, &g.outC, &g.kH, &g.kW, &g.strideH, &g.strideW, &g.dilH, &g.dilW, &g.padTop, &g.padLeft};
  for (size_t k = 0; k < 15; k++) *fields[k] = in.integer(first + k);
  return g;
}

// conv2d*(heap, in0, in1, out, ...15 geometry numbers); which buffers are which depends on the kernel.
enum class ConvKind { Forward, BackpropInput, BackpropFilter };
template <ConvKind kind>
napi_value Conv(napi_env env, napi_callback_info info) {
  Args in(env, info, 19);
  in.heapAt(0);
  const ConvGeometry g = geometryFrom(in, 4);
  const int64_t xSize = g.batch * g.inH * g.inW * g.inC, ySize = g.rows() * g.outC, wSize = g.patch() * g.outC;
  if (kind == ConvKind::Forward) {
    const float *x = in.floats(1, xSize), *w = in.floats(2, wSize);
    float *y = in.floats(3, ySize);
    if (in.ok) conv2d(g, x, w, y);
  } else if (kind == ConvKind::BackpropInput) {
    const float *dy = in.floats(1, ySize), *w = in.floats(2, wSize);
    float *dx = in.floats(3, xSize);
    if (in.ok) conv2dBackpropInput(g, dy, w, dx);
  } else {
    const float *x = in.floats(1, xSize), *dy = in.floats(2, ySize);
    float *dw = in.floats(3, wSize);
    if (in.ok) conv2dBackpropFilter(g, x, dy, dw);
  }
  return undefinedValue(env);
}

// adam(heap, x, g, m, v, xOut, mOut, vOut, n, lr, beta1, beta2, epsilon, gradScale, 1 - beta1^t, 1 - beta2^t)
napi_value Adam(napi_env env, napi_callback_info info) {
  Args in(env, info, 16);
  in.heapAt(0);
  AdamArgs a{};
  a.n = in.integer(8);
  a.x = in.floats(1, a.n), a.g = in.floats(2, a.n), a.m = in.floats(3, a.n), a.v = in.floats(4, a.n);
  a.xOut = in.floats(5, a.n), a.mOut = in.floats(6, a.n), a.vOut = in.floats(7, a.n);
  a.lr = static_cast<float>(in.number(9)), a.beta1 = static_cast<float>(in.number(10)), a.beta2 = static_cast<float>(in.number(11));
  a.epsilon = static_cast<float>(in.number(12)), a.gradScale = static_cast<float>(in.number(13));
  a.oneMinusAccBeta1 = static_cast<float>(in.number(14)), a.oneMinusAccBeta2 = static_cast<float>(in.number(15));
  if (in.ok) adam(a);
  return undefinedValue(env);
}

// reduceSum(heap, x, out, A, R, C)
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  Args in(env, info, 6);
  in.heapAt(0);
  const int64_t A = in.integer(3), R = in.integer(4), C = in.integer(5);
  const float *x = in.floats(1, A * R * C);
  float *out = in.floats(2, A * C);
  if (in.ok) reduceSum(x, out, A, R, C);
  return undefinedValue(env);
}

// tile(heap, x, out, elementBytes, shape: number[], reps: number[])
napi_value Tile(napi_env env, napi_callback_info info) {
  Args in(env, info, 6);
  in.heapAt(0);
  const int64_t elementBytes = in.integer(3);
  std::vector<int64_t> shape = in.integers(4), reps = in.integers(5);
  if (in.ok && shape.size() != reps.size()) in.fail("shape and reps differ in length");
  if (in.ok && elementBytes != 4) in.fail("tile copies 4-byte elements only");
  int64_t size = 1, outSize = 1;
  for (size_t d = 0; d < shape.size() && in.ok; d++) {
    if (shape[d] < 0 || reps[d] < 0) in.fail("negative dimension");
    size *= shape[d];
    outSize *= shape[d] * reps[d];
  }
  const float *x = in.floats(1, size);
  float *out = in.floats(2, outSize);
  if (in.ok && outSize > 0) tile(x, out, shape.data(), reps.data(), static_cast<int>(shape.size()), elementBytes);
  return undefinedValue(env);
}

// softplus(heap, x, y, n)
napi_value Softplus(napi_env env, napi_callback_info info) {
  Args in(env, info, 4);
  in.heapAt(0);
  const int64_t n = in.integer(3);
  const float *x = in.floats(1, n);
  float *y = in.floats(2, n);
  if (in.ok) softplus(x, y, n);
  return undefinedValue(env);
}

// bernoulliLogProb(heap, x, logits, out, rows, dims)
napi_value BernoulliLogProb(napi_env env, napi_callback_info info) {
  Args in(env, info, 6);
  in.heapAt(0);
  const int64_t rows = in.integer(4), dims = in.integer(5);
  const float *x = in.floats(1, rows * dims), *logits = in.floats(2, rows * dims);
  float *out = in.floats(3, rows);
  if (in.ok) bernoulliLogProb(x, logits, out, rows, dims);
  return undefinedValue(env);
}

// bjorck(heap, q0, q, batch, D, M, maxIterations, tolerance) and
// bjorckBackward(heap, q0, dy, dq0, batch, D, M, maxIterations, tolerance)
template <bool backward>
napi_value Bjorck(napi_env env, napi_callback_info info) {
  Args in(env, info, backward ? 9 : 8);
  in.heapAt(0);
  const size_t first = backward ? 4 : 3;
  BjorckArgs a{};
  a.batch = in.integer(first), a.D = in.integer(first + 1), a.M = in.integer(first + 2), a.maxIterations = in.integer(first + 3);
  a.tolerance = static_cast<float>(in.number(first + 4));
  if (in.ok && (a.batch < 0 || a.M < 1 || a.D < a.M || a.maxIterations < 0)) in.fail("bjorck needs batch >= 0, 1 <= M <= D and maxIterations >= 0");
  const int64_t n = a.batch * a.D * a.M;
  if (backward) {
    const float *q0 = in.floats(1, n), *dy = in.floats(2, n);
    float *dq0 = in.floats(3, n);
    if (in.ok) bjorckBackward(a, q0, dy, dq0);
  } else {
    const float *q0 = in.floats(1, n);
    float *q = in.floats(2, n);
    if (in.ok) bjorck(a, q0, q);
  }
  return undefinedValue(env);
}

// rqSpline(heap, v, uw, uh, ud, out, logDet, n, K, bound, minBinSize, minDerivative, inverse) and
// rqSplineBackward(heap, v, uw, uh, ud, gOut, gLogDet, gv, guw, guh, gud, n, K, bound, minBinSize, minDerivative, inverse)
template <bool backward>
napi_value RQSpline(napi_env env, napi_callback_info info) {
  const size_t first = backward ? 11 : 7;
  Args in(env, info, first + 6);
  in.heapAt(0);
  RQSplineArgs a{};
  a.n = in.integer(first), a.K = in.integer(first + 1);
  a.bound = in.number(first + 2), a.minBinSize = in.number(first + 3), a.minDerivative = in.number(first + 4);
  a.inverse = in.number(first + 5) != 0;
  if (in.ok && (a.n < 0 || a.K < 2 || a.K > kMaxSplineBins || !(a.bound > 0))) in.fail("rqSpline needs n >= 0, 2 <= K <= 64 bins and a positive bound");
  const float *v = in.floats(1, a.n), *uw = in.floats(2, a.n * a.K), *uh = in.floats(3, a.n * a.K), *ud = in.floats(4, a.n * (a.K - 1));
  if (backward) {
    const float *gOut = in.floats(5, a.n), *gLogDet = in.floats(6, a.n);
    float *gv = in.floats(7, a.n), *guw = in.floats(8, a.n * a.K), *guh = in.floats(9, a.n * a.K), *gud = in.floats(10, a.n * (a.K - 1));
    if (in.ok) rqSplineBackward(a, v, uw, uh, ud, gOut, gLogDet, gv, guw, guh, gud);
  } else {
    float *out = in.floats(5, a.n), *logDet = in.floats(6, a.n);
    if (in.ok) rqSpline(a, v, uw, uh, ud, out, logDet);
  }
  return undefinedValue(env);
}

// mlp(heap, x, y, params: [w_1, b_1, ..., w_L, b_L], sizes: [L + 1], batch, hidden, output, alpha) and
// mlpBackward(heap, x, dy, dx, params, grads: [dw_1, db_1, ...], sizes, batch, hidden, output, alpha)
template <bool backward>
napi_value MLP(napi_env env, napi_callback_info info) {
  const size_t first = backward ? 6 : 4;
  Args in(env, info, first + 5);
  in.heapAt(0);
  std::vector<int64_t> params = in.integers(backward ? 4 : 3), sizes = in.integers(first);
  std::vector<int64_t> grads = backward ? in.integers(5) : std::vector<int64_t>();
  MLPArgs m{};
  m.batch = in.integer(first + 1);
  const int64_t hidden = in.integer(first + 2), output = in.integer(first + 3);
  m.alpha = static_cast<float>(in.number(first + 4));
  m.layers = static_cast<int64_t>(sizes.size()) - 1;
  if (in.ok && (m.layers < 1 || m.batch < 0 || static_cast<int64_t>(params.size()) != 2 * m.layers || (backward && grads.size() != params.size()) || hidden < 0 || hidden > 5 || output < 0 || output > 5))
    in.fail("mlp needs L >= 1 layers, 2L parameter and gradient offsets, L + 1 sizes and known activations");
  for (int64_t v : sizes)
    if (in.ok && v < 1) in.fail("mlp layer sizes must be positive");
  if (!in.ok) return undefinedValue(env);  // sizes may be empty: nothing below may read them
  m.hidden = static_cast<MLPActivation>(hidden), m.output = static_cast<MLPActivation>(output);
  std::vector<const float *> w(m.layers), b(m.layers);
  std::vector<float *> dw(m.layers), db(m.layers);
  for (int64_t l = 0; l < m.layers && in.ok; l++) {
    const std::string layer = "layer " + std::to_string(l) + "'s ";
    w[l] = in.floatsAt(static_cast<double>(params[2 * l]), sizes[l] * sizes[l + 1], layer + "weights");
    b[l] = in.floatsAt(static_cast<double>(params[2 * l + 1]), sizes[l + 1], layer + "bias");
    if (backward) {
      dw[l] = in.floatsAt(static_cast<double>(grads[2 * l]), sizes[l] * sizes[l + 1], layer + "weight gradient");
      db[l] = in.floatsAt(static_cast<double>(grads[2 * l + 1]), sizes[l + 1], layer + "bias gradient");
    }
  }
  m.sizes = sizes.data(), m.weights = w.data(), m.biases = b.data();
  const float *x = in.floats(1, m.batch * sizes.front());
  if (backward) {
    const float *dy = in.floats(2, m.batch * sizes.back());
    float *dx = in.floats(3, m.batch * sizes.front());
    if (in.ok) mlpBackward(m, x, dy, dx, dw.data(), db.data());
  } else {
    float *y = in.floats(2, m.batch * sizes.back());
    if (in.ok && m.batch > 0) mlpForward(m, x, y);
  }
  return undefinedValue(env);
}

// sumSquares(heap, x, n) -> number
napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args in(env, info, 3);
  in.heapAt(0);
  const int64_t n = in.integer(2);
  const float *x = in.floats(1, n);
  napi_value out;
  napi_create_double(env, in.ok ? sumSquares(x, n) : 0.0, &out);
  return out;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args in(env, info, 1);
  const int64_t n = in.integer(0);
  if (in.ok) setThreads(static_cast<int>(n));
  return undefinedValue(env);
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, threads(), &v);
  napi_set_named_property(env, obj, "threads", v);
  napi_create_string_utf8(env, blasConfig(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "blas", v);
  napi_create_string_utf8(env, blasCore(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "cpuKernel", v);
  napi_create_string_utf8(env, VAEFLOW_SOURCE_HASH, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "sourceHash", v);
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2d", nullptr, Conv<ConvKind::Forward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv<ConvKind::BackpropInput>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv<ConvKind::BackpropFilter>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tile", nullptr, Tile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softplus", nullptr, Softplus, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bernoulliLogProb", nullptr, BernoulliLogProb, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceSum", nullptr, ReduceSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bjorck", nullptr, Bjorck<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bjorckBackward", nullptr, Bjorck<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rqSpline", nullptr, RQSpline<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rqSplineBackward", nullptr, RQSpline<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mlp", nullptr, MLP<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mlpBackward", nullptr, MLP<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
