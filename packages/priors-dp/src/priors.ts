import { type BaseFlow, Module, SequentialFlow, standardNormalLogProb, tf, type Flow, type Prior, type Random } from '@vaeflow/core';
import { AffineCoupling } from './realnvp.js';

/**
 * A prior defined by a bijection g: z -> z0 onto a standard normal (seed 004, sec. 3):
 *   log p(z) = log N(g(z); 0, I) + log|det dg/dz|,   z = g^-1(z0), z0 ~ N(0, I).
 * `bijection` runs in the density direction (forward = g).
 */
export class BijectionPrior extends Module implements Prior {
  constructor(readonly bijection: Flow) {
    super();
    if (!bijection.invertible) throw new Error(`a prior needs an invertible flow to sample; "${bijection.id}" is not`);
    this.addChild('bijection', bijection);
  }
  get dim(): number {
    return this.bijection.dim;
  }
  /** z0 = g(z): the latent mapped to the standard-normal space (sKL is measured there). */
  toBase(z: tf.Tensor2D): tf.Tensor2D {
    return this.bijection.forwardAndLogDet(z).z;
  }
  /** z = g^-1(z0). */
  fromBase(z0: tf.Tensor2D): tf.Tensor2D {
    return this.bijection.inverseAndLogDet(z0).z;
  }
  logProb(z: tf.Tensor2D): tf.Tensor1D {
    const { z: z0, logDet } = this.bijection.forwardAndLogDet(z);
    return tf.add(standardNormalLogProb(z0), logDet) as tf.Tensor1D;
  }
  sample(n: number, rng: Random): tf.Tensor2D {
    return this.fromBase(rng.normal([n, this.dim]) as tf.Tensor2D);
  }
}

/** The dpVAE decoupled prior: g = RealNVP of `blocks` affine couplings with alternating masks. */
export function realNvp(dim: number, rng: Random, blocks: number, hidden: number): BaseFlow {
  const flows = Array.from({ length: blocks }, (_, k) => new AffineCoupling(dim, rng, hidden, k));
  return new SequentialFlow(flows, 'realnvp');
}
