import * as tf from '@tensorflow/tfjs-core';
import { GLOBAL_NORM_KERNEL, hasKernel } from './backend/fused-kernels.js';

export const LOG_2PI = Math.log(2 * Math.PI);

/** log N(z; 0, I) summed over the last axis: -0.5 * (|z|^2 + L log 2 pi). */
export function standardNormalLogProb(z: tf.Tensor2D): tf.Tensor1D {
  const L = z.shape[1];
  return tf.mul(-0.5, tf.add(tf.sum(tf.square(z), 1), L * LOG_2PI)) as tf.Tensor1D;
}

/** log N(z; mu, diag(exp(logScale))^2) summed over the last axis. */
export function diagonalNormalLogProb(z: tf.Tensor2D, mean: tf.Tensor2D, logScale: tf.Tensor2D): tf.Tensor1D {
  const eps = tf.mul(tf.sub(z, mean), tf.exp(tf.neg(logScale)));
  return tf.sub(tf.mul(-0.5, tf.add(tf.sum(tf.square(eps), 1), z.shape[1] * LOG_2PI)), tf.sum(logScale, 1)) as tf.Tensor1D;
}

/** log(mean(exp(x))) along `axis`, stably: logsumexp(x) - log K. */
export function logMeanExp(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.sub(tf.logSumExp(x, axis), Math.log(x.shape[axis]));
}

/** Each row of t repeated k times in place, [B, n] -> [B * k, n] (row b*k + j is row b), for K samples per example. */
export function repeatRows(t: tf.Tensor2D, k: number): tf.Tensor2D {
  const [B, n] = t.shape;
  return tf.reshape(tf.tile(tf.expandDims(t, 1), [1, k, 1]), [B * k, n]) as tf.Tensor2D;
}

/** Global L2 norm of a list of tensors, sqrt(sum_i |t_i|^2): one fused kernel where the backend has it. */
export function globalNorm(ts: tf.Tensor[]): tf.Scalar {
  if (ts.length > 0 && hasKernel(GLOBAL_NORM_KERNEL) && ts.every((t) => t.dtype === 'float32')) {
    return tf.engine().runKernel(GLOBAL_NORM_KERNEL, ts as unknown as tf.NamedTensorMap, {}) as tf.Scalar;
  }
  return tf.sqrt(tf.addN(ts.map((t) => tf.sum(tf.square(t))))) as tf.Scalar;
}
