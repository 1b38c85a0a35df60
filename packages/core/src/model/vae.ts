import * as tf from '@tensorflow/tfjs-core';
import type { Decoder, Encoder, Flow, ImportanceParts, LatentModel, LatentTerms, Likelihood, Objective, Posterior, Prior } from '../interfaces.js';
import { Module, ModuleList, frozenModules, stopGradient } from '../nn/module.js';
import type { Random } from '../random.js';
import { Preprocessing } from './preprocessing.js';
import { repeatRows } from '../math.js';
import { forwardRepeated } from '../flow.js';
import { oneHotInTurn } from '../data.js';
import { flowHealth, type FlowLayerHealth } from './flow-health.js';

/**
 * A VAE with an optional chain of posterior flows:
 *   h = enc(y); z0 ~ q(z0|x); z_k = f_k(z_{k-1}; h); log q(z_K|x) = log q(z0|x) - sum_k log|det J_k|;
 *   p(x, z_K) = p(z_K) p(y|z_K) |det dT/dx|,
 * where y = T(x) is the optional data preprocessing (identity by default).
 *
 * Conditional (`conditionDim` C > 0, the conditional VAE of Sohn et al. 2015): each row is [x, c]
 * with c a one-hot label; the encoder reads [y, c], the decoder [z, c], a conditional prior p(z|c),
 * and the flows see c through h. Every bound is then on log p(x|c).
 */
export class VAE extends Module implements LatentModel {
  readonly kind = 'vae';
  readonly exactLikelihood = false;
  readonly flowList: ModuleList;
  readonly preprocessing: Preprocessing;
  constructor(
    readonly latentDim: number,
    readonly encoder: Encoder,
    readonly posterior: Posterior,
    readonly flows: Flow[],
    readonly prior: Prior,
    readonly decoder: Decoder,
    preprocessing: Flow[] = [],
    readonly conditionDim = 0,
  ) {
    super();
    this.addChild('encoder', encoder);
    this.addChild('posterior', posterior);
    this.flowList = this.addChild('flows', new ModuleList());
    for (const f of flows) this.flowList.push(f);
    this.addChild('prior', prior);
    this.addChild('decoder', decoder);
    this.preprocessing = new Preprocessing(preprocessing);
    // Kept out of the weight names when empty, so checkpoints of plain VAEs keep their layout.
    if (preprocessing.length) this.addChild('preprocessing', this.preprocessing);
  }

  /** This VAE with another prior; the modules (and weights) are shared, so the result must not be disposed. */
  withPrior(prior: Prior): VAE {
    return new VAE(this.latentDim, this.encoder, this.posterior, this.flows, prior, this.decoder, this.preprocessing.flows, this.conditionDim);
  }

  /**
   * Rows [x, c] split into the preprocessed data y = T(x) with log|det dT/dx|, and the condition
   * c (null for an unconditional model).
   */
  private split(rows: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D; c: tf.Tensor2D | null } {
    const C = this.conditionDim;
    if (!C) return { ...this.preprocessing.forward(rows), c: null };
    const D = rows.shape[1] - C;
    const [x, c] = tf.split(rows, [D, C], 1) as [tf.Tensor2D, tf.Tensor2D];
    return { ...this.preprocessing.forward(x), c };
  }

  /** Encoder features h of the preprocessed data y with its condition: enc(y), or enc([y, c]). */
  private features(y: tf.Tensor2D, c: tf.Tensor2D | null, training: boolean): tf.Tensor2D {
    return this.encoder.encode(c ? (tf.concat([y, c], 1) as tf.Tensor2D) : y, training);
  }

  /** p(y|z), or p(y|z, c): the decoder reads [z, c]. */
  private decode(z: tf.Tensor2D, c: tf.Tensor2D | null): Likelihood {
    return this.decoder.decode(c ? (tf.concat([z, c], 1) as tf.Tensor2D) : z);
  }

  /** log p(z) or log p(z|c). */
  private priorLogProb(z: tf.Tensor2D, c: tf.Tensor2D | null): tf.Tensor1D {
    return c ? this.prior.logProb(z, c) : this.prior.logProb(z);
  }

  /** The condition rows for n samples: given ones (checked), else the classes in turn (row i has class i mod C). */
  private conditionFor(n: number, condition?: tf.Tensor2D): tf.Tensor2D | null {
    const C = this.conditionDim;
    if (!C) return null;
    if (condition) {
      if (condition.shape[0] !== n || condition.shape[1] !== C) throw new Error(`a condition for ${n} samples of this model is [${n}, ${C}], got [${condition.shape}]`);
      return condition;
    }
    return tf.tensor2d(oneHotInTurn(n, C), [n, C]);
  }

  /** Whether KL(q || p) has a closed form here: no flows and a standard-normal prior. */
  get closedFormKl(): boolean {
    return this.flows.length === 0 && (this.prior as { standardNormal?: boolean }).standardNormal === true;
  }

  /** Draws z_K ~ q(z|x) through the flows, returning log q(z_K|x) and the base posterior (x in data space). */
  posteriorSample(x: tf.Tensor2D, rng: Random, training = false) {
    const { y, c } = this.split(x);
    const h = this.features(y, c, training);
    return { ...this.sampleGivenFeatures(h, rng), h };
  }

  /**
   * z_K ~ q(z|x) for encoder features h already computed, `repeats` draws per row of h (rows
   * i * repeats .. (i + 1) * repeats - 1 of z belong to row i); conditional flows get h unrepeated
   * where they can use it so ({@link forwardRepeated}).
   */
  sampleGivenFeatures(h: tf.Tensor2D, rng: Random, repeats = 1) {
    const q = this.posterior.distribution(repeats === 1 ? h : repeatRows(h, repeats));
    let { z, logProb: logQz } = q.sample(rng);
    for (const f of this.flows) {
      const r = forwardRepeated(f, z, f.conditional ? h : undefined, repeats);
      z = r.z;
      logQz = tf.sub(logQz, r.logDet) as tf.Tensor1D;
    }
    return { z, logQz, q };
  }

  /** Each posterior flow layer's log-det statistics, finiteness and round-trip error on a batch (x in data space). */
  flowHealth(x: tf.Tensor2D, rng: Random): FlowLayerHealth[] {
    let layers: FlowLayerHealth[] = [];
    tf.tidy(() => {
      const { y, c } = this.split(x);
      const h = this.features(y, c, false);
      layers = flowHealth(this.flows, this.posterior.distribution(h).sample(rng).z, h);
    });
    return layers;
  }

  /** Everything an objective needs from one pass over a batch. */
  terms(x: tf.Tensor2D, rng: Random, training: boolean): LatentTerms {
    const { y, logDet: logDetT, c } = this.split(x);
    const h = this.features(y, c, training);
    const { z, logQz, q } = this.sampleGivenFeatures(h, rng);
    const logPz = this.priorLogProb(z, c);
    let logPx = this.decode(z, c).logProb(y);
    if (!this.preprocessing.empty) logPx = tf.add(logPx, logDetT) as tf.Tensor1D;
    const common = { logPx, logQz, logPz, z, mean: q.mean, posterior: q, noFlows: this.flows.length === 0 };
    if (this.closedFormKl) {
      const { total, perDim } = q.klToStandardNormal();
      return { ...common, kl: total, klPerDim: perDim };
    }
    return { ...common, kl: tf.sub(logQz, logPz) as tf.Tensor1D };
  }

  /**
   * K importance log-weights per example, w_k = log p(x, z_k) - log q(z_k|x) with z_k ~ q(z|x),
   * as [B, K]; the encoder runs once per example. log-mean-exp over K is the IWAE bound
   * (Burda et al. 2016), the mean the K-sample ELBO estimate.
   */
  logWeights(x: tf.Tensor2D, k: number, rng: Random): tf.Tensor2D {
    return this.logWeightsGivenFeatures(x, this.posteriorFeatures(x), k, rng);
  }

  /**
   * The same log-weights with the posterior (head and conditional flows) driven by features h
   * given instead of the encoder's: a posterior of the model's family fitted to x by optimising
   * h (the inference-gap split) is scored through here.
   */
  logWeightsGivenFeatures(x: tf.Tensor2D, h: tf.Tensor2D, k: number, rng: Random): tf.Tensor2D {
    const B = x.shape[0];
    const { y, logDet: logDetT, c } = this.split(x);
    const { z, logQz } = this.sampleGivenFeatures(h, rng, k);
    const yk = k === 1 ? y : repeatRows(y, k);
    const ck = c && k > 1 ? repeatRows(c, k) : c;
    const lw = tf.reshape(tf.sub(tf.add(this.priorLogProb(z, ck), this.decode(z, ck).logProb(yk)), logQz), [B, k]) as tf.Tensor2D;
    return this.preprocessing.empty ? lw : (tf.add(lw, tf.expandDims(logDetT, 1)) as tf.Tensor2D);
  }

  /**
   * The K log-weights split by where gradients go ({@link ImportanceParts}): `generative` with z
   * and log q constant; `path` with the whole model held constant and log q(z|x) evaluated at z
   * through the flows' inverses; `inference` with the decoder and prior held constant.
   */
  importanceParts(x: tf.Tensor2D, k: number, rng: Random, want: { path?: boolean; inference?: boolean }, training = false): ImportanceParts {
    const B = x.shape[0];
    const { y, logDet: logDetT, c } = this.split(x);
    const features = this.features(y, c, training);
    const { z, logQz } = this.sampleGivenFeatures(features, rng, k);
    const yk = k === 1 ? y : repeatRows(y, k);
    const ck = c && k > 1 ? repeatRows(c, k) : c;
    const joint = (zz: tf.Tensor2D) => tf.add(this.priorLogProb(zz, ck), this.decode(zz, ck).logProb(yk)) as tf.Tensor1D;
    const asWeights = (lw: tf.Tensor) => {
      const r = tf.reshape(lw, [B, k]) as tf.Tensor2D;
      return this.preprocessing.empty ? r : (tf.add(r, tf.expandDims(logDetT, 1)) as tf.Tensor2D);
    };
    const parts: ImportanceParts = { generative: asWeights(tf.sub(joint(stopGradient(z)), stopGradient(logQz))) };
    if (want.path) parts.path = asWeights(this.frozen(() => tf.sub(joint(z), this.posteriorLogProbAt(z, stopGradient(repeatRows(features, k))))));
    if (want.inference)
      parts.inference = asWeights(
        tf.sub(
          frozenModules([this.decoder, this.prior], () => joint(z)),
          logQz,
        ),
      );
    return parts;
  }

  /**
   * log q(z_K|x) at a given z_K: z_0 = f_1^-1(...f_K^-1(z_K)), log q(z_0|h) + sum_k log|det J_{f_k^-1}|.
   * Needs every posterior flow to be invertible.
   */
  posteriorLogProbAt(zK: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor1D {
    let z = zK;
    let logDet: tf.Tensor1D | null = null;
    for (const f of [...this.flows].reverse()) {
      const r = f.inverseAndLogDet(z, f.conditional ? h : undefined);
      z = r.z;
      logDet = logDet ? (tf.add(logDet, r.logDet) as tf.Tensor1D) : r.logDet;
    }
    const base = this.posterior.distribution(h).logProb(z);
    return logDet ? (tf.add(base, logDet) as tf.Tensor1D) : base;
  }

  /** Refuses objectives that evaluate q at its samples when a posterior flow has no inverse. */
  objectiveProblem(objective: Objective): string | null {
    const stuck = objective.needsPosteriorDensity ? this.flows.find((f) => !f.invertible) : undefined;
    return stuck
      ? `the ${objective.id} objective evaluates q(z|x) at its samples with the inference parameters held constant, which needs the posterior flows' inverses; flow "${stuck.id}" has none (use "estimator": "reparameterised" or "piwae")`
      : null;
  }

  /** log p(x|z) in data space, log p(y|z) + log|det dT/dx| (annealed in by AIS and BDMC). */
  logLikelihoodGivenZ(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
    const { y, logDet, c } = this.split(x);
    const lp = this.decode(z, c).logProb(y);
    return this.preprocessing.empty ? lp : (tf.add(lp, logDet) as tf.Tensor1D);
  }

  /** log p(z) or log p(z|c) at one z per row of x (for a conditional model, c is the row's condition). */
  priorLogProbAt(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
    return this.priorLogProb(z, this.conditionOf(x));
  }

  /** One z ~ p(z), or p(z|c) with the row's condition, per row of x. */
  samplePriorAt(x: tf.Tensor2D, rng: Random): tf.Tensor2D {
    const c = this.conditionOf(x);
    return c ? this.prior.sample(x.shape[0], rng, c) : this.prior.sample(x.shape[0], rng);
  }

  /** The condition columns of rows [x, c] (null for an unconditional model), without preprocessing x. */
  private conditionOf(rows: tf.Tensor2D): tf.Tensor2D | null {
    const C = this.conditionDim;
    return C ? (tf.slice(rows, [0, rows.shape[1] - C], [-1, C]) as tf.Tensor2D) : null;
  }

  /**
   * x ~ p(x|z), or p(x|z, c) given the condition rows, observation noise included, in data space
   * (data simulated from the model; the data columns only).
   */
  sampleGivenZ(z: tf.Tensor2D, rng: Random, condition?: tf.Tensor2D): tf.Tensor2D {
    return this.preprocessing.inverse(this.decode(z, this.conditionFor(z.shape[0], condition)).sample(rng));
  }

  /** E[y|z] for z ~ p(z) (or p(z|c)), mapped back to data space. */
  generate(n: number, rng: Random, condition?: tf.Tensor2D): tf.Tensor2D {
    const c = this.conditionFor(n, condition);
    return this.decodeMean(c ? this.prior.sample(n, rng, c) : this.prior.sample(n, rng), c ?? undefined);
  }

  /** E[y|z] (or E[y|z, c]) mapped back to data space. */
  decodeMean(z: tf.Tensor2D, condition?: tf.Tensor2D): tf.Tensor2D {
    return this.preprocessing.inverse(this.decode(z, this.conditionFor(z.shape[0], condition)).mean());
  }

  /** E[y|z, c] for z ~ q(z|x, c), mapped back to data space (data columns only). */
  reconstruct(x: tf.Tensor2D, rng: Random): tf.Tensor2D {
    return this.preprocessing.inverse(this.reconstructionLikelihood(x, rng).mean());
  }

  posteriorFeatures(x: tf.Tensor2D): tf.Tensor2D {
    const { y, c } = this.split(x);
    return this.features(y, c, false);
  }

  encodeMean(x: tf.Tensor2D): tf.Tensor2D {
    return this.posterior.distribution(this.posteriorFeatures(x)).mean;
  }

  /** p(y|z) at z ~ q(z|x), with y the preprocessed data (the data itself without preprocessing). */
  reconstructionLikelihood(x: tf.Tensor2D, rng: Random): Likelihood {
    const { y, c } = this.split(x);
    return this.decode(this.sampleGivenFeatures(this.features(y, c, false), rng).z, c);
  }
}
