import { tf, type LatentModel, type LatentTerms, type Module, type Objective, type ObjectiveResult } from '@vaeflow/core';

/**
 * The regularised deterministic autoencoder RAE-L2 (Ghosh et al. 2020, arXiv 1903.12436, eq. 2):
 *   loss = -log p(x | z) + beta |z|^2 / 2 + lambda |theta_decoder|^2,  z = E(x) the encoder's mean,
 * no noise and no KL: the code is deterministic, its norm kept small, the decoder smoothed by
 * weight decay. A model trained so has no prior to sample from; `vaeflow sample --ex-post-gmm K`
 * samples from a mixture fitted to its codes afterwards, as the paper does. Terms: rec, codeNorm,
 * decoderNorm.
 */
export class Rae implements Objective {
  readonly id = 'rae';
  constructor(
    readonly beta: number,
    readonly lambda: number,
  ) {}
  modelLoss(model: LatentModel, x: tf.Tensor2D): ObjectiveResult {
    const decoder = (model as { decoder?: Module }).decoder;
    if (!model.logLikelihoodGivenZ || !decoder) throw new Error(`the rae objective needs a model with an encoder mean and a decoder (a vae), not "${model.kind}"`);
    const z = model.encodeMean(x);
    const rec = tf.neg(tf.mean(model.logLikelihoodGivenZ(x, z))) as tf.Scalar;
    const codeNorm = tf.mul(0.5, tf.mean(tf.sum(tf.square(z), 1))) as tf.Scalar;
    const decoderNorm = tf.addN(decoder.trainableVariables().map((v) => tf.sum(tf.square(v)))) as tf.Scalar;
    const loss = tf.addN([rec, tf.mul(this.beta, codeNorm), tf.mul(this.lambda, decoderNorm)]) as tf.Scalar;
    return { loss, terms: { rec, codeNorm, decoderNorm } };
  }
  loss(_t: LatentTerms): ObjectiveResult {
    throw new Error('the rae objective evaluates the decoder at the encoder mean (modelLoss), not at a posterior sample');
  }
}
