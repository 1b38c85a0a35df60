// NHWC convolutions as one GEMM each: im2col (or col2im) in native scratch memory and
// cblas_sgemm. Patch column k = (kh * KW + kw) * CI + ci matches the filter [KH, KW, CI, CO]
// read as a [K, CO] matrix. A 1x1, stride-1, unpadded convolution skips the patch matrix, and
// one with few output channels runs direct (conv2dDirect and its backprops).
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "vector.h"

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
 * Visits every (output pixel, filter tap) pair of images [n0, n1): visit(row, tap, inputOffset)
 * for output pixel row = (n, oh, ow), tap = kh * KW + kw, and the input pixel (n, ih, iw, 0) it
 * reads; pad(row, tap) for a tap that falls in the padding.
 */
template <typename Visit, typename Pad>
void forEachTapOrPad(const ConvGeometry &g, int64_t n0, int64_t n1, Visit visit, Pad pad) {
  for (int64_t n = n0; n < n1; n++) {
    for (int64_t oh = 0; oh < g.outH; oh++) {
      for (int64_t ow = 0; ow < g.outW; ow++) {
        const int64_t row = (n * g.outH + oh) * g.outW + ow;
        for (int64_t kh = 0; kh < g.kH; kh++) {
          const int64_t ih = oh * g.strideH + kh * g.dilH - g.padTop;
          for (int64_t kw = 0; kw < g.kW; kw++) {
            const int64_t iw = ow * g.strideW + kw * g.dilW - g.padLeft;
            if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) pad(row, kh * g.kW + kw);
            else visit(row, kh * g.kW + kw, ((n * g.inH + ih) * g.inW + iw) * g.inC);
          }
        }
      }
    }
  }
}

/** forEachTapOrPad without the padding. */
template <typename Visit>
void forEachTap(const ConvGeometry &g, int64_t n0, int64_t n1, Visit visit) {
  forEachTapOrPad(g, n0, n1, visit, [](int64_t, int64_t) {});
}

/** Every (patch element, input pixel) pair: visit(patchOffset, inputOffset), patch rows K long. */
template <typename Visit>
void forEachPatchPixel(const ConvGeometry &g, Visit visit) {
  const int64_t K = g.patch(), C = g.inC;
  forEachTap(g, 0, g.batch, [&](int64_t row, int64_t tap, int64_t in) { visit(row * K + tap * C, in); });
}

/**
 * Few output channels (Glow's coupling output, 64 -> 4 channels): the patch matrix would be
 * K / CO times the size of the output, and GEMM with N = CO runs far below its peak, so these
 * convolutions go direct. The filter is used as [taps, CO, CI], so that every multiply-add runs
 * along CI, contiguous in both the input pixel and the filter.
 */
constexpr int64_t kDirectMaxOutChannels = 8;
constexpr int64_t kDirectMinInChannels = 8;
bool isDirect(const ConvGeometry &g) { return g.outC <= kDirectMaxOutChannels && g.inC >= kDirectMinInChannels; }

/** wt[tap, co, ci] = w[tap, ci, co]. */
std::vector<float> tapsOutIn(const ConvGeometry &g, const float *w) {
  const int64_t T = g.kH * g.kW, CI = g.inC, CO = g.outC;
  std::vector<float> wt(static_cast<size_t>(T * CO * CI));
  for (int64_t t = 0; t < T; t++)
    for (int64_t ci = 0; ci < CI; ci++)
      for (int64_t co = 0; co < CO; co++) wt[(t * CO + co) * CI + ci] = w[(t * CI + ci) * CO + co];
  return wt;
}

void conv2dDirect(const ConvGeometry &g, const float *x, const float *w, float *y) {
  const std::vector<float> wt = tapsOutIn(g, w);
  const int64_t CI = g.inC, CO = g.outC;
  std::memset(y, 0, static_cast<size_t>(g.rows() * CO) * sizeof(float));
  parallelFor(g.batch, 1, [&](int64_t n0, int64_t n1) {
    forEachTap(g, n0, n1, [&](int64_t row, int64_t tap, int64_t in) {
      dots(x + in, wt.data() + tap * CO * CI, CO, CI, y + row * CO);
    });
  });
}

void conv2dBackpropInputDirect(const ConvGeometry &g, const float *dy, const float *w, float *dx) {
  const std::vector<float> wt = tapsOutIn(g, w);
  const int64_t CI = g.inC, CO = g.outC;
  std::memset(dx, 0, static_cast<size_t>(g.batch * g.inH * g.inW * CI) * sizeof(float));
  // Image n's outputs read only image n's pixels: the images split across threads.
  parallelFor(g.batch, 1, [&](int64_t n0, int64_t n1) {
    forEachTap(g, n0, n1, [&](int64_t row, int64_t tap, int64_t in) {
      axpys(dy + row * CO, wt.data() + tap * CO * CI, CO, dx + in, CI);
    });
  });
}

void conv2dBackpropFilterDirect(const ConvGeometry &g, const float *x, const float *dy, float *dw) {
  const int64_t T = g.kH * g.kW, CI = g.inC, CO = g.outC, size = T * CO * CI;
  // One accumulator per part of the batch, added in part order: fixed for a fixed thread count.
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads(), g.batch));
  std::vector<float> acc(static_cast<size_t>(parts * size), 0.f);
  const int64_t chunk = (g.batch + parts - 1) / parts;
  parallelFor(parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      float *dwt = acc.data() + p * size;
      forEachTap(g, p * chunk, std::min(g.batch, (p + 1) * chunk), [&](int64_t row, int64_t tap, int64_t in) {
        rankOne(dy + row * CO, x + in, CO, dwt + tap * CO * CI, CI);
      });
    }
  });
  for (int64_t p = 1; p < parts; p++)
    for (int64_t i = 0; i < size; i++) acc[i] += acc[p * size + i];
  for (int64_t t = 0; t < T; t++)
    for (int64_t ci = 0; ci < CI; ci++)
      for (int64_t co = 0; co < CO; co++) dw[(t * CI + ci) * CO + co] = acc[(t * CO + co) * CI + ci];
}

/** P[M, K] = the patches of x, zeros where a patch reaches into padding (only there: no pass over all of P first). */
float *im2col(const ConvGeometry &g, const float *x) {
  float *P = scratch(static_cast<size_t>(g.rows() * g.patch()));
  const int64_t K = g.patch(), C = g.inC;
  forEachTapOrPad(
      g, 0, g.batch, [&](int64_t row, int64_t tap, int64_t in) { std::memcpy(P + row * K + tap * C, x + in, C * sizeof(float)); },
      [&](int64_t row, int64_t tap) { std::memset(P + row * K + tap * C, 0, C * sizeof(float)); });
  return P;
}

}  // namespace

void conv2d(const ConvGeometry &g, const float *x, const float *w, float *y) {
  if (isDirect(g)) return conv2dDirect(g, x, w, y);
  const int M = static_cast<int>(g.rows()), K = static_cast<int>(g.patch()), CO = static_cast<int>(g.outC);
  const float *P = isPointwise(g) ? x : im2col(g, x);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, CO, K, 1.f, P, K, w, CO, 0.f, y, CO);
}

void conv2dBackpropInput(const ConvGeometry &g, const float *dy, const float *w, float *dx) {
  if (isDirect(g)) return conv2dBackpropInputDirect(g, dy, w, dx);
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
  if (isDirect(g)) return conv2dBackpropFilterDirect(g, x, dy, dw);
  const int M = static_cast<int>(g.rows()), K = static_cast<int>(g.patch()), CO = static_cast<int>(g.outC);
  const float *P = isPointwise(g) ? x : im2col(g, x);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, CO, M, 1.f, P, K, dy, CO, 0.f, dw, CO);
}

}  // namespace vaeflow
