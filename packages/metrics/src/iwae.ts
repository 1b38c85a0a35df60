import { Random, tf, type DataSplit, type LatentModel } from '@vaeflow/core';

export interface IwaeOptions {
  /** importance samples per data point (K) */
  k: number;
  /** evaluate at most this many examples of the split */
  limit?: number;
  /** rows (examples x samples) per forward pass (default 1024; 8192 rows of a conv decoder overflow the wasm heap); bounds memory for K up to thousands */
  maxRows?: number;
  rng?: Random;
  onProgress?: (done: number, total: number) => void;
}

export interface IwaeResult {
  /** mean over examples of -log p_hat(x), nats */
  nll: number;
  /** mean over examples and samples of the log-weights: the ELBO estimated with K samples, nats */
  elbo: number;
  k: number;
  n: number;
  /** -log p_hat(x) per example */
  perExample: Float64Array;
  /** indices (in the split) of examples whose estimate is not finite; `nll` is then NaN */
  nonFinite: number[];
}

/**
 * Importance-sampled negative log-likelihood (the IWAE bound, Burda et al. 2016, arXiv 1509.00519):
 *   log p(x) >= log (1/K) sum_k p(x, z_k) / q(z_k|x),  z_k ~ q(z|x),
 * with the -log K term, computed stably per example as a running log-sum-exp in float64 over
 * chunks of samples, so memory stays bounded (`maxRows` rows per pass) for K up to 5000.
 */
export function importanceSampledNll(model: LatentModel, split: DataSplit, dim: number, o: IwaeOptions): IwaeResult {
  const n = Math.min(split.n, o.limit ?? Infinity);
  const maxRows = o.maxRows ?? 1024;
  const rng = o.rng ?? new Random('iwae');
  const samplesPerPass = Math.min(o.k, maxRows);
  const examplesPerPass = Math.max(1, Math.floor(maxRows / samplesPerPass));
  const perExample = new Float64Array(n);
  let elboSum = 0;
  for (let from = 0; from < n; from += examplesPerPass) {
    const to = Math.min(n, from + examplesPerPass);
    const b = to - from;
    const max = new Float64Array(b).fill(-Infinity);
    const sum = new Float64Array(b);
    for (let done = 0; done < o.k; done += samplesPerPass) {
      const kk = Math.min(samplesPerPass, o.k - done);
      const w = tf.tidy(() => model.logWeights(tf.tensor2d(split.x.subarray(from * dim, to * dim), [b, dim]), kk, rng).dataSync());
      for (let i = 0; i < b; i++) {
        for (let j = 0; j < kk; j++) {
          const v = w[i * kk + j];
          elboSum += v;
          if (v > max[i]) {
            sum[i] = sum[i] * Math.exp(max[i] - v) + 1;
            max[i] = v;
          } else sum[i] += Math.exp(v - max[i]);
        }
      }
    }
    for (let i = 0; i < b; i++) perExample[from + i] = -(max[i] + Math.log(sum[i]) - Math.log(o.k));
    o.onProgress?.(to, n);
  }
  const nll = perExample.reduce((s, v) => s + v, 0) / n;
  const nonFinite: number[] = [];
  perExample.forEach((v, i) => Number.isFinite(v) || nonFinite.push(i));
  return { nll, elbo: elboSum / (n * o.k), k: o.k, n, perExample, nonFinite };
}

/**
 * Bits per dimension from a negative log-likelihood in nats per example of D dimensions.
 * For 8-bit data modelled as a density on [0, 1) after uniform dequantisation,
 * -log P(x_discrete) = -log p(x) + D log 256, so bpd = (nll + D log 256) / (D log 2).
 */
export function bitsPerDim(nll: number, dims: number, dequantized = true, levels = 256): number {
  return (nll + (dequantized ? dims * Math.log(levels) : 0)) / (dims * Math.LN2);
}
