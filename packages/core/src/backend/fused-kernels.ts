import * as tf from '@tensorflow/tfjs-core';

/**
 * Optional fused kernels a backend pack may register (e.g. @vaeflow/native for wasm). Core uses
 * them when the active backend has them and falls back to composite tfjs ops otherwise, with the
 * same maths:
 * - `VaeflowAdam`: inputs {x, gradient, m, v}, attrs {learningRate, beta1, beta2, epsilon,
 *   gradScale, oneMinusAccBeta1, oneMinusAccBeta2}; outputs [x', m', v'] as new tensors.
 * - `VaeflowGlobalNorm`: any number of float32 inputs; output the scalar sqrt(sum of squares).
 * - `VaeflowBernoulliLogProb`: inputs {x, logits} [rows, dims]; output [rows] =
 *   sum_d x l - softplus(l). Its gradient is registered here, for every backend.
 */
export const ADAM_KERNEL = 'VaeflowAdam';
export const GLOBAL_NORM_KERNEL = 'VaeflowGlobalNorm';
export const BERNOULLI_LOG_PROB_KERNEL = 'VaeflowBernoulliLogProb';

/** True when the active backend has a kernel of that name. */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}

// d/dl [x l - softplus(l)] = x - sigmoid(l) and d/dx = l, each times the upstream dy per row.
tf.registerGradient({
  kernelName: BERNOULLI_LOG_PROB_KERNEL,
  inputsToSave: ['x', 'logits'],
  gradFunc: (dy, saved) => {
    const [x, logits] = saved;
    const perRow = tf.expandDims(dy as tf.Tensor, 1);
    return { x: () => tf.mul(perRow, logits), logits: () => tf.mul(perRow, tf.sub(x, tf.sigmoid(logits))) };
  },
});

/**
 * The Bernoulli log-likelihood per row, log p(x | l) = sum_d x_d l_d - softplus(l_d), as one
 * fused kernel where the backend has it (same shapes, float32), else in tfjs ops.
 */
export function bernoulliLogProb(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  if (hasKernel(BERNOULLI_LOG_PROB_KERNEL) && x.dtype === 'float32' && logits.dtype === 'float32' && tf.util.arraysEqual(x.shape, logits.shape)) {
    return tf.engine().runKernel(BERNOULLI_LOG_PROB_KERNEL, { x, logits }, {}) as tf.Tensor1D;
  }
  return tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1) as tf.Tensor1D;
}
