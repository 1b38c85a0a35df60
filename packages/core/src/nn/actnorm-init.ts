import * as tf from '@tensorflow/tfjs-core';

/**
 * ActNorm's data-dependent initial values (Kingma & Dhariwal 2018, section 3.1), from a batch's
 * mean and variance (per dimension or per channel): for y = x exp(s) + b, `forward` gives the s, b
 * that standardise that batch (s = -log sd, b = -mean / sd); `inverse`, those that map a standard
 * y onto it (s = log sd, b = mean), for a flow first read in the density direction.
 */
export function actNormInitialValues(mean: tf.Tensor, variance: tf.Tensor, direction: 'forward' | 'inverse'): { logScale: tf.Tensor; bias: tf.Tensor } {
  return tf.tidy(() => {
    const logStd = tf.log(tf.add(tf.sqrt(variance), 1e-6));
    return direction === 'forward' ? { logScale: tf.neg(logStd), bias: tf.neg(tf.mul(mean, tf.exp(tf.neg(logStd)))) } : { logScale: logStd, bias: tf.clone(mean) };
  });
}
