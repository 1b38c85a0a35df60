import * as tf from '@tensorflow/tfjs-core';
import { BaseFlow } from '../flow.js';
import { MADE } from '../nn/made.js';
import type { Random } from '../random.js';
import type { ElementwiseBijection } from './elementwise.js';

export interface AutoregressiveFlowOptions {
  /** MADE hidden layer widths */
  hidden: number[];
  /** width of the context h fed to MADE's first layer (0: unconditional) */
  contextDim: number;
  /** reverse the variable order (alternate this between stacked steps) */
  reverse: boolean;
  /**
   * which way is one MADE pass: `iaf` (Kingma et al. 2016) samples in one pass and inverts in L;
   * `maf` (Papamakarios et al. 2017) evaluates densities (the inverse) in one pass and samples in L.
   */
  direction: 'iaf' | 'maf';
  /** the flow's id (default: the direction) */
  id?: string;
}

/**
 * The autoregressive shell: T(z)_i = f(z_i; theta_i), theta_i = MADE(z_<i, h), with f any
 * elementwise bijection; log|det dT/dz| = sum_i log|f'(z_i; theta_i)| (the Jacobian is
 * triangular). T takes one MADE pass; T^-1 takes L passes, coordinate i in the variable order
 * being exact after pass i. IAF runs T forward, MAF backward.
 */
export class AutoregressiveFlow extends BaseFlow {
  override readonly invertible = true;
  readonly id: string;
  readonly made: MADE;
  constructor(
    dim: number,
    rng: Random,
    readonly bijection: ElementwiseBijection,
    readonly options: AutoregressiveFlowOptions,
  ) {
    super(dim, options.contextDim > 0, options.contextDim);
    this.id = options.id ?? options.direction;
    const order = Array.from({ length: dim }, (_, i) => (options.reverse ? dim - i : i + 1));
    this.made = this.addChild('made', new MADE(rng, order, options.hidden, options.contextDim, bijection.groups));
  }

  /** theta for every dimension from z (only z_<i reaches theta_i). */
  private theta(z: tf.Tensor2D, h?: tf.Tensor2D): tf.Tensor3D[] {
    const out = this.made.apply(z, h);
    const [B, L] = z.shape;
    return this.bijection.groups.map((g) => tf.reshape(out[g.name], [B, L, g.size]) as tf.Tensor3D);
  }

  /** y = T(z), log|det dT/dz|: one pass. */
  transform(z: tf.Tensor2D, h?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    const { y, logAbsDet } = this.bijection.forward(z, this.theta(z, h));
    return { z: y, logDet: tf.sum(logAbsDet, 1) as tf.Tensor1D };
  }

  /**
   * z = T^-1(y), log|det dT^-1/dy|: L passes, the log-det read at the solution itself. Each pass
   * frees its intermediates (a tape keeps its own copies of what backpropagation needs), so a
   * 784-dimensional MAF samples in the memory of one pass, not of 784.
   */
  untransform(y: tf.Tensor2D, h?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    let z = tf.zerosLike(y) as tf.Tensor2D;
    for (let pass = 0; pass < y.shape[1]; pass++) {
      const previous = z;
      z = tf.tidy(() => this.bijection.inverse(y, this.theta(previous, h)).x);
      previous.dispose();
    }
    const { logAbsDet } = this.bijection.inverse(y, this.theta(z, h));
    return { z, logDet: tf.sum(logAbsDet, 1) as tf.Tensor1D };
  }

  protected forward(z: tf.Tensor2D, h?: tf.Tensor2D) {
    return this.options.direction === 'iaf' ? this.transform(z, h) : this.untransform(z, h);
  }
  protected override inverse(y: tf.Tensor2D, h?: tf.Tensor2D) {
    return this.options.direction === 'iaf' ? this.untransform(y, h) : this.transform(y, h);
  }
}
