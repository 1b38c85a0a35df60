// Splitting elementwise work across the native threads (the count set for the BLAS).
#pragma once
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "kernels.h"

namespace vaeflow {

/**
 * Runs body(begin, end) over [0, n) in up to threads() contiguous parts of at least
 * minPerThread items; small n stays on the calling thread. Use it only where every output
 * element is computed from its own inputs, so the split cannot change a result.
 */
template <typename Body>
void parallelFor(int64_t n, int64_t minPerThread, Body body) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads(), n / std::max<int64_t>(1, minPerThread)));
  if (parts == 1) return body(0, n);
  std::vector<std::thread> workers;
  const int64_t chunk = (n + parts - 1) / parts;
  for (int64_t p = 1; p < parts; p++) {
    const int64_t begin = p * chunk, end = std::min(n, begin + chunk);
    if (begin < end) workers.emplace_back([=] { body(begin, end); });
  }
  body(0, std::min(n, chunk));
  for (auto &w : workers) w.join();
}

}  // namespace vaeflow
