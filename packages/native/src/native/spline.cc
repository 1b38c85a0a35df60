// The monotonic rational-quadratic spline with identity tails (Durkan et al. 2019, arXiv
// 1906.04032), forward and inverse, with its gradient, one element at a time: the knots come
// from the element's own K + K + (K - 1) unnormalised numbers, so the whole spline (softmaxes,
// cumulative sums, bin search, the rational function and its log-derivative) is one pass over
// the data instead of some sixty tfjs ops on [B, D, K] tensors. The maths is the composite's in
// @vaeflow/flows-spline (spline.ts), in double; the backward pass recomputes the knots.
#include <algorithm>
#include <cmath>

#include "kernels.h"
#include "parallel.h"

namespace vaeflow {

namespace {

/** One element's spline: knot positions x_0..x_K, y_0..y_K, derivatives d_0..d_K, and the two softmaxes. */
struct Knots {
  double x[kMaxSplineBins + 1], y[kMaxSplineBins + 1], d[kMaxSplineBins + 1];
  double pw[kMaxSplineBins], ph[kMaxSplineBins];
};

/** p = softmax(u); pos_0 = -B, pos_j = 2B sum_{i<j} (minBin + (1 - minBin K) p_i) - B, pos_K = B. */
void positions(const float *u, int64_t K, double bound, double minBin, double *p, double *pos) {
  double m = u[0];
  for (int64_t i = 1; i < K; i++) m = std::max(m, static_cast<double>(u[i]));
  double total = 0;
  // exp in float: the inputs are float32 and float's exp is 1 ulp, twice as fast as double's
  for (int64_t i = 0; i < K; i++) total += (p[i] = std::exp(static_cast<float>(u[i] - m)));
  double cum = 0;
  pos[0] = -bound;
  for (int64_t i = 0; i < K; i++) {
    p[i] /= total;
    if (i + 1 < K) {
      cum += minBin + (1 - minBin * K) * p[i];
      pos[i + 1] = cum * 2 * bound - bound;
    }
  }
  pos[K] = bound;
}

double softplus(double u) { return u > 0 ? u + std::log1p(std::exp(-u)) : std::log1p(std::exp(u)); }
double sigmoid(double u) { return u >= 0 ? 1 / (1 + std::exp(-u)) : std::exp(u) / (1 + std::exp(u)); }

/** The knot positions (the derivatives come per bin, from {@link withDerivatives}: two of the K - 1 are used). */
void knotsOf(const RQSplineArgs &a, const float *uw, const float *uh, Knots &k) {
  positions(uw, a.K, a.bound, a.minBinSize, k.pw, k.x);
  positions(uh, a.K, a.bound, a.minBinSize, k.ph, k.y);
}

/** d_j and d_{j+1} of bin j into k.d: softplus(u) + minDerivative at interior knots, 1 at the ends. */
void withDerivatives(const RQSplineArgs &a, const float *ud, int64_t j, Knots &k) {
  for (int64_t i = j; i <= j + 1; i++) k.d[i] = i == 0 || i == a.K ? 1.0 : softplus(ud[i - 1]) + a.minDerivative;
}

/** The bin of v (clipped into [-B, B]): how many interior knots pos_1..pos_{K-1} lie at or below it. */
int64_t binOf(double v, const double *pos, int64_t K) {
  int64_t k = 0;
  while (k + 1 < K && v >= pos[k + 1]) k++;
  return k;
}

/** One bin's numbers. */
struct Bin {
  double x0, w, y0, h, d0, d1;
};
Bin bin(const Knots &k, int64_t j) { return {k.x[j], k.x[j + 1] - k.x[j], k.y[j], k.y[j + 1] - k.y[j], k.d[j], k.d[j + 1]}; }

/** The forward map at xi in a bin: y, log dy/dx and the two pieces the gradient reuses. */
struct Local {
  double y, logDerivative, derivative;
};
Local forwardAt(const Bin &b, double xi) {
  const double s = b.h / b.w, xi1 = xi * (1 - xi), one = 1 - xi;
  const double den = s + (b.d1 + b.d0 - 2 * s) * xi1;
  const double num = s * s * (b.d1 * xi * xi + 2 * s * xi1 + b.d0 * one * one);
  return {b.y0 + b.h * (s * xi * xi + b.d0 * xi1) / den, std::log(num) - 2 * std::log(den), num / (den * den)};
}

/** The inverse in a bin: xi in [0, 1] with f(x0 + xi w) = v, the root of a xi^2 + b xi + c = 0 that stays stable (Durkan et al. eqs. 6-8). */
double inverseXi(const Bin &b, double v) {
  const double s = b.h / b.w, dy = v - b.y0, T = b.d1 + b.d0 - 2 * s;
  const double qa = b.h * (s - b.d0) + dy * T, qb = b.h * b.d0 - dy * T, qc = -s * dy;
  const double disc = std::max(0.0, qb * qb - 4 * qa * qc);
  return std::min(1.0, std::max(0.0, 2 * qc / (-qb - std::sqrt(disc))));
}

/** Gradients of L with respect to one bin's numbers and the input, given dL/dy = gy and dL/d(log dy/dx) = gl. */
struct BinGrad {
  double c, x0, w, y0, h, d0, d1;
};
/** Forward at input c in bin b (xi = (c - x0) / w, clipped into [0, 1] as the composite does; the clip passes gradients on [0, 1]). */
BinGrad forwardGrad(const Bin &b, double c, double gy, double gl) {
  const double raw = (c - b.x0) / b.w;
  const bool pass = raw >= 0 && raw <= 1;
  const double xi = std::min(1.0, std::max(0.0, raw));
  const double s = b.h / b.w, xi1 = xi * (1 - xi), one = 1 - xi, T = b.d1 + b.d0 - 2 * s;
  const double den = s + T * xi1, N = s * xi * xi + b.d0 * xi1, M = b.d1 * xi * xi + 2 * s * xi1 + b.d0 * one * one;
  // y = y0 + h N / den;  log dy/dx = 2 log s + log M - 2 log den
  const double gN = gy * b.h / den;
  const double gDen = -gy * b.h * N / (den * den) - 2 * gl / den;
  const double gM = gl / M;
  const double gXi = gN * (2 * s * xi + b.d0 * (1 - 2 * xi)) + gDen * T * (1 - 2 * xi) + gM * (2 * b.d1 * xi + 2 * s * (1 - 2 * xi) - 2 * b.d0 * one);
  const double gS = gN * xi * xi + gDen * (1 - 2 * xi1) + gM * 2 * xi1 + 2 * gl / s;
  BinGrad g{};
  g.d0 = (gN + gDen) * xi1 + gM * one * one;
  g.d1 = gDen * xi1 + gM * xi * xi;
  g.y0 = gy;
  g.h = gy * N / den + gS / b.w;
  g.w = -gS * b.h / (b.w * b.w);
  if (pass) {
    g.c = gXi / b.w;
    g.x0 = -gXi / b.w;
    g.w -= gXi * (c - b.x0) / (b.w * b.w);
  }
  return g;
}

/** dL/du for u -> softmax -> knot positions, given dL/dpos_j for the interior knots j = 1..K-1. */
void positionsGrad(const double *p, const double *gPos, int64_t K, double bound, double minBin, float *gu) {
  double gp[kMaxSplineBins];
  double tail = 0, dot = 0;
  for (int64_t i = K - 1; i >= 0; i--) {
    gp[i] = 2 * bound * (1 - minBin * K) * tail;  // size_i moves every knot after it
    if (i >= 1) tail += gPos[i];
    dot += p[i] * gp[i];
  }
  for (int64_t i = 0; i < K; i++) gu[i] = static_cast<float>(p[i] * (gp[i] - dot));
}

}  // namespace

void rqSpline(const RQSplineArgs &a, const float *v, const float *uw, const float *uh, const float *ud, float *out, float *logDet) {
  const int64_t K = a.K;
  parallelFor(a.n, 1024, [&](int64_t begin, int64_t end) {
    Knots k;
    for (int64_t i = begin; i < end; i++) {
      const double x = v[i];
      if (!(std::fabs(x) <= a.bound)) {  // identity tails (and NaN passes through)
        out[i] = v[i];
        logDet[i] = 0;
        continue;
      }
      knotsOf(a, uw + i * K, uh + i * K, k);
      const int64_t j = binOf(x, a.inverse ? k.y : k.x, K);
      withDerivatives(a, ud + i * (K - 1), j, k);
      if (!a.inverse) {
        const Bin b = bin(k, j);
        const Local f = forwardAt(b, std::min(1.0, std::max(0.0, (x - b.x0) / b.w)));
        out[i] = static_cast<float>(f.y);
        logDet[i] = static_cast<float>(f.logDerivative);
      } else {
        const Bin b = bin(k, j);
        const double xi = inverseXi(b, x);
        out[i] = static_cast<float>(b.x0 + xi * b.w);
        logDet[i] = static_cast<float>(-forwardAt(b, xi).logDerivative);
      }
    }
  });
}

void rqSplineBackward(const RQSplineArgs &a, const float *v, const float *uw, const float *uh, const float *ud, const float *gOut, const float *gLogDet, float *gv,
                      float *guw, float *guh, float *gud) {
  const int64_t K = a.K;
  parallelFor(a.n, 1024, [&](int64_t begin, int64_t end) {
    Knots k;
    double gx[kMaxSplineBins + 1], gy[kMaxSplineBins + 1];
    for (int64_t i = begin; i < end; i++) {
      const double x = v[i];
      float *gw = guw + i * K, *gh = guh + i * K, *gd = gud + i * (K - 1);
      if (!(std::fabs(x) <= a.bound)) {
        gv[i] = gOut[i];
        std::fill(gw, gw + K, 0.f);
        std::fill(gh, gh + K, 0.f);
        std::fill(gd, gd + K - 1, 0.f);
        continue;
      }
      knotsOf(a, uw + i * K, uh + i * K, k);
      const int64_t j = binOf(x, a.inverse ? k.y : k.x, K);
      withDerivatives(a, ud + i * (K - 1), j, k);
      BinGrad g;
      if (!a.inverse) {
        g = forwardGrad(bin(k, j), x, gOut[i], gLogDet[i]);
        gv[i] = static_cast<float>(g.c);
      } else {
        // x = f^-1(v): by the implicit function theorem dx/dv = 1 / f'(x) and dx/dtheta =
        // -(df/dtheta) / f'(x); the inverse's log-derivative is -log f'(x). So dL/dv = alpha
        // with alpha = (gx - gl d log f'/dx) / f'(x), and dL/dtheta is the forward's gradient
        // at x with dL/dy = -alpha and dL/d(log f') = -gl.
        const Bin b = bin(k, j);
        const double xi = inverseXi(b, x);
        const double xOut = b.x0 + xi * b.w;
        const double slope = forwardAt(b, xi).derivative;
        const double dLogSlope = forwardGrad(b, xOut, 0, 1).c;
        const double alpha = (gOut[i] - gLogDet[i] * dLogSlope) / slope;
        g = forwardGrad(b, xOut, -alpha, -gLogDet[i]);
        gv[i] = static_cast<float>(alpha);
      }
      std::fill(gx, gx + K + 1, 0.0);
      std::fill(gy, gy + K + 1, 0.0);
      gx[j] += g.x0 - g.w;
      gx[j + 1] += g.w;
      gy[j] += g.y0 - g.h;
      gy[j + 1] += g.h;
      positionsGrad(k.pw, gx, K, a.bound, a.minBinSize, gw);
      positionsGrad(k.ph, gy, K, a.bound, a.minBinSize, gh);
      std::fill(gd, gd + K - 1, 0.f);
      // d_0 = d_K = 1 are constants; d_j = softplus(u) + min for the interior knots.
      if (j >= 1) gd[j - 1] = static_cast<float>(g.d0 * sigmoid(ud[i * (K - 1) + j - 1]));
      if (j + 1 <= K - 1) gd[j] = static_cast<float>(g.d1 * sigmoid(ud[i * (K - 1) + j]));
    }
  });
}

}  // namespace vaeflow
