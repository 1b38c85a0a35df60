import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { LatentModel, LatentTerms, Objective, ObjectiveResult } from '../interfaces.js';
import { logMeanExp } from '../math.js';
import type { Random } from '../random.js';

export interface ImportanceWeightedOptions {
  /** K, importance samples per bound */
  samples: number;
  /** M, independent bounds averaged (MIWAE; 1 for IWAE) */
  groups: number;
  /** the ELBO's weight in the convex combination CIWAE = beta ELBO + (1 - beta) IWAE (0 for IWAE) */
  beta: number;
}

/**
 * Importance-weighted bounds, from K importance weights w_k = p(x, z_k) / q(z_k|x), z_k ~ q:
 *   IWAE  (Burda et al. 2016):      L_K = E[log (1/K) sum_k w_k], L_1 = ELBO <= L_K <= L_K' <= log p(x) for K <= K';
 *   MIWAE (Rainforth et al. 2018):  (1/M) sum_m L_K^(m) over M independent groups of K (`groups`);
 *   CIWAE (Rainforth et al. 2018):  beta ELBO_K + (1 - beta) L_K, ELBO_K = (1/K) sum_k log w_k (`beta`).
 * The weights come from the model's `logWeights` (reparameterised, so the bound is differentiated
 * through the samples). Terms: `iwae` (the bound trained), `elbo` (the K-sample ELBO estimate).
 */
export class ImportanceWeightedObjective implements Objective {
  readonly id: string;
  constructor(readonly options: ImportanceWeightedOptions) {
    this.id = options.beta > 0 ? 'ciwae' : options.groups > 1 ? 'miwae' : 'iwae';
  }

  modelLoss(model: LatentModel, x: tf.Tensor2D, rng: Random): ObjectiveResult {
    const { samples: K, groups: M, beta } = this.options;
    const B = x.shape[0];
    const lw = tf.reshape(model.logWeights(x, K * M, rng), [B, M, K]);
    const bound = tf.mean(logMeanExp(lw, 2)) as tf.Scalar; // mean over examples and groups
    const elbo = tf.mean(lw) as tf.Scalar;
    const objective = beta > 0 ? (tf.add(tf.mul(beta, elbo), tf.mul(1 - beta, bound)) as tf.Scalar) : bound;
    return { loss: tf.neg(objective) as tf.Scalar, terms: { iwae: bound, elbo } };
  }

  /** Only the model's K-sample weights give the bound; the one-sample terms cannot. */
  loss(_t: LatentTerms): ObjectiveResult {
    throw new Error(`the ${this.id} objective needs the model's importance weights (modelLoss), not one pass's terms`);
  }
}

export const iwaeObjective = defineComponent<Objective, ImportanceWeightedOptions>({
  kind: 'objective',
  type: 'iwae',
  description: 'Importance-weighted bound with K samples (Burda et al. 2016); groups > 1 gives MIWAE, beta > 0 CIWAE (Rainforth et al. 2018).',
  schema: {
    properties: {
      samples: { type: 'integer', minimum: 1, maximum: 5000, default: 5, description: 'K importance samples per bound' },
      groups: { type: 'integer', minimum: 1, maximum: 1000, default: 1, description: 'M bounds of K samples averaged (MIWAE); 1: IWAE' },
      beta: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'CIWAE: weight of the K-sample ELBO in beta ELBO + (1 - beta) IWAE; 0: IWAE' },
    },
  },
  create: (o) => new ImportanceWeightedObjective(o),
});
