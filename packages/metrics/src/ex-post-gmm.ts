import type { Random } from '@vaeflow/core';

/** A mixture of K diagonal Gaussians in d dimensions, fitted by {@link fitDiagonalGmm}. */
export interface DiagonalGmm {
  weights: number[];
  /** K rows of d means */
  means: number[][];
  /** K rows of d variances */
  variances: number[][];
  /** mean log-likelihood per point at the end of EM */
  logLikelihood: number;
  iterations: number;
}

/**
 * A diagonal Gaussian mixture fitted by expectation-maximisation to n points of dimension d (row
 * major), e.g. a trained VAE's codes of the training set: the ex-post density estimate that
 * samples from the aggregate posterior better than the prior does (Ghosh et al. 2020, RAE; pythae's
 * GMM sampler). Started at K distinct random points with the data's variance; variances floored
 * at `minVariance`; stops when the mean log-likelihood gains less than `tolerance` per iteration.
 */
export function fitDiagonalGmm(points: ArrayLike<number>, n: number, d: number, k: number, rng: Random, o: { iterations?: number; tolerance?: number; minVariance?: number } = {}): DiagonalGmm {
  if (k < 1 || k > n) throw new Error(`a ${k}-component mixture needs 1 <= K <= the number of points (${n})`);
  const maxIter = o.iterations ?? 200;
  const tol = o.tolerance ?? 1e-5;
  const floor = o.minVariance ?? 1e-6;
  const x = (i: number, j: number) => points[i * d + j];
  const globalMean = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x(i, j);
    return s / n;
  });
  const globalVar = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (x(i, j) - globalMean[j]) ** 2;
    return Math.max(floor, s / n);
  });
  const chosen = [...rng.permutation(n).slice(0, k)];
  let means = chosen.map((i) => Array.from({ length: d }, (_, j) => x(i, j)));
  let variances = Array.from({ length: k }, () => [...globalVar]);
  let weights = Array.from({ length: k }, () => 1 / k);
  const resp = new Float64Array(n * k);
  let previous = -Infinity;
  let ll = -Infinity;
  let it = 0;
  for (; it < maxIter; it++) {
    // E step: responsibilities, with log-sum-exp per point
    const logNorm = variances.map((v) => -0.5 * v.reduce((s, vj) => s + Math.log(2 * Math.PI * vj), 0));
    let total = 0;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        let q = 0;
        for (let j = 0; j < d; j++) q += (x(i, j) - means[c][j]) ** 2 / variances[c][j];
        const l = Math.log(weights[c]) + logNorm[c] - 0.5 * q;
        resp[i * k + c] = l;
        if (l > max) max = l;
      }
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(resp[i * k + c] - max);
      const lse = max + Math.log(s);
      total += lse;
      for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(resp[i * k + c] - lse);
    }
    ll = total / n;
    if (ll - previous < tol) break;
    previous = ll;
    // M step
    const nk = Array.from({ length: k }, (_, c) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += resp[i * k + c];
      return Math.max(s, 1e-12);
    });
    weights = nk.map((v) => v / n);
    means = nk.map((v, c) =>
      Array.from({ length: d }, (_, j) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += resp[i * k + c] * x(i, j);
        return s / v;
      }),
    );
    variances = nk.map((v, c) =>
      Array.from({ length: d }, (_, j) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += resp[i * k + c] * (x(i, j) - means[c][j]) ** 2;
        return Math.max(floor, s / v);
      }),
    );
  }
  return { weights, means, variances, logLikelihood: ll, iterations: it };
}
