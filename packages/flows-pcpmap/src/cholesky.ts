import { tf } from '@vaeflow/core';

/**
 * log det A for a batch of symmetric positive-definite matrices A [B, n, n], by Cholesky
 * (log det A = 2 sum_j log L_jj, L L^T = A), as one differentiable op: TensorFlow.js has no
 * Cholesky, and unrolling the recurrence in tensor ops costs O(n^2) small kernels. The
 * factorisation runs in float64 on the host; the gradient is the closed form
 *   d log det A / dA = A^-1 = L^-T L^-1  (A symmetric),
 * computed from the same factors only when a gradient is asked for (evaluation never pays for
 * it). A matrix that is not positive definite is an error.
 */
export function choleskyLogDet(A: tf.Tensor3D): tf.Tensor1D {
  const op = tf.customGrad(((a: tf.Tensor) => {
    const [B, n] = (a as tf.Tensor3D).shape;
    const data = a.dataSync();
    const factors = new Float64Array(B * n * n);
    const logDet = new Float32Array(B);
    for (let b = 0; b < B; b++) logDet[b] = 2 * choleskyInto(data, b * n * n, n, factors);
    return {
      value: tf.tensor1d(logDet),
      gradFunc: (dy: tf.Tensor) => {
        const inv = new Float32Array(B * n * n);
        const work = new Float64Array(n * n);
        for (let b = 0; b < B; b++) spdInverseFromFactor(factors, b * n * n, n, work, inv);
        return tf.mul(tf.reshape(dy, [B, 1, 1]), tf.tensor3d(inv, [B, n, n]));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(A) as tf.Tensor1D;
}

/**
 * Factors the n x n matrix at `offset` of `src` (row-major) into its lower Cholesky factor,
 * written row-major at the same offset of `out` (the upper triangle left 0); returns sum_j log L_jj.
 */
export function choleskyInto(src: ArrayLike<number>, offset: number, n: number, out: Float64Array): number {
  let logDiag = 0;
  for (let j = 0; j < n; j++) {
    const rj = offset + j * n;
    let s = src[rj + j];
    for (let k = 0; k < j; k++) s -= out[rj + k] * out[rj + k];
    if (!(s > 0)) throw new Error(`matrix is not positive definite (pivot ${j} is ${s})`);
    const d = Math.sqrt(s);
    out[rj + j] = d;
    logDiag += Math.log(d);
    for (let i = j + 1; i < n; i++) {
      const ri = offset + i * n;
      let t = src[ri + j];
      for (let k = 0; k < j; k++) t -= out[ri + k] * out[rj + k];
      out[ri + j] = t / d;
    }
  }
  return logDiag;
}

/**
 * A^-1 = L^-T L^-1 from the lower factor L at `offset` of `factors`, into `out` at the same
 * offset (float32, row-major); `work` (n x n) receives L^-1.
 */
function spdInverseFromFactor(factors: Float64Array, offset: number, n: number, work: Float64Array, out: Float32Array): void {
  // M = L^-1, lower triangular, column by column by forward substitution
  work.fill(0);
  for (let j = 0; j < n; j++) {
    work[j * n + j] = 1 / factors[offset + j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += factors[offset + i * n + k] * work[k * n + j];
      work[i * n + j] = -s / factors[offset + i * n + i];
    }
  }
  // (M^T M)_ij = sum_{k >= max(i, j)} M_ki M_kj
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += work[k * n + i] * work[k * n + j];
      out[offset + i * n + j] = s;
      out[offset + j * n + i] = s;
    }
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
