import { tf, type LatentTerms, type Objective, type ObjectiveContext, type ObjectiveResult } from '@vaeflow/core';
import { recAndKl, squaredDistances } from './common.js';

/** k(x, y) = exp(-mean_d (x_d - y_d)^2 / L) = exp(-|x - y|^2 / L^2) for all pairs of rows, the InfoVAE code's kernel. */
export function infoVaeKernel(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  const L = x.shape[1];
  return tf.exp(tf.div(tf.neg(squaredDistances(x, y)), L * L)) as tf.Tensor2D;
}

/** Biased MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y); 0 for identical sample sets. */
export function mmd(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.sub(tf.add(tf.mean(infoVaeKernel(x, x)), tf.mean(infoVaeKernel(y, y))), tf.mul(2, tf.mean(infoVaeKernel(x, y)))) as tf.Scalar;
}

/**
 * InfoVAE with the MMD divergence (Zhao et al. 2019, arXiv 1706.02262):
 *   loss = -E[log p(x|z)] + (1 - alpha) KL + (alpha + lambda - 1) MMD(q(z), p(z)),
 * the prior samples drawn by the model's prior (for a decoupled prior, g^-1 of normal noise).
 */
export class InfoVae implements Objective {
  readonly id = 'info-vae';
  constructor(
    readonly alpha: number,
    readonly lambda: number,
  ) {}
  loss(t: LatentTerms, _p: unknown, _training: boolean, ctx?: ObjectiveContext): ObjectiveResult {
    if (!ctx) throw new Error('info-vae needs the model prior to draw samples from');
    const { rec, kl, elbo } = recAndKl(t);
    const prior = ctx.prior.sample(t.z.shape[0], ctx.rng);
    const m = mmd(t.z, prior);
    const loss = tf.addN([rec, tf.mul(1 - this.alpha, kl), tf.mul(this.alpha + this.lambda - 1, m)]) as tf.Scalar;
    return { loss, terms: { elbo, rec, kl, mmd: m } };
  }
}
