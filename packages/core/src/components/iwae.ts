import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { LatentModel, LatentTerms, Objective, ObjectiveResult, TrainingProgress } from '../interfaces.js';
import { stopGradient } from '../nn/module.js';
import { logMeanExp } from '../math.js';
import type { Random } from '../random.js';

export interface ImportanceWeightedOptions {
  /** K, importance samples per bound */
  samples: number;
  /** M, independent bounds averaged (MIWAE; 1 for IWAE) */
  groups: number;
  /** the ELBO's weight in the convex combination CIWAE = beta ELBO + (1 - beta) IWAE (0 for IWAE) */
  beta: number;
  /** how the inference network's gradient is estimated (the generative side always gets the bound's own gradient) */
  estimator: GradientEstimator;
}

/**
 * `reparameterised`: the bound's reparameterised gradient for every parameter;
 * `stl`: sticking the landing (Roeder et al. 2017), the inference side gets sum_k w~_k d log w_k/dz_k dz_k/dphi;
 * `dreg`: doubly reparameterised (Tucker et al. 2018), the same with w~_k^2;
 * `piwae` (Rainforth et al. 2018): the generative side trains on the IWAE bound of all K x M
 * samples, the inference side on the MIWAE bound of M groups of K (reparameterised).
 * w~_k are the normalised importance weights of each group.
 */
export type GradientEstimator = 'reparameterised' | 'stl' | 'dreg' | 'piwae';

/**
 * Importance-weighted bounds, from K importance weights w_k = p(x, z_k) / q(z_k|x), z_k ~ q:
 *   IWAE  (Burda et al. 2016):      L_K = E[log (1/K) sum_k w_k], L_1 = ELBO <= L_K <= L_K' <= log p(x) for K <= K';
 *   MIWAE (Rainforth et al. 2018):  (1/M) sum_m L_K^(m) over M independent groups of K (`groups`);
 *   CIWAE (Rainforth et al. 2018):  beta ELBO_K + (1 - beta) L_K, ELBO_K = (1/K) sum_k log w_k (`beta`).
 * The weights come from the model's `logWeights` (reparameterised, so the bound is differentiated
 * through the samples), or, for the other gradient estimators ({@link GradientEstimator}), from its
 * `importanceParts`. Terms: `iwae` (the bound trained), `elbo` (the K-sample ELBO estimate).
 */
export class ImportanceWeightedObjective implements Objective {
  readonly id: string;
  readonly needsPosteriorDensity: boolean;
  constructor(readonly options: ImportanceWeightedOptions) {
    const { estimator } = options;
    if (options.beta > 0 && estimator !== 'reparameterised') throw new Error(`CIWAE (beta > 0) is trained with the reparameterised estimator only, not "${estimator}"`);
    this.id = estimator === 'piwae' ? 'piwae' : `${options.beta > 0 ? 'ciwae' : options.groups > 1 ? 'miwae' : 'iwae'}${estimator === 'stl' || estimator === 'dreg' ? `-${estimator}` : ''}`;
    this.needsPosteriorDensity = estimator === 'stl' || estimator === 'dreg';
  }

  modelLoss(model: LatentModel, x: tf.Tensor2D, rng: Random, _progress?: TrainingProgress, training = false): ObjectiveResult {
    const { samples: K, groups: M, beta, estimator } = this.options;
    const B = x.shape[0];
    if (estimator !== 'reparameterised') return this.splitLoss(model, x, rng, training);
    const lw = tf.reshape(model.logWeights(x, K * M, rng), [B, M, K]);
    const bound = tf.mean(logMeanExp(lw, 2)) as tf.Scalar; // mean over examples and groups
    const elbo = tf.mean(lw) as tf.Scalar;
    const objective = beta > 0 ? (tf.add(tf.mul(beta, elbo), tf.mul(1 - beta, bound)) as tf.Scalar) : bound;
    return { loss: tf.neg(objective) as tf.Scalar, terms: { iwae: bound, elbo } };
  }

  /**
   * STL, DReG and PIWAE: the generative side's gradient from the bound with z held constant, the
   * inference side's from a surrogate whose value is zero-centred noise around the bound but whose
   * gradient is the estimator's. The loss's value is the negative bound all the same.
   */
  private splitLoss(model: LatentModel, x: tf.Tensor2D, rng: Random, training: boolean): ObjectiveResult {
    const { samples: K, groups: M, estimator } = this.options;
    if (!model.importanceParts) throw new Error(`the ${this.id} objective needs a model that splits its importance weights (importanceParts); the ${model.kind} model does not`);
    const B = x.shape[0];
    const parts = model.importanceParts(x, K * M, rng, { path: estimator !== 'piwae', inference: estimator === 'piwae' }, training);
    const gen = tf.reshape(parts.generative, [B, M, K]);
    const miwae = tf.mean(logMeanExp(gen, 2)) as tf.Scalar;
    const elbo = tf.mean(gen) as tf.Scalar;
    // the generative side: IWAE over all K x M samples for PIWAE, else the bound trained (MIWAE when M > 1)
    const generative = estimator === 'piwae' ? (tf.mean(logMeanExp(parts.generative, 1)) as tf.Scalar) : miwae;
    // the inference side's surrogate: only its gradient counts (its value is taken back out below)
    let surrogate: tf.Scalar;
    if (estimator === 'piwae') {
      surrogate = tf.mean(logMeanExp(tf.reshape(parts.inference as tf.Tensor2D, [B, M, K]), 2)) as tf.Scalar;
    } else {
      // sum_k c_k log w_k along the path weights, with c_k the normalised weights of each group (squared for DReG) held constant
      const wn = stopGradient(tf.softmax(gen, 2));
      const coef = estimator === 'dreg' ? tf.square(wn) : wn;
      surrogate = tf.mean(tf.sum(tf.mul(coef, tf.reshape(parts.path as tf.Tensor2D, [B, M, K])), 2)) as tf.Scalar;
    }
    const total = tf.add(generative, tf.sub(surrogate, stopGradient(surrogate))) as tf.Scalar;
    return { loss: tf.neg(total) as tf.Scalar, terms: { iwae: generative, elbo } };
  }

  /** Only the model's K-sample weights give the bound; the one-sample terms cannot. */
  loss(_t: LatentTerms): ObjectiveResult {
    throw new Error(`the ${this.id} objective needs the model's importance weights (modelLoss), not one pass's terms`);
  }
}

export const iwaeObjective = defineComponent<Objective, ImportanceWeightedOptions>({
  kind: 'objective',
  type: 'iwae',
  description:
    'Importance-weighted bound with K samples (Burda et al. 2016); groups > 1 gives MIWAE, beta > 0 CIWAE (Rainforth et al. 2018); estimator stl, dreg or piwae for lower-variance inference gradients.',
  schema: {
    properties: {
      samples: { type: 'integer', minimum: 1, maximum: 5000, default: 5, description: 'K importance samples per bound' },
      groups: { type: 'integer', minimum: 1, maximum: 1000, default: 1, description: 'M bounds of K samples averaged (MIWAE); 1: IWAE' },
      beta: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'CIWAE: weight of the K-sample ELBO in beta ELBO + (1 - beta) IWAE; 0: IWAE' },
      estimator: {
        enum: ['reparameterised', 'stl', 'dreg', 'piwae'],
        default: 'reparameterised',
        description:
          "the inference network's gradient: reparameterised; stl (sticking the landing, Roeder et al. 2017) or dreg (doubly reparameterised, Tucker et al. 2018), which evaluate q at its samples (invertible posterior flows only); piwae (Rainforth et al. 2018: decoder on IWAE of K x groups samples, encoder on MIWAE)",
      },
    },
  },
  create: (o) => new ImportanceWeightedObjective(o),
});
