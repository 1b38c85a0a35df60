// NHWC convolutions as one GEMM each: im2col (or col2im) in native scratch memory and
// cblas_sgemm. Patch column k = (kh * KW + kw) * CI + ci matches the filter [KH, KW, CI, CO]
// read as a [K, CO] matrix. A 1x1, stride-1, unpadded convolution skips the patch matrix.
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace vaeflow {

namespace {

/** Scratch for one patch matrix, reused across calls; one per thread (Node workers may each run kernels). */
float *scratch(size_t n) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

bool isPointwise(const ConvGeometry &g) {
  return g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW;
}

/**
 * Visits every (patch row, input pixel) pair: visit(patchOffset, inputOffset) for the patch
 * element (b, oh, ow, kh, kw, 0) and the input pixel (b, ih, iw, 0) it reads; padding is skipped.
 */
template <typename Visit>
void forEachPatchPixel(const ConvGeometry &g, Visit visit) {
  const int64_t K = g.patch();
  for (int64_t n = 0; n < g.batch; n++) {
    for (int64_t oh = 0; oh < g.outH; oh++) {
      for (int64_t ow = 0; ow < g.outW; ow++) {
        const int64_t row = ((n * g.outH + oh) * g.outW + ow) * K;
        for (int64_t kh = 0; kh < g.kH; kh++) {
          const int64_t ih = oh * g.strideH + kh * g.dilH - g.padTop;
          if (ih < 0 || ih >= g.inH) continue;
          for (int64_t kw = 0; kw < g.kW; kw++) {
            const int64_t iw = ow * g.strideW + kw * g.dilW - g.padLeft;
            if (iw < 0 || iw >= g.inW) continue;
            visit(row + (kh * g.kW + kw) * g.inC, ((n * g.inH + ih) * g.inW + iw) * g.inC);
          }
        }
      }
    }
  }
}

/** P[M, K] = the patches of x (zeros where a patch reaches into padding). */
float *im2col(const ConvGeometry &g, const float *x) {
  const size_t size = static_cast<size_t>(g.rows() * g.patch());
  float *P = scratch(size);
  std::memset(P, 0, size * sizeof(float));
  const int64_t C = g.inC;
  forEachPatchPixel(g, [&](int64_t dst, int64_t src) { std::memcpy(P + dst, x + src, C * sizeof(float)); });
  return P;
}

}  // namespace

void conv2d(const ConvGeometry &g, const float *x, const float *w, float *y) {
  const int M = static_cast<int>(g.rows()), K = static_cast<int>(g.patch()), CO = static_cast<int>(g.outC);
  const float *P = isPointwise(g) ? x : im2col(g, x);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, CO, K, 1.f, P, K, w, CO, 0.f, y, CO);
}

void conv2dBackpropInput(const ConvGeometry &g, const float *dy, const float *w, float *dx) {
  const int M = static_cast<int>(g.rows()), K = static_cast<int>(g.patch()), CO = static_cast<int>(g.outC);
  if (isPointwise(g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, CO, 1.f, dy, CO, w, CO, 0.f, dx, K);
    return;
  }
  float *cols = scratch(static_cast<size_t>(M) * K);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, CO, 1.f, dy, CO, w, CO, 0.f, cols, K);
  std::memset(dx, 0, static_cast<size_t>(g.batch * g.inH * g.inW * g.inC) * sizeof(float));
  const int64_t C = g.inC;
  forEachPatchPixel(g, [&](int64_t src, int64_t dst) {
    const float *from = cols + src;
    float *to = dx + dst;
    for (int64_t c = 0; c < C; c++) to[c] += from[c];
  });
}

void conv2dBackpropFilter(const ConvGeometry &g, const float *x, const float *dy, float *dw) {
  const int M = static_cast<int>(g.rows()), K = static_cast<int>(g.patch()), CO = static_cast<int>(g.outC);
  const float *P = isPointwise(g) ? x : im2col(g, x);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, CO, M, 1.f, P, K, dy, CO, 0.f, dw, CO);
}

}  // namespace vaeflow
