import * as tf from '@tensorflow/tfjs-core';

/**
 * The Jacobians dy/dx of a batch-wise map y = f(x), x and y of shape [B, n], by reverse-mode
 * autodiff: row i is the gradient of sum_b y[b, i], which for a map that treats examples
 * independently is d y[b, i] / d x[b, :] for every b. Returns J[b][i][j] in float64 arrays.
 */
export function batchJacobian(f: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D): number[][][] {
  const [B, n] = x.shape;
  const J: number[][][] = Array.from({ length: B }, () => []);
  for (let i = 0; i < n; i++) {
    const g = tf.tidy(
      () =>
        tf
          .grad((xx: tf.Tensor) => tf.sum(tf.slice(f(xx as tf.Tensor2D), [0, i], [-1, 1])))(x)
          .arraySync() as number[][],
    );
    for (let b = 0; b < B; b++) J[b].push(g[b]);
  }
  return J;
}

/** The same Jacobians by central finite differences in float32 (step h): a check independent of autodiff. */
export function finiteDifferenceJacobian(f: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D, h = 1e-2): number[][][] {
  const [B, n] = x.shape;
  const base = x.arraySync() as number[][];
  const J: number[][][] = Array.from({ length: B }, () => Array.from({ length: n }, () => new Array<number>(n).fill(0)));
  for (let j = 0; j < n; j++) {
    const plus = base.map((r) => r.map((v, k) => (k === j ? v + h : v)));
    const minus = base.map((r) => r.map((v, k) => (k === j ? v - h : v)));
    const [yp, ym] = tf.tidy(() => [f(tf.tensor2d(plus)).arraySync() as number[][], f(tf.tensor2d(minus)).arraySync() as number[][]]);
    for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) J[b][i][j] = (yp[b][i] - ym[b][i]) / (2 * h);
  }
  return J;
}
