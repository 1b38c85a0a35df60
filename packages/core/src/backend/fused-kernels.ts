import * as tf from '@tensorflow/tfjs-core';

/**
 * Optional fused kernels a backend pack may register (e.g. @vaeflow/native for wasm). Core uses
 * them when the active backend has them and falls back to composite tfjs ops otherwise, with the
 * same maths:
 * - `VaeflowAdam`: inputs {x, gradient, m, v}, attrs {learningRate, beta1, beta2, epsilon,
 *   gradScale, oneMinusAccBeta1, oneMinusAccBeta2}; outputs [x', m', v'] as new tensors.
 * - `VaeflowGlobalNorm`: any number of float32 inputs; output the scalar sqrt(sum of squares).
 */
export const ADAM_KERNEL = 'VaeflowAdam';
export const GLOBAL_NORM_KERNEL = 'VaeflowGlobalNorm';

/** True when the active backend has a kernel of that name. */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}
