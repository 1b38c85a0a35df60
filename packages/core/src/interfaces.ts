import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from './nn/module.js';
import type { Random } from './random.js';
import type { FlowLayerHealth } from './model/flow-health.js';

/**
 * The encoder network: x (flattened, [B, D]) -> features h ([B, featureDim]). The posterior
 * head reads q(z0|x) off h, and conditional flows use h as their context.
 */
export interface Encoder extends Module {
  readonly featureDim: number;
  encode(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
}

/** q(z0|x), the base posterior before any flow (diagonal or full-covariance Gaussian). */
export interface PosteriorDistribution {
  readonly mean: tf.Tensor2D;
  /** z0 = mean + scale * eps, reparameterised, with log q(z0|x). */
  sample(rng: Random): { z: tf.Tensor2D; logProb: tf.Tensor1D };
  logProb(z: tf.Tensor2D): tf.Tensor1D;
  /** KL(q || N(0, I)) in closed form: per example, and per latent dimension where it decomposes. */
  klToStandardNormal(): { total: tf.Tensor1D; perDim?: tf.Tensor2D };
  /** For diagonal Gaussians: the per-example log standard deviations (objectives that need pairwise densities read them). */
  readonly logScale?: tf.Tensor2D;
}

/** Maps encoder features to q(z0|x). */
export interface Posterior extends Module {
  distribution(h: tf.Tensor2D): PosteriorDistribution;
}

/** z_k = f(z_{k-1}; h) with log|det df/dz|; see {@link BaseFlow} for the checked implementation base. */
export interface Flow extends Module {
  readonly id: string;
  readonly dim: number;
  /** True when the flow reads a context h (amortised / conditional flows). */
  readonly conditional: boolean;
  /** True when {@link inverseAndLogDet} is available. */
  readonly invertible: boolean;
  forwardAndLogDet(z: tf.Tensor2D, context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D };
  /** Only when `invertible`; otherwise throws a {@link @vaeflow/core!NotInvertibleError | NotInvertibleError} naming the flow. */
  inverseAndLogDet(z: tf.Tensor2D, context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D };
  /**
   * forwardAndLogDet for z of B x repeats rows and a context h of B rows, z row i reading h row
   * floor(i / repeats): the K importance samples of each example share its h. A flow whose
   * per-example parameters are costly functions of h (Sylvester's Q, R, R~) computes them once
   * per row of h. Optional: core's `forwardRepeated` repeats h for flows without it.
   */
  forwardAndLogDetRepeated?(z: tf.Tensor2D, context: tf.Tensor2D, repeats: number): { z: tf.Tensor2D; logDet: tf.Tensor1D };
  /**
   * What this flow's log-determinant relies on, measured per example at z (with context h) where
   * it can fail silently, e.g. O-SNF's |Q^T Q - I| after a capped iteration. Flow health
   * (`training.flowHealthEvery`) and `vaeflow eval` report each check and warn when an example
   * goes over its limit.
   */
  checks?(z: tf.Tensor2D, context?: tf.Tensor2D): Record<string, FlowCheck>;
}

/** One per-example quantity a flow's exactness relies on staying at most `limit` ({@link Flow.checks}). */
export interface FlowCheck {
  /** [B], one value per example */
  perExample: tf.Tensor1D;
  limit: number;
  /** what going over the limit means and what to do, for the warning */
  meaning: string;
}

/**
 * p(z) over the latent space, or p(z|c) when `conditional`: then `condition` (the rows' condition
 * columns, [B, C], e.g. one-hot labels) is required, and unconditional priors ignore it.
 */
export interface Prior extends Module {
  /** True when the prior reads a condition c (a label-conditional prior). */
  readonly conditional?: boolean;
  logProb(z: tf.Tensor2D, condition?: tf.Tensor2D): tf.Tensor1D;
  sample(n: number, rng: Random, condition?: tf.Tensor2D): tf.Tensor2D;
}

/** p(x|z) for a batch, from the decoder's output parameters. */
export interface Likelihood {
  /** log p(x|z) per example, summed over dimensions. */
  logProb(x: tf.Tensor2D): tf.Tensor1D;
  /** E[x|z], for images and reconstructions. */
  mean(): tf.Tensor2D;
  sample(rng: Random): tf.Tensor2D;
  /** log p(x_d|z) per example and dimension, [B, D] (models that score a subset of dimensions, e.g. the AEF shell). */
  logProbPerDim?(x: tf.Tensor2D): tf.Tensor2D;
  /** Domain-specific reconstruction measures of x as batch means (e.g. sequence accuracies); `vaeflow eval` reports them. */
  metrics?(x: tf.Tensor2D): Record<string, tf.Scalar>;
}

/** A likelihood family: how many decoder outputs it needs per data dimension, and its own parameters (e.g. a learned scale). */
export interface LikelihoodModel extends Module {
  readonly paramsPerDim: number;
  distribution(params: tf.Tensor2D): Likelihood;
}

/** The decoder: z -> p(x|z). */
export interface Decoder extends Module {
  decode(z: tf.Tensor2D): Likelihood;
}

/** Per-example quantities of one pass of a latent-variable model, shared by every objective. */
export interface LatentTerms {
  /** log p(x|z_K) */
  logPx: tf.Tensor1D;
  /** log q(z_K|x) = log q(z0|x) - sum_k log|det J_k| */
  logQz: tf.Tensor1D;
  /** log p(z_K) */
  logPz: tf.Tensor1D;
  /** KL(q || p): closed form where it exists (no flow, standard-normal prior), else logQz - logPz. */
  kl: tf.Tensor1D;
  /** Per-dimension KL when it decomposes (diagonal posterior, no flows, standard normal prior). */
  klPerDim?: tf.Tensor2D;
  /** The latent sample z_K. */
  z: tf.Tensor2D;
  /** The base-posterior mean (for latent-space plots). */
  mean: tf.Tensor2D;
  /** q(z0|x) of the batch, for objectives that need more than these terms (e.g. beta-TCVAE). */
  posterior?: PosteriorDistribution;
  /** True when z_K = z0 (no posterior flows), so `posterior` is the density of `z`. */
  noFlows?: boolean;
}

export interface TrainingProgress {
  /** 0-based epoch, fractional within an epoch (epoch + step/stepsPerEpoch). */
  epoch: number;
  /** global optimisation step, 0-based */
  step: number;
}

/** What an objective returns: the scalar to minimise and named scalar terms to log (per example means). */
export interface ObjectiveResult {
  loss: tf.Scalar;
  terms: Record<string, tf.Scalar>;
}

/** What an objective may ask of the model besides the terms (e.g. prior samples for MMD). */
export interface ObjectiveContext {
  prior: Prior;
  rng: Random;
}

/** A training objective over a model that exposes {@link LatentTerms}. */
/** An objective's state between steps, as checkpoints keep it (see {@link Objective.saveState}). */
export interface ObjectiveState {
  tensors: { name: string; tensor: tf.Tensor }[];
  json: unknown;
}

export interface Objective {
  readonly id: string;
  loss(terms: LatentTerms, progress: TrainingProgress, training: boolean, context?: ObjectiveContext): ObjectiveResult;
  /**
   * For objectives that need more of the model than one pass's terms (IWAE's K importance
   * samples per example): the loss of the batch x from the model itself. When present, the
   * trainer and evaluation call it instead of {@link loss}.
   */
  modelLoss?(model: LatentModel, x: tf.Tensor2D, rng: Random, progress: TrainingProgress, training: boolean): ObjectiveResult;
  /**
   * Called after every optimiser step of the model (adversarial parts, such as FactorVAE's
   * discriminator, train here with their own optimiser).
   */
  afterStep?(progress: TrainingProgress): void;
  /** Variables the objective owns; checkpoints store them under `objective/`. */
  namedVariables?(): Map<string, tf.Variable>;
  /**
   * What else the objective carries from one step to the next (an optimiser's moments, a batch
   * kept for the next step, its random stream), so that a resumed run continues exactly:
   * tensors, which the caller disposes once saved, and JSON. Checkpoints store both.
   */
  saveState?(): Promise<ObjectiveState>;
  /** Takes back what {@link saveState} gave (copying the tensors it keeps) before a resumed run's first step. */
  restoreState?(state: ObjectiveState): Promise<void>;
  /**
   * What about this model makes the objective behave other than its name suggests (e.g. a term
   * that is no longer a KL with this prior); `vaeflow validate` and `train` print them.
   */
  modelWarnings?(model: LatentModel): string[];
  /**
   * True when the objective evaluates q(z|x) at its own samples with the inference parameters
   * held constant (sticking the landing, DReG): models refuse it when a posterior flow has no inverse.
   */
  readonly needsPosteriorDensity?: boolean;
}

/**
 * K importance log-weights per example split for gradient estimators that treat the generative
 * and inference sides apart; each is [B, K] and equal in value to the log-weights
 * log w_k = log p(x, z_k) - log q(z_k|x), z_k ~ q(z|x). They differ in where gradients go.
 */
export interface ImportanceParts {
  /** z_k and log q(z_k|x) held constant: gradients reach the generative side (decoder, prior) only */
  generative: tf.Tensor2D;
  /** every parameter held constant, z_k not: the path derivative d log w_k / dz_k * dz_k / dphi (Roeder et al. 2017) */
  path?: tf.Tensor2D;
  /** the generative side held constant: reparameterised gradients reach the inference side only */
  inference?: tf.Tensor2D;
}

/**
 * What the trainer, `vaeflow eval` and the metrics need of a model. The standard {@link VAE}
 * is one; a plugin may provide others as `model` components (the AEF of @vaeflow/aef).
 */
export interface LatentModel extends Module {
  /** the model component type ("vae", "aef", ...) */
  readonly kind: string;
  readonly latentDim: number;
  readonly prior: Prior;
  /**
   * True when `terms` give the exact log-likelihood, log p(x) = logPx + logPz - logQz (a flow
   * such as the AEF, where -logQz is the log-determinant), rather than a bound.
   */
  readonly exactLikelihood: boolean;
  /** Everything an objective needs from one pass over a batch (data space, preprocessing counted). */
  terms(x: tf.Tensor2D, rng: Random, training: boolean): LatentTerms;
  /** K importance log-weights per example, [B, K]: log-mean-exp over K estimates log p(x). */
  logWeights(x: tf.Tensor2D, k: number, rng: Random): tf.Tensor2D;
  /** The same K log-weights split by where gradients go (models that support STL, DReG and PIWAE). */
  importanceParts?(x: tf.Tensor2D, k: number, rng: Random, want: { path?: boolean; inference?: boolean }, training?: boolean): ImportanceParts;
  /**
   * Columns after the data in each row that condition the model (a one-hot label; see
   * {@link @vaeflow/core!conditionOnLabels | conditionOnLabels}); 0 or absent for unconditional models. Every method taking x
   * takes whole rows [B, D + conditionDim]; outputs in data space have the data columns only.
   */
  readonly conditionDim?: number;
  /**
   * Samples x ~ p(x) without observation noise (the decoder mean), in data space. Conditional
   * models take the condition rows [n, conditionDim]; without them the classes take turns (row i has class i mod C).
   */
  generate(n: number, rng: Random, condition?: tf.Tensor2D): tf.Tensor2D;
  /** The model's reconstruction of x (decoder mean at an encoding of x), in data space. */
  reconstruct(x: tf.Tensor2D, rng: Random): tf.Tensor2D;
  /** A point in latent space per example (the posterior mean, or the AEF's deterministic code), for latent plots. */
  encodeMean(x: tf.Tensor2D): tf.Tensor2D;
  /** p(x|z) at a posterior sample, for domain reconstruction metrics; absent where it has no meaning. */
  reconstructionLikelihood?(x: tf.Tensor2D, rng: Random): Likelihood;
  /** The encoder's features h of x (the posterior's input), for diagnostics that fit h per example. */
  posteriorFeatures?(x: tf.Tensor2D): tf.Tensor2D;
  /** Log-weights [B, K] with the posterior driven by features h instead of the encoder's. */
  logWeightsGivenFeatures?(x: tf.Tensor2D, h: tf.Tensor2D, k: number, rng: Random): tf.Tensor2D;
  /** log p(x|z) in data space, for models with a decoder (annealed importance sampling anneals it in). */
  logLikelihoodGivenZ?(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D;
  /** log p(z) at z, one row of z per row of x: the prior of each row's condition, p(z|c) (annealed importance sampling starts there). */
  priorLogProbAt?(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D;
  /** One z ~ p(z) per row of x, from the prior of that row's condition, p(z|c). */
  samplePriorAt?(x: tf.Tensor2D, rng: Random): tf.Tensor2D;
  /**
   * The same model (sharing every module and weight) with another prior, e.g. a density fitted to
   * the codes after training, for evaluating and sampling with it. Do not dispose the result: its
   * modules belong to this model.
   */
  withPrior?(prior: Prior): LatentModel;
  /** E[x|z] in data space for given latents (samples from a density fitted to the codes after training); conditional models take the condition rows. */
  decodeMean?(z: tf.Tensor2D, condition?: tf.Tensor2D): tf.Tensor2D;
  /** x ~ p(x|z) in data space, or p(x|z, c) given the condition rows of a conditional model (bidirectional Monte Carlo simulates data with it). */
  sampleGivenZ?(z: tf.Tensor2D, rng: Random, condition?: tf.Tensor2D): tf.Tensor2D;
  /** Per flow layer (a VAE's posterior flows; a flow model's, from data to base): log-det statistics, finiteness, inverse round-trip error. */
  flowHealth?(x: tf.Tensor2D, rng: Random): FlowLayerHealth[];
  /** null when this model can be trained by `objective`, else why not (reported at /objective). */
  objectiveProblem?(objective: Objective): string | null;
  /**
   * Called once before evaluation with validation data, for estimators with a free setting
   * (the AEF's importance-sampling scale); returns what it chose, for the record.
   */
  tuneEstimator?(val: tf.Tensor2D, rng: Random): Record<string, number>;
}
