import { BaseFlow, Dense, Module, type Random, tf } from '@vaeflow/core';

/** Linear(L, H) - LeakyReLU - Linear(H, H) - LeakyReLU - Linear(H, L) [- Tanh], the dpVAE coupling nets (LeakyReLU slope 0.01, PyTorch's default, as the authors use it). */
export class CouplingNet extends Module {
  readonly l1: Dense;
  readonly l2: Dense;
  readonly l3: Dense;
  constructor(rng: Random, dim: number, hidden: number, readonly bounded: boolean) {
    super();
    this.l1 = this.addChild('l1', new Dense(rng, dim, hidden, 'linear'));
    this.l2 = this.addChild('l2', new Dense(rng, hidden, hidden, 'linear'));
    this.l3 = this.addChild('l3', new Dense(rng, hidden, dim, 'linear'));
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const leaky = (t: tf.Tensor2D) => tf.leakyRelu(t, 0.01) as tf.Tensor2D;
    const y = this.l3.apply(leaky(this.l2.apply(leaky(this.l1.apply(x)))));
    return this.bounded ? (tf.tanh(y) as tf.Tensor2D) : y;
  }
}

/**
 * One affine coupling block (Dinh et al. 2017, arXiv 1605.08803) with a fixed binary mask b:
 *   y = b ⊙ z + (1 - b) ⊙ (z ⊙ exp(s(b ⊙ z)) + t(b ⊙ z)),  log|det| = sum (1 - b) ⊙ s(b ⊙ z),
 *   z = b ⊙ y + (1 - b) ⊙ (y - t(b ⊙ y)) ⊙ exp(-s(b ⊙ y)).
 * s is tanh-bounded, as in the dpVAE code.
 */
export class AffineCoupling extends BaseFlow {
  readonly id = 'affine-coupling';
  override readonly invertible = true;
  private readonly mask: tf.Tensor2D;
  private readonly inv: tf.Tensor2D;
  readonly s: CouplingNet;
  readonly t: CouplingNet;
  constructor(dim: number, rng: Random, hidden: number, parity: number) {
    super(dim, false);
    const m = Array.from({ length: dim }, (_, i) => ((i + parity) % 2 === 0 ? 1 : 0));
    if (dim === 1) m[0] = parity % 2 === 0 ? 0 : 1; // a 1-D block alternates between a pure affine map and the identity
    this.mask = tf.tensor2d(m, [1, dim]);
    this.inv = tf.sub(1, this.mask) as tf.Tensor2D;
    this.s = this.addChild('s', new CouplingNet(rng, dim, hidden, true));
    this.t = this.addChild('t', new CouplingNet(rng, dim, hidden, false));
  }
  protected forward(z: tf.Tensor2D) {
    const kept = tf.mul(z, this.mask) as tf.Tensor2D;
    const s = tf.mul(this.s.apply(kept), this.inv);
    const t = tf.mul(this.t.apply(kept), this.inv);
    const y = tf.add(kept, tf.mul(this.inv, tf.add(tf.mul(z, tf.exp(s)), t))) as tf.Tensor2D;
    return { z: y, logDet: tf.sum(s, 1) as tf.Tensor1D };
  }
  protected override inverse(y: tf.Tensor2D) {
    const kept = tf.mul(y, this.mask) as tf.Tensor2D;
    const s = tf.mul(this.s.apply(kept), this.inv);
    const t = tf.mul(this.t.apply(kept), this.inv);
    const z = tf.add(kept, tf.mul(this.inv, tf.mul(tf.sub(y, t), tf.exp(tf.neg(s))))) as tf.Tensor2D;
    return { z, logDet: tf.neg(tf.sum(s, 1)) as tf.Tensor1D };
  }
  override dispose(): void {
    this.mask.dispose();
    this.inv.dispose();
    super.dispose();
  }
}
