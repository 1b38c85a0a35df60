import { tf } from '@vaeflow/core';

/**
 * log det A for a batch of symmetric positive-definite matrices A [B, n, n], by Cholesky
 * (log det A = 2 sum_j log L_jj, L L^T = A), as one differentiable op: TensorFlow.js has no
 * Cholesky, and unrolling the recurrence in tensor ops costs O(n^2) small kernels. The
 * factorisation runs in float64 on the host; the gradient is the closed form
 *   d log det A / dA = A^-1  (A symmetric),
 * with A^-1 from the same factor. A matrix that is not positive definite is an error.
 */
export function choleskyLogDet(A: tf.Tensor3D): tf.Tensor1D {
  const op = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
    const [B, n] = (a as tf.Tensor3D).shape;
    const data = a.dataSync();
    const logDet = new Float32Array(B);
    const inv = new Float32Array(B * n * n);
    for (let b = 0; b < B; b++) {
      const M: number[][] = [];
      for (let i = 0; i < n; i++) M.push(Array.from(data.subarray((b * n + i) * n, (b * n + i + 1) * n)));
      const L = choleskyF64(M);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.log(L[i][i]);
      logDet[b] = 2 * s;
      for (let j = 0; j < n; j++) {
        const e = new Array<number>(n).fill(0);
        e[j] = 1;
        const col = choleskySolve(L, e);
        for (let i = 0; i < n; i++) inv[(b * n + i) * n + j] = col[i];
      }
    }
    save([tf.tensor3d(inv, [B, n, n])]);
    return {
      value: tf.tensor1d(logDet),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.reshape(dy, [B, 1, 1]), saved[0]),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(A) as tf.Tensor1D;
}

/** The Cholesky factor of each matrix of a batch [B, n, n] (float64 on the host; not differentiable). */
export function choleskyFactor(A: tf.Tensor3D): tf.Tensor3D {
  const [B, n] = A.shape;
  const data = A.arraySync() as number[][][];
  return tf.tensor3d(
    data.map((M) => choleskyF64(M)),
    [B, n, n],
  );
}

/** Solves (L L^T) x = b per example in float64 from a Cholesky factor given as nested arrays. */
export function choleskySolve(L: number[][], b: number[]): number[] {
  const n = b.length;
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
    y[i] = s / L[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k][i] * x[k];
    x[i] = s / L[i][i];
  }
  return x;
}

/** Cholesky factor of one SPD matrix in float64 (for the Newton solver of the inverse). */
export function choleskyF64(A: number[][]): number[][] {
  const n = A.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let s = A[j][j];
    for (let k = 0; k < j; k++) s -= L[j][k] * L[j][k];
    if (!(s > 0)) throw new Error(`matrix is not positive definite (pivot ${j} is ${s})`);
    L[j][j] = Math.sqrt(s);
    for (let i = j + 1; i < n; i++) {
      let t = A[i][j];
      for (let k = 0; k < j; k++) t -= L[i][k] * L[j][k];
      L[i][j] = t / L[j][j];
    }
  }
  return L;
}
