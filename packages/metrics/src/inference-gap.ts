import { Random, tf, type LatentModel } from '@vaeflow/core';

/** The inference gap of each example split in two (Cremer, Li and Duvenaud 2018), nats. */
export interface InferenceGaps {
  /** log p(x): given, or importance-sampled with the fitted posterior as the proposal (K samples) */
  logPx: Float64Array;
  /** ELBO of the encoder's posterior q(z|x) */
  elboAmortised: Float64Array;
  /** ELBO of the best posterior of the same family for x alone, found by optimisation */
  elboOptimised: Float64Array;
  /** log p(x) - elboOptimised: what the family cannot express */
  approximation: Float64Array;
  /** elboOptimised - elboAmortised: what the encoder loses by sharing one network */
  amortisation: Float64Array;
}

export interface InferenceGapOptions {
  /** Adam steps fitting each example's posterior */
  steps?: number;
  learningRate?: number;
  /** posterior samples per ELBO gradient */
  samples?: number;
  /** samples for the final ELBOs and for log p(x) */
  k?: number;
  /**
   * log p(x) per example from a tighter estimator (AIS, or a closed form): the default, IWAE with
   * the fitted posterior as proposal, is a lower bound, and a loose one where the family is
   * under-dispersed (a mean-field fit to a correlated posterior), which shrinks the approximation gap
   */
  logPx?: ArrayLike<number>;
  rng?: Random;
}

type FeatureModel = LatentModel & { posteriorFeatures(x: tf.Tensor2D): tf.Tensor2D; logWeightsGivenFeatures(x: tf.Tensor2D, h: tf.Tensor2D, k: number, rng: Random): tf.Tensor2D };

/**
 * The approximation and amortisation gaps of a batch x. The family is the model's posterior (its
 * head and any conditional flows) as a function of the features h it reads; for each example h is
 * optimised from the encoder's value to maximise the ELBO (the best posterior the family offers
 * for that x, with the model's shared flow weights fixed); log p(x) is given (AIS, as Cremer et
 * al. use) or importance-sampled with that fitted posterior as the proposal. Works for every
 * posterior whose head is wide enough to reach any member of its family from h.
 */
export function inferenceGaps(model: LatentModel, x: tf.Tensor2D, o: InferenceGapOptions = {}): InferenceGaps {
  if (!model.posteriorFeatures || !model.logWeightsGivenFeatures) throw new Error(`the inference-gap split needs the posterior's features; the ${model.kind} model does not give them`);
  const m = model as FeatureModel;
  const rng = o.rng ?? new Random('inference-gap');
  const S = o.samples ?? 16;
  const K = o.k ?? 1000;
  const h0 = tf.tidy(() => m.posteriorFeatures(x));
  const h = tf.variable(h0, true, `inference-gap-h-${Date.now()}-${Math.random()}`);
  // The ELBO of each example is separate, so one optimiser over the batch's h fits each alone. The
  // learning rate steps down (1, 1/3, 1/10 over thirds of the steps) so the noisy gradients settle.
  const steps = o.steps ?? 500;
  for (const [share, scale] of [
    [1 / 3, 1],
    [1 / 3, 1 / 3],
    [1 / 3, 1 / 10],
  ]) {
    const optimizer = tf.train.adam((o.learningRate ?? 0.01) * scale);
    for (let step = 0; step < Math.round(steps * share); step++) {
      optimizer.minimize(() => tf.neg(tf.sum(tf.mean(m.logWeightsGivenFeatures(x, h, S, rng), 1))) as tf.Scalar, false, [h]);
    }
    optimizer.dispose();
  }
  const score = (features: tf.Tensor2D) =>
    tf.tidy(() => {
      const lw = m.logWeightsGivenFeatures(x, features, K, rng);
      return { elbo: tf.mean(lw, 1).dataSync() as Float32Array, iwae: tf.sub(tf.logSumExp(lw, 1), Math.log(K)).dataSync() as Float32Array };
    });
  const amortised = score(h0);
  const optimised = score(h);
  tf.dispose([h0, h]);
  const logPx = Float64Array.from(o.logPx ?? optimised.iwae);
  const elboOptimised = Float64Array.from(optimised.elbo);
  const elboAmortised = Float64Array.from(amortised.elbo);
  return {
    logPx,
    elboAmortised,
    elboOptimised,
    approximation: logPx.map((v, i) => v - elboOptimised[i]),
    amortisation: elboOptimised.map((v, i) => v - elboAmortised[i]),
  };
}
