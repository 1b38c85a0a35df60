import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { Likelihood, LikelihoodModel } from '../interfaces.js';
import { Module } from '../nn/module.js';
import type { Random } from '../random.js';
import { LOG_2PI } from '../math.js';
import { bernoulliLogProb } from '../backend/fused-kernels.js';

/** p(x|z) = prod_d Bernoulli(x_d; sigmoid(l_d)); log p = sum_d x_d l_d - softplus(l_d). */
export class BernoulliLikelihood extends Module implements LikelihoodModel {
  readonly paramsPerDim = 1;
  distribution(logits: tf.Tensor2D): Likelihood {
    const perDim = (x: tf.Tensor2D) => tf.sub(tf.mul(x, logits), tf.softplus(logits)) as tf.Tensor2D;
    return {
      logProb: (x) => bernoulliLogProb(x, logits),
      logProbPerDim: perDim,
      mean: () => tf.sigmoid(logits) as tf.Tensor2D,
      sample: (rng: Random) => tf.cast(tf.less(rng.uniform(logits.shape), tf.sigmoid(logits)), 'float32') as tf.Tensor2D,
    };
  }
}

/**
 * p(x|z) = N(x; mu(z), diag s^2) with s = softplus(rho) + minScale, a learned scale per data
 * dimension (METHODS.md sec. 1), or a fixed scale.
 */
export class GaussianLikelihood extends Module implements LikelihoodModel {
  readonly paramsPerDim = 1;
  private readonly rho?: tf.Variable;
  private readonly fixed?: number;
  constructor(
    dim: number,
    scale: 'learned' | number,
    readonly minScale: number,
    initScale: number,
  ) {
    super();
    if (scale === 'learned') {
      const x = Math.max(initScale - minScale, 1e-6);
      this.rho = this.addParam('rho', tf.fill([dim], x > 20 ? x : Math.log(Math.expm1(x))));
    } else this.fixed = scale;
  }
  scale(): tf.Tensor {
    return this.rho ? tf.add(tf.softplus(this.rho), this.minScale) : tf.scalar(this.fixed!);
  }
  distribution(mu: tf.Tensor2D): Likelihood {
    const s = this.scale();
    const D = mu.shape[1];
    return {
      logProb: (x) => {
        const logS = tf.log(s);
        const quad = tf.sum(tf.square(tf.div(tf.sub(x, mu), s)), 1);
        const logDet = this.rho ? tf.sum(logS) : tf.mul(logS, D);
        return tf.sub(tf.mul(-0.5, tf.add(quad, D * LOG_2PI)), logDet) as tf.Tensor1D;
      },
      logProbPerDim: (x) => tf.sub(tf.mul(-0.5, tf.add(tf.square(tf.div(tf.sub(x, mu), s)), LOG_2PI)), tf.log(s)) as tf.Tensor2D,
      mean: () => mu,
      sample: (rng: Random) => tf.add(mu, tf.mul(s, rng.normal(mu.shape))) as tf.Tensor2D,
    };
  }
}

export const bernoulliLikelihood = defineComponent<LikelihoodModel, Record<string, never>>({
  kind: 'likelihood',
  type: 'bernoulli',
  description: 'Bernoulli likelihood on logits, for binarised data.',
  schema: { properties: {} },
  create: () => new BernoulliLikelihood(),
});

export const gaussianLikelihood = defineComponent<LikelihoodModel, { scale: 'learned' | number; minScale: number; initScale: number }>({
  kind: 'likelihood',
  type: 'gaussian',
  description: 'Gaussian likelihood with a learned per-dimension scale (softplus) or a fixed one.',
  schema: {
    properties: {
      scale: { anyOf: [{ const: 'learned' }, { type: 'number', exclusiveMinimum: 0 }], default: 'learned' },
      minScale: { type: 'number', minimum: 0, default: 1e-3 },
      initScale: { type: 'number', exclusiveMinimum: 0, default: 1 },
    },
  },
  create: (o, ctx) => new GaussianLikelihood(ctx.inputDim, o.scale, o.minScale, o.initScale),
});
