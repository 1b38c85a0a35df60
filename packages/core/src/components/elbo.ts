import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { LatentTerms, Objective, ObjectiveResult, TrainingProgress } from '../interfaces.js';

export interface ElboOptions {
  /** weight of the KL term (beta-VAE when != 1) */
  beta: number;
  /** KL warm-up: beta is scaled by min(1, epoch / warmupEpochs) while training (seed 002) */
  warmupEpochs: number;
  /** free bits lambda, in nats per latent dimension (0: off) */
  freeBits: number;
  /** `auto`: the closed form where the model has one; `monte-carlo`: always log q(z|x) - log p(z) */
  kl?: 'auto' | 'monte-carlo';
}

/**
 * The evidence lower bound, ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)), per example in nats.
 * The KL is closed form when the model provides it, otherwise the one-sample estimate
 * log q(z_K|x) - log p(z_K) (seed 002, eq. 12). Training minimises
 *   -log p(x|z) + beta_t * FB(KL),
 * with beta_t = beta * min(1, epoch / warmupEpochs) and free bits
 * FB(KL) = sum_j max(lambda, E_batch KL_j) over latent dimensions when the KL decomposes,
 * else max(lambda * L, E_batch KL) over the whole latent (one group).
 */
export class ElboObjective implements Objective {
  readonly id = 'elbo';
  constructor(readonly options: ElboOptions) {}

  /** The KL weight in force at `progress` (warm-up applies to training only). */
  betaAt(progress: TrainingProgress, training: boolean): number {
    const { beta, warmupEpochs } = this.options;
    if (!training || warmupEpochs <= 0) return beta;
    return beta * Math.min(1, progress.epoch / warmupEpochs);
  }

  loss(t: LatentTerms, progress: TrainingProgress, training: boolean): ObjectiveResult {
    const beta = this.betaAt(progress, training);
    const rec = tf.neg(tf.mean(t.logPx)) as tf.Scalar;
    const mc = this.options.kl === 'monte-carlo';
    const kl = tf.mean(mc ? tf.sub(t.logQz, t.logPz) : t.kl) as tf.Scalar;
    let klTerm: tf.Scalar = kl;
    const lambda = this.options.freeBits;
    if (training && lambda > 0) {
      klTerm = t.klPerDim && !mc ? (tf.sum(tf.maximum(tf.mean(t.klPerDim, 0), lambda)) as tf.Scalar) : (tf.maximum(kl, lambda * t.z.shape[1]) as tf.Scalar);
    }
    const loss = tf.add(rec, tf.mul(beta, klTerm)) as tf.Scalar;
    const elbo = tf.neg(tf.add(rec, kl)) as tf.Scalar;
    return { loss, terms: { elbo, rec, kl, beta: tf.scalar(beta) } };
  }
}

export const elboObjective = defineComponent<Objective, ElboOptions>({
  kind: 'objective',
  type: 'elbo',
  description: 'Evidence lower bound with optional beta weight, KL warm-up and free bits.',
  schema: {
    properties: {
      beta: { type: 'number', minimum: 0, default: 1 },
      warmupEpochs: { type: 'number', minimum: 0, default: 0 },
      freeBits: { type: 'number', minimum: 0, default: 0 },
      kl: { enum: ['auto', 'monte-carlo'], default: 'auto', description: 'closed-form KL where available, or always the one-sample estimate' },
    },
  },
  create: (o) => new ElboObjective(o),
});
