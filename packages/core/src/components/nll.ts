import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { LatentTerms, Objective, ObjectiveResult } from '../interfaces.js';

/**
 * The negative log-likelihood -log p(x) = -(logPx + logPz - logQz), per example in nats, for
 * models whose terms are exact (the AEF, eq. 7 and 10 of seed 003: logPx is the residual
 * density with the preprocessing log-determinant, logPz the prior, and -logQz the
 * log-determinant of the encoding). Terms: `nll`, `residual` (-logPx), `prior` (-logPz) and
 * `logDet` (-logQz).
 */
export class NllObjective implements Objective {
  readonly id = 'nll';
  loss(t: LatentTerms): ObjectiveResult {
    const residual = tf.neg(tf.mean(t.logPx)) as tf.Scalar;
    const prior = tf.neg(tf.mean(t.logPz)) as tf.Scalar;
    const logDet = tf.neg(tf.mean(t.logQz)) as tf.Scalar;
    const nll = tf.sub(tf.add(residual, prior), logDet) as tf.Scalar;
    return { loss: nll, terms: { nll, residual, prior, logDet } };
  }
}

export const nllObjective = defineComponent<Objective, Record<string, never>>({
  kind: 'objective',
  type: 'nll',
  description: 'Exact negative log-likelihood, for models that have one (e.g. the AEF).',
  schema: { properties: {} },
  create: () => new NllObjective(),
});
