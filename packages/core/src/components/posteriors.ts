import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { Posterior, PosteriorDistribution } from '../interfaces.js';
import { Dense } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import type { Random } from '../random.js';
import { diagonalNormalLogProb, LOG_2PI } from '../math.js';

/**
 * q(z0|x) = N(mu, diag sigma^2), with [mu, log sigma^2] = Linear(h).
 * Sampling: z0 = mu + sigma * eps. KL to N(0, I) per dimension: 0.5 (mu^2 + sigma^2 - 1) - log sigma.
 */
export class DiagonalGaussianPosterior extends Module implements Posterior {
  readonly head: Dense;
  constructor(
    rng: Random,
    featureDim: number,
    readonly latentDim: number,
  ) {
    super();
    this.head = this.addChild('head', new Dense(rng, featureDim, 2 * latentDim));
  }
  distribution(h: tf.Tensor2D): PosteriorDistribution {
    const L = this.latentDim;
    const out = this.head.apply(h);
    const mean = tf.slice(out, [0, 0], [-1, L]) as tf.Tensor2D;
    const logScale = tf.mul(0.5, tf.slice(out, [0, L], [-1, L])) as tf.Tensor2D;
    return {
      mean,
      logScale,
      sample(rng: Random) {
        const eps = rng.normal(mean.shape) as tf.Tensor2D;
        const z = tf.add(mean, tf.mul(tf.exp(logScale), eps)) as tf.Tensor2D;
        const logProb = tf.sub(tf.mul(-0.5, tf.add(tf.sum(tf.square(eps), 1), L * LOG_2PI)), tf.sum(logScale, 1)) as tf.Tensor1D;
        return { z, logProb };
      },
      logProb: (z) => diagonalNormalLogProb(z, mean, logScale),
      klToStandardNormal() {
        const perDim = tf.sub(tf.mul(0.5, tf.add(tf.square(mean), tf.sub(tf.exp(tf.mul(2, logScale)), 1))), logScale) as tf.Tensor2D;
        return { total: tf.sum(perDim, 1) as tf.Tensor1D, perDim };
      },
    };
  }
}

/** Row-major positions of the strictly lower triangle of an L x L matrix. */
export function strictlyLowerIndices(L: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < L; i++) for (let j = 0; j < i; j++) idx.push(i * L + j);
  return idx;
}

/**
 * Full-covariance Gaussian q(z0|x) = N(mu, L L^T) (seed 002, sec. 4.3): the head emits mu,
 * log sigma and the L(L-1)/2 entries of a strictly lower-triangular L*; L = L* + diag(sigma).
 * z0 = mu + L eps, log q(z0) = -0.5 |eps|^2 - sum log sigma_i - (L/2) log 2 pi, since
 * log|Sigma| = 2 sum log sigma_i. KL to N(0, I) = 0.5 (tr(Sigma) + |mu|^2 - L - log|Sigma|).
 */
export class FullCovarianceGaussianPosterior extends Module implements Posterior {
  readonly head: Dense;
  /**
   * Places the off-diagonal outputs into the L*L row-major matrix: a one-hot [nOff, L*L] matrix, so
   * the placement is a matrix product whose gradient every backend has (a gather's gradient needs
   * UnsortedSegmentSum, which the wasm backend lacks). Null for L = 1.
   */
  private readonly scatter: tf.Tensor2D | null;
  private readonly eye: tf.Tensor2D;
  constructor(
    rng: Random,
    featureDim: number,
    readonly latentDim: number,
  ) {
    super();
    const L = latentDim;
    const nOff = (L * (L - 1)) / 2;
    this.head = this.addChild('head', new Dense(rng, featureDim, 2 * L + nOff));
    const placement = new Float32Array(nOff * L * L);
    strictlyLowerIndices(L).forEach((pos, k) => (placement[k * L * L + pos] = 1));
    this.scatter = nOff ? tf.tensor2d(placement, [nOff, L * L]) : null;
    this.eye = tf.eye(L) as tf.Tensor2D;
  }

  /** mu [B,L], log sigma [B,L], and the lower-triangular factor [B,L,L]. */
  factor(h: tf.Tensor2D): { mean: tf.Tensor2D; logScale: tf.Tensor2D; tril: tf.Tensor3D } {
    const L = this.latentDim;
    const B = h.shape[0];
    const out = this.head.apply(h);
    const mean = tf.slice(out, [0, 0], [-1, L]) as tf.Tensor2D;
    const logScale = tf.slice(out, [0, L], [-1, L]) as tf.Tensor2D;
    const strict = this.scatter ? tf.reshape(tf.matMul(tf.slice(out, [0, 2 * L], [-1, -1]), this.scatter), [B, L, L]) : tf.zeros([B, L, L]);
    const diag = tf.mul(tf.reshape(tf.exp(logScale), [B, 1, L]), this.eye);
    return { mean, logScale, tril: tf.add(strict, diag) as tf.Tensor3D };
  }

  distribution(h: tf.Tensor2D): PosteriorDistribution {
    const L = this.latentDim;
    const { mean, logScale, tril } = this.factor(h);
    const sumLogScale = tf.sum(logScale, 1);
    const logNormalOf = (eps: tf.Tensor2D) => tf.sub(tf.mul(-0.5, tf.add(tf.sum(tf.square(eps), 1), L * LOG_2PI)), sumLogScale) as tf.Tensor1D;
    return {
      mean,
      sample(rng: Random) {
        const eps = rng.normal(mean.shape) as tf.Tensor2D;
        const z = tf.add(mean, tf.squeeze(tf.matMul(tril, tf.expandDims(eps, 2)), [2])) as tf.Tensor2D;
        return { z, logProb: logNormalOf(eps) };
      },
      logProb: (z) => logNormalOf(solveLowerTriangular(tril, tf.sub(z, mean) as tf.Tensor2D)),
      klToStandardNormal() {
        const trace = tf.sum(tf.square(tril), [1, 2]);
        const total = tf.mul(0.5, tf.sub(tf.add(trace, tf.sum(tf.square(mean), 1)), tf.add(L, tf.mul(2, sumLogScale)))) as tf.Tensor1D;
        return { total };
      },
    };
  }

  override dispose(): void {
    this.scatter?.dispose();
    this.eye.dispose();
    super.dispose();
  }
}

/** Solves L y = b for a batch of lower-triangular L [B,n,n] and b [B,n] by forward substitution (differentiable). */
export function solveLowerTriangular(tril: tf.Tensor3D, b: tf.Tensor2D): tf.Tensor2D {
  const n = b.shape[1];
  const ys: tf.Tensor1D[] = [];
  for (let i = 0; i < n; i++) {
    const row = tf.squeeze(tf.slice(tril, [0, i, 0], [-1, 1, -1]), [1]) as tf.Tensor2D; // [B, n]
    let acc = tf.squeeze(tf.slice(b, [0, i], [-1, 1]), [1]) as tf.Tensor1D;
    if (i > 0) {
      const prev = tf.stack(ys, 1) as tf.Tensor2D;
      acc = tf.sub(acc, tf.sum(tf.mul(tf.slice(row, [0, 0], [-1, i]), prev), 1)) as tf.Tensor1D;
    }
    ys.push(tf.div(acc, tf.squeeze(tf.slice(row, [0, i], [-1, 1]), [1])) as tf.Tensor1D);
  }
  return tf.stack(ys, 1) as tf.Tensor2D;
}

export const diagonalGaussianPosterior = defineComponent<Posterior, Record<string, never>>({
  kind: 'posterior',
  type: 'diagonal-gaussian',
  description: 'q(z0|x) = N(mu, diag sigma^2) from a linear head on the encoder features.',
  schema: { properties: {} },
  create: (_o, ctx) => new DiagonalGaussianPosterior(ctx.rng, ctx.contextDim, ctx.latentDim),
});

export const fullCovarianceGaussianPosterior = defineComponent<Posterior, Record<string, never>>({
  kind: 'posterior',
  type: 'full-gaussian',
  description: 'q(z0|x) = N(mu, L L^T) with L = L* + diag(sigma), L* strictly lower triangular (seed 002, sec. 4.3).',
  schema: { properties: {} },
  create: (_o, ctx) => new FullCovarianceGaussianPosterior(ctx.rng, ctx.contextDim, ctx.latentDim),
});
