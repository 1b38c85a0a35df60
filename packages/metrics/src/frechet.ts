import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface Moments {
  mean: number[];
  cov: number[][];
}

/** Sample mean and (n - 1)-normalised covariance of n rows of d features. */
export function moments(features: Float32Array, dim: number): Moments {
  const n = features.length / dim;
  const mean = new Array<number>(dim).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j] / n;
  const cov = Array.from({ length: dim }, () => new Array<number>(dim).fill(0));
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      const da = features[i * dim + a] - mean[a];
      for (let b = a; b < dim; b++) cov[a][b] += (da * (features[i * dim + b] - mean[b])) / (n - 1);
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) cov[a][b] = cov[b][a];
  return { mean, cov };
}

/** Symmetric positive semi-definite square root by eigendecomposition (negative eigenvalues from round-off clipped to 0). */
function sqrtPsd(m: Matrix): Matrix {
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const V = e.eigenvectorMatrix;
  const d = e.realEigenvalues.map((v) => Math.sqrt(Math.max(v, 0)));
  return V.mmul(Matrix.diag(d)).mmul(V.transpose());
}

/**
 * Frechet distance between Gaussians N(m1, S1) and N(m2, S2) (Dowson & Landau 1982):
 *   |m1 - m2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2),
 * the symmetric form of tr((S1 S2)^1/2). Applied to classifier features it is the "Frechet
 * classifier distance" (not FID: no Inception network is involved).
 */
export function frechetDistance(a: Moments, b: Moments): number {
  const d2 = a.mean.reduce((s, v, i) => s + (v - b.mean[i]) ** 2, 0);
  const S1 = new Matrix(a.cov);
  const S2 = new Matrix(b.cov);
  const r1 = sqrtPsd(S1);
  const inner = r1.mmul(S2).mmul(r1);
  const sym = inner.add(inner.transpose()).div(2);
  const cross = sqrtPsd(sym).trace();
  return d2 + S1.trace() + S2.trace() - 2 * cross;
}
