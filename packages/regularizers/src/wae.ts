import { tf, type LatentTerms, type Objective, type ObjectiveContext, type ObjectiveResult } from '@vaeflow/core';
import { recAndKl, squaredDistances } from './common.js';

/**
 * The inverse multiquadratic kernel k(x, y) = C / (C + |x - y|^2), summed over C = 2 d sigma^2 s for
 * the scales s (the WAE paper's kernel, sigma^2 = 1 for a standard-normal prior, d the latent size).
 */
export function imqKernel(x: tf.Tensor2D, y: tf.Tensor2D, scales: readonly number[]): tf.Tensor2D {
  const d2 = squaredDistances(x, y);
  const base = 2 * x.shape[1];
  return tf.addN(scales.map((s) => tf.div(base * s, tf.add(base * s, d2)))) as tf.Tensor2D;
}

/**
 * The unbiased estimate of MMD^2 between the samples x ~ P and y ~ Q (n each; Gretton et al. 2012):
 *   sum_{i != j} k(x_i, x_j) / (n (n - 1)) + sum_{i != j} k(y_i, y_j) / (n (n - 1)) - 2 sum_{i,j} k(x_i, y_j) / n^2.
 */
export function mmdUnbiased(x: tf.Tensor2D, y: tf.Tensor2D, scales: readonly number[]): tf.Scalar {
  const n = x.shape[0];
  if (n < 2) throw new Error('the unbiased MMD needs at least 2 samples per batch');
  const offDiagonalMean = (k: tf.Tensor2D) => tf.div(tf.sub(tf.sum(k), tf.sum(tf.mul(k, tf.eye(n)))), n * (n - 1));
  return tf.sub(tf.add(offDiagonalMean(imqKernel(x, x, scales)), offDiagonalMean(imqKernel(y, y, scales))), tf.mul(2, tf.mean(imqKernel(x, y, scales)))) as tf.Scalar;
}

/**
 * WAE-MMD (Tolstikhin et al. 2018, arXiv 1711.01558, algorithm 2): the reconstruction cost plus
 * lambda MMD^2(q(z), p(z)) between the batch's codes and as many prior samples, with the
 * inverse multiquadratic kernel at several scales (their MNIST setting: lambda = 10). Only the
 * aggregate posterior is matched to the prior, not each q(z|x) (no KL term); the ELBO is
 * reported beside it for comparison.
 */
export class WaeMmd implements Objective {
  readonly id = 'wae-mmd';
  constructor(
    readonly lambda: number,
    readonly scales: readonly number[],
  ) {}
  loss(t: LatentTerms, _p: unknown, _training: boolean, ctx?: ObjectiveContext): ObjectiveResult {
    if (!ctx) throw new Error('wae-mmd needs the model prior to draw samples from');
    const { rec, kl, elbo } = recAndKl(t);
    const m = mmdUnbiased(t.z, ctx.prior.sample(t.z.shape[0], ctx.rng), this.scales);
    return { loss: tf.add(rec, tf.mul(this.lambda, m)) as tf.Scalar, terms: { elbo, rec, kl, mmd: m } };
  }
}
