import { Conv2D, type Random, tf } from '@vaeflow/core';
import { ImageStep } from './image-step.js';

/**
 * Affine coupling with a convolutional conditioner (Dinh et al. 2017; Glow, Kingma & Dhariwal 2018,
 * section 3.3): the channels split into halves (x_a, x_b) (swapped on odd `parity`);
 * (t, raw) = NN(x_a), s = sigmoid(raw + 2); y_a = x_a, y_b = (x_b + t) * s;
 * log|det| = sum over pixels and channels of log s. NN is conv 3x3 - ReLU - conv 1x1 - ReLU -
 * conv 3x3, the last one starting at zero (so each coupling starts near the identity, s = sigmoid(2)).
 */
export class ConvAffineCoupling extends ImageStep {
  readonly inConv: Conv2D;
  readonly midConv: Conv2D;
  readonly outConv: Conv2D;
  private readonly kept: number;
  constructor(
    readonly channels: number,
    hidden: number,
    readonly parity: number,
    rng: Random,
    kernelSize = 3,
  ) {
    super();
    if (channels < 2 || channels % 2 !== 0) throw new Error(`an affine coupling splits the channels in halves, so it needs an even number of them, got ${channels}`);
    this.kept = channels / 2;
    const changed = this.kept;
    this.inConv = this.addChild('in', new Conv2D(rng, this.kept, hidden, kernelSize, 1, 'same', 'relu'));
    this.midConv = this.addChild('mid', new Conv2D(rng, hidden, hidden, 1, 1, 'same', 'relu'));
    this.outConv = this.addChild('out', new Conv2D(rng, hidden, 2 * changed, kernelSize, 1, 'same'));
    this.outConv.kernel.assign(tf.zerosLike(this.outConv.kernel));
    this.outConv.bias.assign(tf.zerosLike(this.outConv.bias));
  }

  /** (x_a, x_b): the conditioning half and the transformed half. */
  private split(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    const [first, second] = tf.split(x, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    return this.parity % 2 === 0 ? [first, second] : [second, first];
  }

  private join(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
    return (this.parity % 2 === 0 ? tf.concat([a, b], 3) : tf.concat([b, a], 3)) as tf.Tensor4D;
  }

  private conditioner(a: tf.Tensor4D): { t: tf.Tensor4D; logS: tf.Tensor4D } {
    const out = this.outConv.apply(this.midConv.apply(this.inConv.apply(a)));
    const half = out.shape[3] / 2;
    const [t, raw] = tf.split(out, [half, half], 3) as [tf.Tensor4D, tf.Tensor4D];
    // log sigmoid(v) = -softplus(-v) (tfjs's logSigmoid loses its input before the backward pass)
    return { t, logS: tf.neg(tf.softplus(tf.neg(tf.add(raw, 2)))) as tf.Tensor4D };
  }

  forward(x: tf.Tensor4D) {
    const [a, b] = this.split(x);
    const { t, logS } = this.conditioner(a);
    const yb = tf.mul(tf.add(b, t), tf.exp(logS)) as tf.Tensor4D;
    return { y: this.join(a, yb), logDet: tf.sum(logS, [1, 2, 3]) as tf.Tensor1D };
  }

  inverse(y: tf.Tensor4D) {
    const [a, yb] = this.split(y);
    const { t, logS } = this.conditioner(a);
    const b = tf.sub(tf.mul(yb, tf.exp(tf.neg(logS))), t) as tf.Tensor4D;
    return { x: this.join(a, b), logDet: tf.neg(tf.sum(logS, [1, 2, 3])) as tf.Tensor1D };
  }
}
