import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { Encoder, Posterior, Prior } from '../interfaces.js';
import type { Dataset } from '../data.js';
import { Module } from '../nn/module.js';
import type { Random } from '../random.js';
import { DATASET, ENCODER, POSTERIOR } from '../registry/tokens.js';
import { LOG_2PI, logSumExp } from '../math.js';

/**
 * The VampPrior (Tomczak & Welling 2018, arXiv 1705.07120): the aggregate posterior at K learned
 * pseudo-inputs u_k, p(z) = (1/K) sum_k q0(z | u_k), with q0 the model's own base posterior
 * (encoder and posterior head, shared with inference; posterior flows are not part of it).
 * Pseudo-inputs live where the encoder reads (after preprocessing); for binary data they are
 * sigmoid(r_k), so they stay in [0, 1] as the paper's hard-tanh keeps them. They start at K random
 * training examples (or around 0.5 / 0 when no data is loaded, as `vaeflow validate`).
 */
export class VampPrior extends Module implements Prior {
  readonly raw: tf.Variable;
  constructor(
    readonly dim: number,
    private readonly encoder: Encoder,
    private readonly posterior: Posterior,
    initial: tf.Tensor2D,
    readonly bounded: boolean,
  ) {
    super();
    // encoder and posterior are the model's own modules: referenced, not added as children (their weights are the VAE's).
    this.raw = this.addParam('pseudoInputs', initial);
  }
  get pseudoInputs(): tf.Tensor2D {
    return (this.bounded ? tf.sigmoid(this.raw) : this.raw) as tf.Tensor2D;
  }
  private components() {
    return this.posterior.distribution(this.encoder.encode(this.pseudoInputs, false));
  }
  logProb(z: tf.Tensor2D): tf.Tensor1D {
    const q = this.components();
    if (!q.logScale) throw new Error('the VampPrior needs a diagonal-Gaussian posterior (its components are evaluated at every z)');
    const K = this.raw.shape[0];
    // log q0(z_b | u_k) for every pair, [K, B], by broadcasting z [1, B, L] against the components
    // [K, 1, L]: no K-fold copies of z nor B-fold copies of the components, and exp(-log sigma) on
    // the K components only.
    const e = tf.mul(tf.sub(tf.expandDims(z, 0), tf.expandDims(q.mean, 1)), tf.expandDims(tf.exp(tf.neg(q.logScale)), 1));
    const perPair = tf.sub(tf.mul(-0.5, tf.add(tf.sum(tf.square(e), 2), this.dim * LOG_2PI)), tf.sum(q.logScale, 1, true));
    return tf.sub(logSumExp(perPair, 0), Math.log(K)) as tf.Tensor1D;
  }
  sample(n: number, rng: Random): tf.Tensor2D {
    const K = this.raw.shape[0];
    const pick = new Float32Array(n * K);
    for (let i = 0; i < n; i++) pick[i * K + rng.int(K)] = 1;
    const oneHot = tf.tensor2d(pick, [n, K]);
    const u = tf.matMul(oneHot, this.pseudoInputs) as tf.Tensor2D;
    return this.posterior.distribution(this.encoder.encode(u, false)).sample(rng).z;
  }
}

export const vampPrior = defineComponent<Prior, { pseudoInputs: number; init: 'data' | 'random' }>({
  kind: 'prior',
  type: 'vamp',
  description: 'VampPrior (Tomczak & Welling 2018): the mixture of the base posterior at K learned pseudo-inputs; VAE models only.',
  schema: {
    properties: {
      pseudoInputs: { type: 'integer', minimum: 1, maximum: 5000, default: 500, description: 'K, the number of pseudo-inputs' },
      init: { enum: ['data', 'random'], default: 'data', description: 'start the pseudo-inputs at random training examples, or near the middle of the data range' },
    },
  },
  create: (o, ctx) => {
    if (!ctx.container.isRegistered(ENCODER) || !ctx.container.isRegistered(POSTERIOR))
      throw new Error('the vamp prior reads the model\'s encoder and posterior: use it as the prior of a "vae" model');
    if (ctx.conditionDim) throw new Error('the vamp prior is not conditional: its pseudo-inputs carry no label; use "conditional-gaussian" with a conditioned dataset');
    const encoder = ctx.container.resolve<Encoder>(ENCODER);
    const posterior = ctx.container.resolve<Posterior>(POSTERIOR);
    const dataset = ctx.container.isRegistered(DATASET) ? ctx.container.resolve<Dataset>(DATASET) : null;
    const binary = dataset?.valueKind !== 'continuous';
    const D = ctx.inputDim;
    const init = new Float32Array(o.pseudoInputs * D);
    const train = dataset?.train;
    if (o.init === 'data' && train && train.n > 0) {
      for (let k = 0; k < o.pseudoInputs; k++) {
        const row = ctx.rng.int(train.n);
        for (let d = 0; d < D; d++) {
          const v = train.x[row * D + d];
          init[k * D + d] = binary ? Math.log((0.01 + 0.98 * v) / (1 - (0.01 + 0.98 * v))) : v; // logit of [0.01, 0.99]
        }
      }
    } else {
      const noise = ctx.rng.normalArray(init.length);
      for (let i = 0; i < init.length; i++) init[i] = 0.1 * noise[i];
    }
    return new VampPrior(ctx.latentDim, encoder, posterior, tf.tensor2d(init, [o.pseudoInputs, D]), binary);
  },
});
