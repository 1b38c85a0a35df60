import { tf } from '@vaeflow/core';

/** Pairwise squared Euclidean distances between rows of X [n, d] and Y [m, d]. */
function sqDist(X: tf.Tensor2D, Y: tf.Tensor2D): tf.Tensor2D {
  const xx = tf.sum(tf.square(X), 1, true);
  const yy = tf.reshape(tf.sum(tf.square(Y), 1), [1, -1]);
  return tf.relu(tf.sub(tf.add(xx, yy), tf.mul(2, tf.matMul(X, Y, false, true)))) as tf.Tensor2D;
}

/**
 * Squared maximum mean discrepancy with a Gaussian kernel k(x, y) = exp(-|x - y|^2 / (2 s^2)),
 * unbiased estimator (Gretton et al. 2012):
 *   MMD^2 = mean_{i != j} k(x_i, x_j) + mean_{i != j} k(y_i, y_j) - 2 mean_{i, j} k(x_i, y_j).
 * The bandwidth s defaults to the median pairwise distance of the pooled samples.
 */
export function mmdSquared(x: Float32Array, y: Float32Array, dim: number, bandwidth?: number): number {
  return tf.tidy(() => {
    const X = tf.tensor2d(x, [x.length / dim, dim]);
    const Y = tf.tensor2d(y, [y.length / dim, dim]);
    const n = X.shape[0];
    const m = Y.shape[0];
    let s = bandwidth;
    if (s === undefined) {
      const pooled = tf.concat([X, Y], 0) as tf.Tensor2D;
      const d = Array.from(tf.sqrt(sqDist(pooled, pooled)).dataSync())
        .filter((v) => v > 0)
        .sort((a, b) => a - b);
      s = d.length ? d[Math.floor(d.length / 2)] : 1;
    }
    const k = (A: tf.Tensor2D, B: tf.Tensor2D) => tf.exp(tf.div(sqDist(A, B), -2 * s! * s!));
    const kxx = (tf.sum(k(X, X)).dataSync()[0] - n) / (n * (n - 1));
    const kyy = (tf.sum(k(Y, Y)).dataSync()[0] - m) / (m * (m - 1));
    const kxy = tf.sum(k(X, Y)).dataSync()[0] / (n * m);
    return kxx + kyy - 2 * kxy;
  });
}
