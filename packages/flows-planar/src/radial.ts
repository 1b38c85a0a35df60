import { BaseFlow, Dense, type Random, tf } from '@vaeflow/core';

/**
 * The radial map (Rezende & Mohamed 2015, arXiv 1505.05770, sec. 4.1) for per-row parameters:
 *   f(z) = z + beta h(r) (z - z0),  r = |z - z0|,  h(r) = 1 / (alpha + r),
 *   log|det| = (D - 1) log(1 + beta h) + log(1 + beta h + beta h'(r) r),  h' = -1 / (alpha + r)^2,
 * with alpha = softplus(a) > 0 and beta = -alpha + softplus(b) >= -alpha (the paper's condition
 * for invertibility). z0: [B or 1, D]; a, b: [B or 1, 1].
 */
export function radialTransform(z: tf.Tensor2D, z0: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
  const { alpha, beta } = constrain(a, b);
  const d = tf.sub(z, z0) as tf.Tensor2D;
  const r = radius(d);
  const h = tf.div(1, tf.add(alpha, r));
  const bh = tf.mul(beta, h);
  const out = tf.add(z, tf.mul(bh, d)) as tf.Tensor2D;
  // 1 + beta h + beta h' r = 1 + beta alpha / (alpha + r)^2
  const last = tf.add(1, tf.mul(tf.mul(beta, alpha), tf.square(h)));
  const logDet = tf.reshape(tf.add(tf.mul(z.shape[1] - 1, tf.log1p(bh)), tf.log(last)), [z.shape[0]]) as tf.Tensor1D;
  return { z: out, logDet };
}

/**
 * The inverse in closed form: |y - z0| = r (1 + beta / (alpha + r)) is the quadratic
 * r^2 + (alpha + beta - r') r - alpha r' = 0 in r = |z - z0| (r' = |y - z0|), whose root
 * r >= 0 is unique; then z = z0 + (y - z0) / (1 + beta / (alpha + r)).
 */
export function radialInverse(y: tf.Tensor2D, z0: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
  const { alpha, beta } = constrain(a, b);
  const d = tf.sub(y, z0) as tf.Tensor2D;
  const rOut = radius(d);
  const c = tf.sub(tf.add(alpha, beta), rOut);
  const r = tf.div(tf.add(tf.neg(c), tf.sqrt(tf.add(tf.square(c), tf.mul(4, tf.mul(alpha, rOut))))), 2);
  const z = tf.add(z0, tf.div(d, tf.add(1, tf.div(beta, tf.add(alpha, r))))) as tf.Tensor2D;
  return { z, logDet: tf.neg(radialTransform(z, z0, a, b).logDet) as tf.Tensor1D };
}

function constrain(a: tf.Tensor2D, b: tf.Tensor2D) {
  const alpha = tf.softplus(a);
  return { alpha, beta: tf.add(tf.neg(alpha), tf.softplus(b)) };
}

/** |d| per row, [B, 1]; a 1e-12 under the root keeps the gradient finite at d = 0. */
function radius(d: tf.Tensor2D): tf.Tensor2D {
  return tf.sqrt(tf.add(tf.sum(tf.square(d), 1, true), 1e-12)) as tf.Tensor2D;
}

/** A radial flow with global parameters z0, a, b. */
export class RadialFlow extends BaseFlow {
  readonly id = 'radial';
  override readonly invertible = true;
  readonly z0: tf.Variable;
  readonly a: tf.Variable;
  readonly b: tf.Variable;
  constructor(dim: number, rng: Random, initScale = 0.1) {
    super(dim, false);
    this.z0 = this.addParam('z0', tf.mul(rng.normal([1, dim]), initScale));
    this.a = this.addParam('a', tf.mul(rng.normal([1, 1]), initScale));
    this.b = this.addParam('b', tf.mul(rng.normal([1, 1]), initScale));
  }
  protected forward(z: tf.Tensor2D) {
    return radialTransform(z, this.z0 as tf.Tensor2D, this.a as tf.Tensor2D, this.b as tf.Tensor2D);
  }
  protected override inverse(y: tf.Tensor2D) {
    return radialInverse(y, this.z0 as tf.Tensor2D, this.a as tf.Tensor2D, this.b as tf.Tensor2D);
  }
}

/** A radial flow whose z0, a, b are a linear function of the encoder context h, per data point. */
export class AmortizedRadialFlow extends BaseFlow {
  readonly id = 'radial-amortized';
  override readonly invertible = true;
  readonly params: Dense;
  constructor(dim: number, contextDim: number, rng: Random, initScale = 0.1) {
    super(dim, true, contextDim);
    this.params = this.addChild('params', new Dense(rng, contextDim, dim + 2, 'linear', { initScale }));
  }
  private split(h: tf.Tensor2D) {
    const p = this.params.apply(h);
    const D = this.dim;
    return { z0: tf.slice(p, [0, 0], [-1, D]) as tf.Tensor2D, a: tf.slice(p, [0, D], [-1, 1]) as tf.Tensor2D, b: tf.slice(p, [0, D + 1], [-1, 1]) as tf.Tensor2D };
  }
  protected forward(z: tf.Tensor2D, h?: tf.Tensor2D) {
    const { z0, a, b } = this.split(h!);
    return radialTransform(z, z0, a, b);
  }
  protected override inverse(y: tf.Tensor2D, h?: tf.Tensor2D) {
    const { z0, a, b } = this.split(h!);
    return radialInverse(y, z0, a, b);
  }
}
