import * as tf from '@tensorflow/tfjs-core';
import type { Decoder, Encoder, Flow, LatentTerms, Posterior, Prior } from '../interfaces.js';
import { Module, ModuleList } from '../nn/module.js';
import type { Random } from '../random.js';

/**
 * A VAE with an optional chain of posterior flows:
 *   h = enc(x); z0 ~ q(z0|x); z_k = f_k(z_{k-1}; h); log q(z_K|x) = log q(z0|x) - sum_k log|det J_k|;
 *   p(x, z_K) = p(z_K) p(x|z_K).
 */
export class VAE extends Module {
  readonly flowList: ModuleList;
  constructor(readonly latentDim: number, readonly encoder: Encoder, readonly posterior: Posterior, readonly flows: Flow[], readonly prior: Prior, readonly decoder: Decoder) {
    super();
    this.addChild('encoder', encoder);
    this.addChild('posterior', posterior);
    this.flowList = this.addChild('flows', new ModuleList());
    for (const f of flows) this.flowList.push(f);
    this.addChild('prior', prior);
    this.addChild('decoder', decoder);
  }

  /** Whether KL(q || p) has a closed form here: no flows and a standard-normal prior. */
  get closedFormKl(): boolean {
    return this.flows.length === 0 && (this.prior as { standardNormal?: boolean }).standardNormal === true;
  }

  /** Draws z_K ~ q(z|x) through the flows, returning log q(z_K|x) and the base posterior. */
  posteriorSample(x: tf.Tensor2D, rng: Random, training = false) {
    const h = this.encoder.encode(x, training);
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

  /** Everything an objective needs from one pass over a batch. */
  terms(x: tf.Tensor2D, rng: Random, training: boolean): LatentTerms {
    const { z, logQz, q } = this.posteriorSample(x, rng, training);
    const logPz = this.prior.logProb(z);
    const logPx = this.decoder.decode(z).logProb(x);
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
    const B = x.shape[0];
    const h = this.encoder.encode(x, false);
    const tileRows = (t: tf.Tensor2D) => tf.reshape(tf.tile(tf.expandDims(t, 1), [1, k, 1]), [B * k, t.shape[1]]) as tf.Tensor2D;
    const { z, logQz } = this.sampleGivenFeatures(tileRows(h), rng);
    const xk = k === 1 ? x : tileRows(x);
    const lw = tf.sub(tf.add(this.prior.logProb(z), this.decoder.decode(z).logProb(xk)), logQz);
    return tf.reshape(lw, [B, k]) as tf.Tensor2D;
  }

  /** E[x|z] for z ~ p(z). */
  generate(n: number, rng: Random): tf.Tensor2D {
    return this.decoder.decode(this.prior.sample(n, rng)).mean();
  }

  /** E[x|z] for z ~ q(z|x). */
  reconstruct(x: tf.Tensor2D, rng: Random): tf.Tensor2D {
    return this.decoder.decode(this.posteriorSample(x, rng).z).mean();
  }
}
