// Subnormal floats flushed to zero inside the native kernels, and only there.
#pragma once

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace vaeflow {

/**
 * While alive, the calling thread treats subnormal inputs as zero (DAZ) and flushes subnormal
 * results to zero (FTZ); the previous mode is restored on destruction, so JavaScript and the
 * wasm code around the kernels keep IEEE semantics. x86 handles a subnormal operand or result
 * in a microcode assist of about a hundred cycles: a Bernoulli decoder's saturated logits give
 * subnormal gradients (sigmoid(l) < 2^-126 for l < -87) and an IWAE's tiny importance weights
 * give whole subnormal rows, which made OpenBLAS's products 5-10x slower as training went on.
 * Values below 2^-126 = 1.2e-38 change by less than that; no result of a kernel is otherwise
 * affected. Elsewhere (ARM, where the build falls back to source) this is a no-op.
 */
class FlushDenormals {
 public:
#if defined(__SSE__) || defined(__x86_64__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushBits); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFlushBits = 0x8040;  // FTZ (bit 15) | DAZ (bit 6)
  unsigned saved_;
#else
  FlushDenormals() {}
#endif
  FlushDenormals(const FlushDenormals &) = delete;
  FlushDenormals &operator=(const FlushDenormals &) = delete;
};

}  // namespace vaeflow
