import { AffineBijection, CouplingFlow, Dense, Module, alternatingMask, fusedMLP, leakyRelu, type Random, tf } from '@vaeflow/core';

/** Linear(L, H) - LeakyReLU - Linear(H, H) - LeakyReLU - Linear(H, L) [- Tanh], the dpVAE coupling nets (LeakyReLU slope 0.01, PyTorch's default, as the authors use it). */
export class CouplingNet extends Module {
  readonly l1: Dense;
  readonly l2: Dense;
  readonly l3: Dense;
  constructor(
    rng: Random,
    dim: number,
    hidden: number,
    readonly bounded: boolean,
  ) {
    super();
    this.l1 = this.addChild('l1', new Dense(rng, dim, hidden, 'linear'));
    this.l2 = this.addChild('l2', new Dense(rng, hidden, hidden, 'linear'));
    this.l3 = this.addChild('l3', new Dense(rng, hidden, dim, 'linear'));
  }
  /** One fused kernel (and one for the gradient) where the backend has it, else layer by layer. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const fused = fusedMLP(x, [this.l1, this.l2, this.l3], { hidden: 'leakyrelu', output: this.bounded ? 'tanh' : 'linear', alpha: 0.01 });
    if (fused) return fused;
    const leaky = (t: tf.Tensor2D) => leakyRelu(t, 0.01);
    const y = this.l3.apply(leaky(this.l2.apply(leaky(this.l1.apply(x)))));
    return this.bounded ? (tf.tanh(y) as tf.Tensor2D) : y;
  }
}

/**
 * One affine coupling block (Dinh et al. 2017, arXiv 1605.08803) with a fixed binary mask b, core's
 * coupling shell with the affine bijection and the dpVAE conditioner (separate s and t nets):
 *   y = b ⊙ z + (1 - b) ⊙ (z ⊙ exp(s(b ⊙ z)) + t(b ⊙ z)),  log|det| = sum (1 - b) ⊙ s(b ⊙ z),
 *   z = b ⊙ y + (1 - b) ⊙ (y - t(b ⊙ y)) ⊙ exp(-s(b ⊙ y)).
 * s is tanh-bounded, as in the dpVAE code.
 */
export class AffineCoupling extends CouplingFlow {
  readonly id = 'affine-coupling';
  readonly s: CouplingNet;
  readonly t: CouplingNet;
  constructor(dim: number, rng: Random, hidden: number, parity: number) {
    super(dim, new AffineBijection('affine'), alternatingMask(dim, parity));
    this.s = this.addChild('s', new CouplingNet(rng, dim, hidden, true));
    this.t = this.addChild('t', new CouplingNet(rng, dim, hidden, false));
  }
  protected condition(kept: tf.Tensor2D): tf.Tensor3D[] {
    const [B, D] = kept.shape;
    return [tf.reshape(this.t.apply(kept), [B, D, 1]) as tf.Tensor3D, tf.reshape(this.s.apply(kept), [B, D, 1]) as tf.Tensor3D];
  }
}
