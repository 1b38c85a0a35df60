import { tf, type LatentTerms, type Objective, type ObjectiveResult, type TrainingProgress } from '@vaeflow/core';
import { recAndKl } from './common.js';

/** beta-VAE (Higgins et al. 2017): loss = -E[log p(x|z)] + beta KL. */
export class BetaVaeH implements Objective {
  readonly id = 'beta-vae-h';
  constructor(readonly beta: number) {}
  loss(t: LatentTerms): ObjectiveResult {
    const { rec, kl, elbo } = recAndKl(t);
    return { loss: tf.add(rec, tf.mul(this.beta, kl)) as tf.Scalar, terms: { elbo, rec, kl } };
  }
}

/**
 * beta-VAE with a capacity schedule (Burgess et al. 2018):
 *   loss = -E[log p(x|z)] + gamma |KL - C(t)|,  C(t) = min(C_max, C_max t / T),
 * with t the optimisation step and T the steps over which the capacity rises.
 */
export class BetaVaeB implements Objective {
  readonly id = 'beta-vae-b';
  constructor(
    readonly gamma: number,
    readonly capacityMax: number,
    readonly capacitySteps: number,
  ) {}
  capacity(step: number): number {
    return Math.min(this.capacityMax, (this.capacityMax * step) / this.capacitySteps);
  }
  loss(t: LatentTerms, progress: TrainingProgress): ObjectiveResult {
    const { rec, kl, elbo } = recAndKl(t);
    const c = this.capacity(progress.step);
    return { loss: tf.add(rec, tf.mul(this.gamma, tf.abs(tf.sub(kl, c)))) as tf.Scalar, terms: { elbo, rec, kl, capacity: tf.scalar(c) } };
  }
}
