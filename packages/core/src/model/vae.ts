import * as tf from '@tensorflow/tfjs-core';
import type { Decoder, Encoder, Flow, ImportanceParts, LatentModel, LatentTerms, Likelihood, Objective, Posterior, Prior } from '../interfaces.js';
import { Module, ModuleList, frozenModules, stopGradient } from '../nn/module.js';
import type { Random } from '../random.js';
import { Preprocessing } from './preprocessing.js';
import { repeatRows } from '../math.js';
import { flowHealth, type FlowLayerHealth } from './flow-health.js';

/**
 * A VAE with an optional chain of posterior flows:
 *   h = enc(y); z0 ~ q(z0|x); z_k = f_k(z_{k-1}; h); log q(z_K|x) = log q(z0|x) - sum_k log|det J_k|;
 *   p(x, z_K) = p(z_K) p(y|z_K) |det dT/dx|,
 * where y = T(x) is the optional data preprocessing (identity by default).
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
    return new VAE(this.latentDim, this.encoder, this.posterior, this.flows, prior, this.decoder, this.preprocessing.flows);
  }

  /** Whether KL(q || p) has a closed form here: no flows and a standard-normal prior. */
  get closedFormKl(): boolean {
    return this.flows.length === 0 && (this.prior as { standardNormal?: boolean }).standardNormal === true;
  }

  /** Draws z_K ~ q(z|x) through the flows, returning log q(z_K|x) and the base posterior (x in data space). */
  posteriorSample(x: tf.Tensor2D, rng: Random, training = false) {
    const h = this.encoder.encode(this.preprocessing.forward(x).y, training);
    return { ...this.sampleGivenFeatures(h, rng), h };
  }

  /** z_K ~ q(z|x) for encoder features h already computed. */
  sampleGivenFeatures(h: tf.Tensor2D, rng: Random) {
    const q = this.posterior.distribution(h);
    let { z, logProb: logQz } = q.sample(rng);
    for (const f of this.flows) {
      const r = f.forwardAndLogDet(z, f.conditional ? h : undefined);
      z = r.z;
      logQz = tf.sub(logQz, r.logDet) as tf.Tensor1D;
    }
    return { z, logQz, q };
  }

  /** Each posterior flow layer's log-det statistics, finiteness and round-trip error on a batch (x in data space). */
  flowHealth(x: tf.Tensor2D, rng: Random): FlowLayerHealth[] {
    let layers: FlowLayerHealth[] = [];
    tf.tidy(() => {
      const h = this.encoder.encode(this.preprocessing.forward(x).y, false);
      layers = flowHealth(this.flows, this.posterior.distribution(h).sample(rng).z, h);
    });
    return layers;
  }

  /** Everything an objective needs from one pass over a batch. */
  terms(x: tf.Tensor2D, rng: Random, training: boolean): LatentTerms {
    const { y, logDet: logDetT } = this.preprocessing.forward(x);
    const h = this.encoder.encode(y, training);
    const { z, logQz, q } = this.sampleGivenFeatures(h, rng);
    const logPz = this.prior.logProb(z);
    let logPx = this.decoder.decode(z).logProb(y);
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
    return this.logWeightsGivenFeatures(x, this.encoder.encode(this.preprocessing.forward(x).y, false), k, rng);
  }

  /**
   * The same log-weights with the posterior (head and conditional flows) driven by features h
   * given instead of the encoder's: a posterior of the model's family fitted to x by optimising
   * h (the inference-gap split) is scored through here.
   */
  logWeightsGivenFeatures(x: tf.Tensor2D, h: tf.Tensor2D, k: number, rng: Random): tf.Tensor2D {
    const B = x.shape[0];
    const { y, logDet: logDetT } = this.preprocessing.forward(x);
    const { z, logQz } = this.sampleGivenFeatures(repeatRows(h, k), rng);
    const yk = k === 1 ? y : repeatRows(y, k);
    const lw = tf.reshape(tf.sub(tf.add(this.prior.logProb(z), this.decoder.decode(z).logProb(yk)), logQz), [B, k]) as tf.Tensor2D;
    return this.preprocessing.empty ? lw : (tf.add(lw, tf.expandDims(logDetT, 1)) as tf.Tensor2D);
  }

  /**
   * The K log-weights split by where gradients go ({@link ImportanceParts}): `generative` with z
   * and log q constant; `path` with the whole model held constant and log q(z|x) evaluated at z
   * through the flows' inverses; `inference` with the decoder and prior held constant.
   */
  importanceParts(x: tf.Tensor2D, k: number, rng: Random, want: { path?: boolean; inference?: boolean }, training = false): ImportanceParts {
    const B = x.shape[0];
    const { y, logDet: logDetT } = this.preprocessing.forward(x);
    const h = repeatRows(this.encoder.encode(y, training), k);
    const { z, logQz } = this.sampleGivenFeatures(h, rng);
    const yk = k === 1 ? y : repeatRows(y, k);
    const joint = (zz: tf.Tensor2D) => tf.add(this.prior.logProb(zz), this.decoder.decode(zz).logProb(yk)) as tf.Tensor1D;
    const asWeights = (lw: tf.Tensor) => {
      const r = tf.reshape(lw, [B, k]) as tf.Tensor2D;
      return this.preprocessing.empty ? r : (tf.add(r, tf.expandDims(logDetT, 1)) as tf.Tensor2D);
    };
    const parts: ImportanceParts = { generative: asWeights(tf.sub(joint(stopGradient(z)), stopGradient(logQz))) };
    if (want.path) parts.path = asWeights(this.frozen(() => tf.sub(joint(z), this.posteriorLogProbAt(z, stopGradient(h)))));
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
    const { y, logDet } = this.preprocessing.forward(x);
    const lp = this.decoder.decode(z).logProb(y);
    return this.preprocessing.empty ? lp : (tf.add(lp, logDet) as tf.Tensor1D);
  }

  /** x ~ p(x|z), observation noise included, in data space (data simulated from the model). */
  sampleGivenZ(z: tf.Tensor2D, rng: Random): tf.Tensor2D {
    return this.preprocessing.inverse(this.decoder.decode(z).sample(rng));
  }

  /** E[y|z] for z ~ p(z), mapped back to data space. */
  generate(n: number, rng: Random): tf.Tensor2D {
    return this.decodeMean(this.prior.sample(n, rng));
  }

  /** E[y|z] mapped back to data space. */
  decodeMean(z: tf.Tensor2D): tf.Tensor2D {
    return this.preprocessing.inverse(this.decoder.decode(z).mean());
  }

  /** E[y|z] for z ~ q(z|x), mapped back to data space. */
  reconstruct(x: tf.Tensor2D, rng: Random): tf.Tensor2D {
    return this.preprocessing.inverse(this.decoder.decode(this.posteriorSample(x, rng).z).mean());
  }

  posteriorFeatures(x: tf.Tensor2D): tf.Tensor2D {
    return this.encoder.encode(this.preprocessing.forward(x).y, false);
  }

  encodeMean(x: tf.Tensor2D): tf.Tensor2D {
    return this.posterior.distribution(this.encoder.encode(this.preprocessing.forward(x).y, false)).mean;
  }

  /** p(y|z) at z ~ q(z|x), with y the preprocessed data (the data itself without preprocessing). */
  reconstructionLikelihood(x: tf.Tensor2D, rng: Random): Likelihood {
    return this.decoder.decode(this.posteriorSample(x, rng).z);
  }
}
