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

/**
 * log sum_i exp(x_i) along `axis` (removed), with the same values as tf.logSumExp (the maximum m
 * subtracted first: m + log sum_i exp(x_i - m)) and its gradient written out, softmax(x) =
 * exp(x - logsumexp(x)). Autodiff through tf.logSumExp also differentiates m, whose terms cancel
 * but cost a Max gradient with an Equal mask: 8% of a beta-TCVAE step with dpVAE's prior.
 */
export function logSumExp(x: tf.Tensor, axis: number): tf.Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  const f = tf.customGrad((input, saveFn) => {
    const t = input as tf.Tensor;
    const save = saveFn as tf.GradSaveFunc;
    const m = tf.max(t, ax, true);
    const d = tf.log(tf.sum(tf.exp(tf.sub(t, m)), ax));
    const value = tf.add(tf.reshape(m, d.shape), d);
    save([t, tf.reshape(value, m.shape)]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [xs, y] = saved as tf.Tensor[];
        return tf.mul(tf.reshape(dy as tf.Tensor, y.shape), tf.exp(tf.sub(xs, y)));
      },
    };
  });
  return f(x);
}

/** log(mean(exp(x))) along `axis`, stably: logsumexp(x) - log K. */
export function logMeanExp(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.sub(logSumExp(x, axis), Math.log(x.shape[axis]));
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
