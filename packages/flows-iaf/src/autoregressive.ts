import { BaseFlow, type Random, tf } from '@vaeflow/core';
import { MADE } from './made.js';

/** How MADE's outputs (m, s) become an elementwise affine map y = a * z + c. */
export type AutoregressiveForm = 'gated' | 'affine';

export interface AutoregressiveOptions {
  hidden: number[];
  contextDim: number;
  form: AutoregressiveForm;
  /** initial bias of s: the gate sigmoid(s) starts near 1 (Kingma et al. 2016 use +1 or +2) */
  gateBias: number;
  /** reverse the variable order (alternate this between stacked steps) */
  reverse: boolean;
}

/**
 * T(z)_i = a_i z_i + c_i with (a_i, c_i) functions of z_<i (and h) through MADE:
 *   gated  (IAF paper, eq. 14): sigma = sigmoid(s), T(z) = sigma z + (1 - sigma) m, log|det| = sum log sigma;
 *   affine (the poster's form): T(z) = m + exp(s) z, log|det| = sum s.
 * T is computed in one MADE pass; T^-1 needs L passes (coordinate i is fixed on pass i).
 */
export class AutoregressiveTransform {
  constructor(readonly made: MADE, readonly form: AutoregressiveForm) {}

  private coefficients(z: tf.Tensor2D, h?: tf.Tensor2D): { a: tf.Tensor2D; c: tf.Tensor2D; logA: tf.Tensor2D } {
    const { shift: m, scale: s } = this.made.apply(z, h);
    if (this.form === 'gated') {
      const sigma = tf.sigmoid(s) as tf.Tensor2D;
      // log sigmoid(s) = -softplus(-s), stable for large |s|
      return { a: sigma, c: tf.mul(tf.sub(1, sigma), m) as tf.Tensor2D, logA: tf.neg(tf.softplus(tf.neg(s))) as tf.Tensor2D };
    }
    return { a: tf.exp(s) as tf.Tensor2D, c: m, logA: s };
  }

  /** y = T(z), log|det dT/dz|. */
  apply(z: tf.Tensor2D, h?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    const { a, c, logA } = this.coefficients(z, h);
    return { z: tf.add(tf.mul(a, z), c) as tf.Tensor2D, logDet: tf.sum(logA, 1) as tf.Tensor1D };
  }

  /** z = T^-1(y), log|det dT^-1/dy|, by L fixed-point passes in autoregressive order. */
  invert(y: tf.Tensor2D, h?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    let z = tf.zerosLike(y) as tf.Tensor2D;
    for (let pass = 0; pass < y.shape[1]; pass++) {
      const k = this.coefficients(z, h);
      z = tf.div(tf.sub(y, k.c), k.a) as tf.Tensor2D;
    }
    // After L passes every coordinate is exact; the log-det is read at the solution itself.
    const final = this.coefficients(z, h);
    return { z, logDet: tf.neg(tf.sum(final.logA, 1)) as tf.Tensor1D };
  }
}

function order(dim: number, reverse: boolean): number[] {
  return Array.from({ length: dim }, (_, i) => (reverse ? dim - i : i + 1));
}

/** What IAF and MAF steps share: one MADE (order reversed on alternate steps) and its transform. */
abstract class AutoregressiveStep extends BaseFlow {
  override readonly invertible = true;
  readonly transform: AutoregressiveTransform;
  constructor(dim: number, rng: Random, o: AutoregressiveOptions) {
    super(dim, o.contextDim > 0, o.contextDim);
    const made = this.addChild('made', new MADE(rng, order(dim, o.reverse), o.hidden, o.contextDim, o.form === 'gated' ? o.gateBias : 0));
    this.transform = new AutoregressiveTransform(made, o.form);
  }
}

/**
 * Inverse autoregressive flow step (Kingma et al. 2016, arXiv 1606.04934): the forward
 * (sampling) direction is T, one MADE pass; the inverse takes L passes.
 *   log q(z_t|x) = log q(z_{t-1}|x) - sum_i log a_i.
 */
export class IAFStep extends AutoregressiveStep {
  readonly id = 'iaf';
  protected forward(z: tf.Tensor2D, h?: tf.Tensor2D) {
    return this.transform.apply(z, h);
  }
  protected override inverse(y: tf.Tensor2D, h?: tf.Tensor2D) {
    return this.transform.invert(y, h);
  }
}

/**
 * Masked autoregressive flow step (Papamakarios et al. 2017, arXiv 1705.07057): the same
 * transform used the other way round. Its inverse (the density direction, data -> noise) is
 * T, one MADE pass; its forward (sampling) direction is T^-1, L passes. As a prior, p(z) is
 * evaluated through the fast inverse.
 */
export class MAFStep extends AutoregressiveStep {
  readonly id = 'maf';
  protected forward(z: tf.Tensor2D, h?: tf.Tensor2D) {
    return this.transform.invert(z, h);
  }
  protected override inverse(y: tf.Tensor2D, h?: tf.Tensor2D) {
    return this.transform.apply(y, h);
  }
}
