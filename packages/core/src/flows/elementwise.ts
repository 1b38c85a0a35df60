import * as tf from '@tensorflow/tfjs-core';
import { fusedAffineCoupling } from '../backend/fused-kernels.js';

/** A group of numbers an elementwise bijection reads per dimension, and the bias its conditioner's output starts at. */
export interface ParameterGroup {
  name: string;
  /** numbers per dimension */
  size: number;
  /** initial bias of the conditioner outputs for this group (0 when undefined) */
  bias?: number;
}

/**
 * A bijection applied to each coordinate x_i with its own parameters theta_i, which a coupling
 * or autoregressive shell computes from other coordinates (and a context). Writing one gives
 * both a coupling flow ({@link CouplingFlow}) and an autoregressive flow ({@link AutoregressiveFlow}).
 * `theta` holds one [B, D, size] tensor per group, in the order of `groups`.
 */
export interface ElementwiseBijection {
  readonly id: string;
  readonly groups: readonly ParameterGroup[];
  /** y_i = f(x_i; theta_i) and log|f'(x_i; theta_i)|, both [B, D]. */
  forward(x: tf.Tensor2D, theta: readonly tf.Tensor3D[]): { y: tf.Tensor2D; logAbsDet: tf.Tensor2D };
  /** x_i = f^-1(y_i; theta_i) and log|(f^-1)'(y_i)|, both [B, D]. */
  inverse(y: tf.Tensor2D, theta: readonly tf.Tensor3D[]): { x: tf.Tensor2D; logAbsDet: tf.Tensor2D };
  /**
   * Optional: the whole coupling step, z = b ⊙ x + (1 - b) ⊙ f(x) (f^-1 when `inverse`) with
   * log|det| summed over the transformed coordinates, in fewer kernels than the shell's composition,
   * or null where it cannot (the shell then composes forward/inverse with the mask).
   */
  coupled?(x: tf.Tensor2D, theta: readonly tf.Tensor3D[], mask: tf.Tensor2D, inverse: boolean): { z: tf.Tensor2D; logDet: tf.Tensor1D } | null;
}

/** How an affine bijection's two numbers (shift m, scale s) become y = a x + c. */
export type AffineForm = 'gated' | 'affine';

/**
 * y = a x + c from a shift m and an unconstrained scale s (groups `shift`, `scale`, one number each):
 *   affine: a = exp(s), c = m, log|a| = s  (RealNVP, Dinh et al. 2017; MAF; the poster's IAF form);
 *   gated:  a = sigmoid(s), c = (1 - a) m, log|a| = log sigmoid(s)  (IAF, Kingma et al. 2016, eq. 14).
 * `scaleBias` starts s there: the gated IAF starts with a = sigmoid(2), near the identity.
 */
export class AffineBijection implements ElementwiseBijection {
  readonly id: string;
  readonly groups: readonly ParameterGroup[];
  constructor(
    readonly form: AffineForm,
    scaleBias = 0,
  ) {
    this.id = `affine-${form}`;
    this.groups = [
      { name: 'shift', size: 1, bias: 0 },
      { name: 'scale', size: 1, bias: scaleBias },
    ];
  }

  private coefficients(theta: readonly tf.Tensor3D[]): { a: tf.Tensor2D; c: tf.Tensor2D; logA: tf.Tensor2D; s: tf.Tensor2D } {
    const [B, D] = theta[0].shape;
    const m = tf.reshape(theta[0], [B, D]) as tf.Tensor2D;
    const s = tf.reshape(theta[1], [B, D]) as tf.Tensor2D;
    if (this.form === 'gated') {
      const sigma = tf.sigmoid(s) as tf.Tensor2D;
      // log sigmoid(s) = -softplus(-s), stable for large |s|
      return { a: sigma, c: tf.mul(tf.sub(1, sigma), m) as tf.Tensor2D, logA: tf.neg(tf.softplus(tf.neg(s))) as tf.Tensor2D, s };
    }
    return { a: tf.exp(s) as tf.Tensor2D, c: m, logA: s, s };
  }

  forward(x: tf.Tensor2D, theta: readonly tf.Tensor3D[]) {
    const { a, c, logA } = this.coefficients(theta);
    return { y: tf.add(tf.mul(a, x), c) as tf.Tensor2D, logAbsDet: logA };
  }

  inverse(y: tf.Tensor2D, theta: readonly tf.Tensor3D[]) {
    const { a, c, logA, s } = this.coefficients(theta);
    // exp(-s) rather than 1 / exp(s) for the affine form: finite wherever exp(s) underflows.
    const x = this.form === 'affine' ? tf.mul(tf.sub(y, c), tf.exp(tf.neg(s))) : tf.div(tf.sub(y, c), a);
    return { x: x as tf.Tensor2D, logAbsDet: tf.neg(logA) as tf.Tensor2D };
  }

  /** The affine form's coupling step as one fused kernel where the backend has it ({@link fusedAffineCoupling}). */
  coupled(x: tf.Tensor2D, theta: readonly tf.Tensor3D[], mask: tf.Tensor2D, inverse: boolean): { z: tf.Tensor2D; logDet: tf.Tensor1D } | null {
    if (this.form !== 'affine') return null;
    const [B, D] = x.shape;
    const fused = fusedAffineCoupling(x, tf.reshape(theta[0], [B, D]) as tf.Tensor2D, tf.reshape(theta[1], [B, D]) as tf.Tensor2D, mask, inverse);
    return fused && { z: fused.y, logDet: fused.logDet };
  }
}
