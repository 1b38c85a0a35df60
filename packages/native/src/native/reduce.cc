// Reductions over contiguous axis blocks, in a fixed order of additions.
#include <algorithm>

#include "kernels.h"

namespace vaeflow {

void reduceSum(const float *__restrict x, float *__restrict out, int64_t A, int64_t R, int64_t C) {
  for (int64_t a = 0; a < A; a++) {
    const float *block = x + a * R * C;
    float *o = out + a * C;
    if (C == 1) {
      // Eight running sums (one SIMD register), then added in a fixed order.
      float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t r = 0;
      for (; r + 8 <= R; r += 8)
        for (int k = 0; k < 8; k++) lanes[k] += block[r + k];
      float total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
      for (; r < R; r++) total += block[r];
      o[0] = total;
      continue;
    }
    if (R == 0) {
      std::fill(o, o + C, 0.f);
      continue;
    }
    std::copy(block, block + C, o);
    for (int64_t r = 1; r < R; r++) {
      const float *row = block + r * C;
      for (int64_t c = 0; c < C; c++) o[c] += row[c];
    }
  }
}

}  // namespace vaeflow
