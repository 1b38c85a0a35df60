import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { Prior } from '../interfaces.js';
import { Module } from '../nn/module.js';
import { Random } from '../random.js';
import { diagonalNormalLogProb, logSumExp, standardNormalLogProb } from '../math.js';

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
    return logSumExp(tf.add(perComponent, tf.logSoftmax(this.logits)), 1) as tf.Tensor1D;
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

/**
 * A label-conditional Gaussian prior, p(z|c) = N(W_mu c, diag exp(2 W_s c)): with a one-hot c,
 * a learned mean and scale per class (the conditional prior of the CVAE, Sohn et al. 2015, with
 * a linear prior network). Both maps start at zero, so training begins from N(0, I).
 */
export class ConditionalGaussianPrior extends Module implements Prior {
  readonly conditional = true;
  readonly meanMap: tf.Variable;
  readonly logScaleMap: tf.Variable;
  constructor(
    readonly dim: number,
    readonly conditionDim: number,
  ) {
    super();
    this.meanMap = this.addParam('meanMap', tf.zeros([conditionDim, dim]));
    this.logScaleMap = this.addParam('logScaleMap', tf.zeros([conditionDim, dim]));
  }
  private moments(condition: tf.Tensor2D | undefined, n: number): { mean: tf.Tensor2D; logScale: tf.Tensor2D } {
    if (!condition) throw new Error('the conditional-gaussian prior needs the condition c of every z (a one-hot label); this caller gave none');
    if (condition.shape[0] !== n || condition.shape[1] !== this.conditionDim)
      throw new Error(`the conditional-gaussian prior expects a condition [${n}, ${this.conditionDim}], got [${condition.shape}]`);
    return { mean: tf.matMul(condition, this.meanMap as tf.Tensor2D), logScale: tf.matMul(condition, this.logScaleMap as tf.Tensor2D) };
  }
  logProb(z: tf.Tensor2D, condition?: tf.Tensor2D): tf.Tensor1D {
    const { mean, logScale } = this.moments(condition, z.shape[0]);
    return diagonalNormalLogProb(z, mean, logScale);
  }
  sample(n: number, rng: Random, condition?: tf.Tensor2D): tf.Tensor2D {
    const { mean, logScale } = this.moments(condition, n);
    return tf.add(mean, tf.mul(tf.exp(logScale), rng.normal([n, this.dim]))) as tf.Tensor2D;
  }
}

export const conditionalGaussianPrior = defineComponent<Prior, Record<string, never>>({
  kind: 'prior',
  type: 'conditional-gaussian',
  description: 'p(z|c) = N(mu(c), diag sigma(c)^2), a learned mean and scale per class: the prior of a conditional VAE (data with "condition": "label").',
  schema: { properties: {} },
  create: (_o, ctx) => {
    if (!ctx.conditionDim) throw new Error('the conditional-gaussian prior needs data whose rows carry a condition: set "condition": "label" on the dataset');
    return new ConditionalGaussianPrior(ctx.latentDim, ctx.conditionDim);
  },
});
