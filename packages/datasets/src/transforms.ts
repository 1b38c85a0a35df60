import type { Random } from '@vaeflow/core';

/** x <- 1[u < x], u ~ U(0, 1): a stochastic binarisation of grey values in [0, 1] (in place). */
export function binarizeInPlace(x: Float32Array, rng: Random): void {
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < x[i] ? 1 : 0;
}

/**
 * Uniform dequantisation of 8-bit data held as x = k / 255: x <- (k + u) / 256, u ~ U(0, 1)
 * (in place), so the values are a continuous density on [0, 1); bits per dimension then add
 * the log 256 correction.
 */
export function dequantizeInPlace(x: Float32Array, rng: Random): void {
  for (let i = 0; i < x.length; i++) x[i] = (Math.round(x[i] * 255) + rng.next()) / 256;
}

/** Bytes 0..255 to floats k / 255. */
export function bytesToUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}
