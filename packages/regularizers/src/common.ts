import { tf, type LatentTerms } from '@vaeflow/core';

/** -E[log p(x|z)] and E[KL] over the batch, the two terms every objective here starts from. */
export function recAndKl(t: LatentTerms): { rec: tf.Scalar; kl: tf.Scalar; elbo: tf.Scalar } {
  const rec = tf.neg(tf.mean(t.logPx)) as tf.Scalar;
  const kl = tf.mean(t.kl) as tf.Scalar;
  return { rec, kl, elbo: tf.neg(tf.add(rec, kl)) as tf.Scalar };
}

/**
 * Squared distances |x_i - y_j|^2 for all pairs of rows, [n, m], as |x_i|^2 + |y_j|^2 - 2 x_i . y_j:
 * one matMul instead of an [n, m, d] difference tensor; rounding below zero is clipped.
 */
export function squaredDistances(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  const xx = tf.sum(tf.square(x), 1, true);
  const yy = tf.reshape(tf.sum(tf.square(y), 1), [1, -1]);
  return tf.relu(tf.sub(tf.add(xx, yy), tf.mul(2, tf.matMul(x, y, false, true)))) as tf.Tensor2D;
}
