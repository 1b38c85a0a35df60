import * as tf from '@tensorflow/tfjs-core';
import { BaseFlow } from '../flow.js';
import { MLP, type Activation } from '../nn/layers.js';
import type { Random } from '../random.js';
import type { ElementwiseBijection } from './elementwise.js';

/** The alternating binary mask of coupling layer `parity`: 1 where a coordinate is kept (passed through). */
export function alternatingMask(dim: number, parity: number): number[] {
  const m = Array.from({ length: dim }, (_, i) => ((i + parity) % 2 === 0 ? 1 : 0));
  if (dim === 1) m[0] = parity % 2 === 0 ? 0 : 1; // a 1-D layer alternates between transforming and the identity
  return m;
}

/**
 * The coupling shell (Dinh et al. 2017, arXiv 1605.08803) with a fixed binary mask b and any
 * elementwise bijection f whose parameters a conditioner computes from the kept coordinates:
 *   y = b ⊙ z + (1 - b) ⊙ f(z; theta(b ⊙ z, h)),  log|det| = sum_i (1 - b_i) log|f'(z_i)|,
 *   z = b ⊙ y + (1 - b) ⊙ f^-1(y; theta(b ⊙ y, h)).
 * Subclasses give the conditioner ({@link MLPCoupling} is the usual one).
 */
export abstract class CouplingFlow extends BaseFlow {
  override readonly invertible = true;
  private readonly mask: tf.Tensor2D;
  private readonly inv: tf.Tensor2D;
  constructor(
    dim: number,
    readonly bijection: ElementwiseBijection,
    mask: readonly number[],
    contextDim = 0,
  ) {
    super(dim, contextDim > 0, contextDim);
    if (mask.length !== dim) throw new Error(`a coupling mask needs ${dim} entries, got ${mask.length}`);
    this.mask = tf.tensor2d([...mask], [1, dim]);
    this.inv = tf.sub(1, this.mask) as tf.Tensor2D;
  }

  /** theta for every dimension (one [B, D, size] tensor per group) from the kept coordinates b ⊙ z and the context. */
  protected abstract condition(kept: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor3D[];

  protected forward(z: tf.Tensor2D, h?: tf.Tensor2D) {
    const kept = tf.mul(z, this.mask) as tf.Tensor2D;
    const theta = this.condition(kept, h);
    const fused = this.bijection.coupled?.(z, theta, this.mask, false);
    if (fused) return fused;
    const { y, logAbsDet } = this.bijection.forward(z, theta);
    return { z: tf.add(kept, tf.mul(this.inv, y)) as tf.Tensor2D, logDet: tf.sum(tf.mul(logAbsDet, this.inv), 1) as tf.Tensor1D };
  }
  protected override inverse(y: tf.Tensor2D, h?: tf.Tensor2D) {
    const kept = tf.mul(y, this.mask) as tf.Tensor2D;
    const theta = this.condition(kept, h);
    const fused = this.bijection.coupled?.(y, theta, this.mask, true);
    if (fused) return fused;
    const { x, logAbsDet } = this.bijection.inverse(y, theta);
    return { z: tf.add(kept, tf.mul(this.inv, x)) as tf.Tensor2D, logDet: tf.sum(tf.mul(logAbsDet, this.inv), 1) as tf.Tensor1D };
  }
  override dispose(): void {
    this.mask.dispose();
    this.inv.dispose();
    super.dispose();
  }
}

export interface MLPCouplingOptions {
  /** hidden layer widths of the conditioner */
  hidden: number[];
  activation?: Activation;
  /** width of the context h concatenated to the kept coordinates (0: unconditional) */
  contextDim?: number;
  /** the layer's id (default `coupling-<bijection id>`) */
  id?: string;
}

/**
 * A coupling layer whose conditioner is an MLP on [b ⊙ z, h] with one output per dimension and
 * parameter; its last layer starts at zero weights and the groups' biases, so the layer starts at
 * the bijection those biases give (the identity for the spline and the affine form).
 */
export class MLPCoupling extends CouplingFlow {
  readonly id: string;
  readonly net: MLP;
  private readonly width: number;
  constructor(dim: number, rng: Random, bijection: ElementwiseBijection, mask: readonly number[], o: MLPCouplingOptions) {
    super(dim, bijection, mask, o.contextDim ?? 0);
    this.id = o.id ?? `coupling-${bijection.id}`;
    this.width = bijection.groups.reduce((s, g) => s + g.size, 0);
    this.net = this.addChild('net', new MLP(rng, [dim + (o.contextDim ?? 0), ...o.hidden, dim * this.width], o.activation ?? 'relu'));
    const last = this.net.layers[this.net.layers.length - 1];
    last.kernel.assign(tf.zerosLike(last.kernel));
    // Output column i * width + offset(g) + p is dimension i's p-th number of group g.
    const bias = new Float32Array(dim * this.width);
    for (let i = 0; i < dim; i++) {
      let offset = 0;
      for (const g of bijection.groups) {
        for (let p = 0; p < g.size; p++) bias[i * this.width + offset + p] = g.bias ?? 0;
        offset += g.size;
      }
    }
    last.bias.assign(tf.tensor1d(bias));
  }
  protected condition(kept: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor3D[] {
    const input = context ? (tf.concat([kept, context], 1) as tf.Tensor2D) : kept;
    const out = tf.reshape(this.net.apply(input), [kept.shape[0], this.dim, this.width]) as tf.Tensor3D;
    return tf.split(
      out,
      this.bijection.groups.map((g) => g.size),
      2,
    ) as tf.Tensor3D[];
  }
}
