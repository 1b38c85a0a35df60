import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { Prior } from '../interfaces.js';
import { Module } from '../nn/module.js';
import { Random } from '../random.js';
import { standardNormalLogProb } from '../math.js';

/** p(z) = N(0, I). Marked `standardNormal` so closed-form KLs can be used against it. */
export class StandardNormalPrior extends Module implements Prior {
  readonly standardNormal = true;
  constructor(readonly dim: number) {
    super();
  }
  logProb(z: tf.Tensor2D): tf.Tensor1D {
    return standardNormalLogProb(z);
  }
  sample(n: number, rng: Random): tf.Tensor2D {
    return rng.normal([n, this.dim]) as tf.Tensor2D;
  }
}

export const standardNormalPrior = defineComponent<Prior, Record<string, never>>({
  kind: 'prior',
  type: 'standard-normal',
  description: 'p(z) = N(0, I).',
  schema: { properties: {} },
  create: (_o, ctx) => new StandardNormalPrior(ctx.latentDim),
});

/**
 * A learned mixture of K diagonal Gaussians, p(z) = sum_k pi_k N(z; mu_k, diag(sigma_k^2)),
 * pi = softmax(logits). The means start spread as N(0, initSpread^2), the scales at 1, the
 * weights equal. As a VAE prior or a flow model's base.
 */
export class GaussianMixturePrior extends Module implements Prior {
  readonly means: tf.Variable;
  readonly logScales: tf.Variable;
  readonly logits: tf.Variable;
  constructor(
    readonly dim: number,
    readonly components: number,
    rng: Random,
    initSpread = 1,
  ) {
    super();
    if (!Number.isInteger(components) || components < 1) throw new Error(`a Gaussian mixture needs at least one component, got ${components}`);
    this.means = this.addParam('means', tf.mul(rng.normal([components, dim]), initSpread));
    this.logScales = this.addParam('logScales', tf.zeros([components, dim]));
    this.logits = this.addParam('logits', tf.zeros([components]));
  }
  /**
   * A mixture with given parameters (weights summing to 1, K rows of means and of variances),
   * e.g. one fitted by EM to a trained model's codes (the ex-post density of Ghosh et al. 2020).
   */
  static fromMixture(m: { weights: readonly number[]; means: readonly (readonly number[])[]; variances: readonly (readonly number[])[] }): GaussianMixturePrior {
    const prior = new GaussianMixturePrior(m.means[0].length, m.weights.length, new Random('mixture'));
    prior.means.assign(tf.tensor2d(m.means.map((r) => [...r])));
    prior.logScales.assign(tf.tensor2d(m.variances.map((r) => r.map((v) => 0.5 * Math.log(v)))));
    prior.logits.assign(tf.tensor1d(m.weights.map((w) => Math.log(Math.max(w, 1e-30)))));
    return prior;
  }

  logProb(z: tf.Tensor2D): tf.Tensor1D {
    // log N(z; mu_k, sigma_k) for every k: [B, K]
    const diff = tf.div(tf.sub(tf.expandDims(z, 1), this.means), tf.exp(this.logScales)); // [B, K, D]
    const perComponent = tf.sub(tf.mul(-0.5, tf.sum(tf.square(diff), 2)), tf.add(tf.sum(this.logScales, 1), 0.5 * this.dim * Math.log(2 * Math.PI)));
    return tf.logSumExp(tf.add(perComponent, tf.logSoftmax(this.logits)), 1) as tf.Tensor1D;
  }
  sample(n: number, rng: Random): tf.Tensor2D {
    const weights = tf.softmax(this.logits).dataSync();
    const u = rng.uniformArray(n);
    const oneHot = new Float32Array(n * this.components);
    for (let i = 0; i < n; i++) {
      let k = 0;
      for (let acc = weights[0]; acc < u[i] && k < this.components - 1; acc += weights[++k]);
      oneHot[i * this.components + k] = 1;
    }
    const pick = tf.tensor2d(oneHot, [n, this.components]);
    const mean = tf.matMul(pick, this.means as tf.Tensor2D);
    const scale = tf.matMul(pick, tf.exp(this.logScales) as tf.Tensor2D);
    return tf.add(mean, tf.mul(scale, rng.normal([n, this.dim]))) as tf.Tensor2D;
  }
}

export const gaussianMixturePrior = defineComponent<Prior, { components: number; initSpread: number }>({
  kind: 'prior',
  type: 'gaussian-mixture',
  description: 'A learned mixture of K diagonal Gaussians (means, scales and weights trained).',
  schema: {
    properties: {
      components: { type: 'integer', minimum: 1, default: 10, description: 'number of mixture components K' },
      initSpread: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'std of the initial means' },
    },
  },
  create: (o, ctx) => new GaussianMixturePrior(ctx.latentDim, o.components, ctx.rng, o.initSpread),
});
