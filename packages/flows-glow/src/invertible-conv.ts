import { type Random, tf } from '@vaeflow/core';
import { ImageStep, perExample } from './image-step.js';

/**
 * A random rotation in float64 (Gram-Schmidt on a Gaussian matrix) and its LU decomposition
 * with partial pivoting: W = P L U, P a permutation, L unit lower-triangular, U upper-triangular.
 */
export function randomRotationLU(c: number, rng: Random): { p: number[][]; l: number[][]; u: number[][] } {
  const q: number[][] = [];
  while (q.length < c) {
    const v = Array.from({ length: c }, () => rng.nextNormal());
    for (const w of q) {
      const d = v.reduce((s, vi, i) => s + vi * w[i], 0);
      for (let i = 0; i < c; i++) v[i] -= d * w[i];
    }
    const n = Math.hypot(...v);
    if (n > 1e-6) q.push(v.map((vi) => vi / n));
  }
  // LU of the rows reordered by pivoting: A = Q W = L U, so W = Q^T L U and P = Q^T.
  const a = q.map((r) => r.slice());
  const order = Array.from({ length: c }, (_, i) => i);
  const l: number[][] = Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => (i === j ? 1 : 0)));
  for (let k = 0; k < c; k++) {
    let piv = k;
    for (let i = k + 1; i < c; i++) if (Math.abs(a[i][k]) > Math.abs(a[piv][k])) piv = i;
    [a[k], a[piv]] = [a[piv], a[k]];
    [order[k], order[piv]] = [order[piv], order[k]];
    for (let j = 0; j < k; j++) [l[k][j], l[piv][j]] = [l[piv][j], l[k][j]];
    for (let i = k + 1; i < c; i++) {
      const f = a[i][k] / a[k][k];
      l[i][k] = f;
      for (let j = k; j < c; j++) a[i][j] -= f * a[k][j];
    }
  }
  const p = Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => (order[j] === i ? 1 : 0)));
  return { p, l, u: a.map((r, i) => r.map((v, j) => (j >= i ? v : 0))) };
}

/** M^-1 of a unit lower-triangular M [C, C], row by row (forward substitution; differentiable). */
function invertUnitLower(m: tf.Tensor2D): tf.Tensor2D {
  const c = m.shape[0];
  const rows: tf.Tensor1D[] = [];
  const eye = tf.eye(c);
  for (let i = 0; i < c; i++) {
    let r = tf.squeeze(tf.slice(eye, [i, 0], [1, c]), [0]) as tf.Tensor1D;
    if (i > 0) r = tf.sub(r, tf.squeeze(tf.matMul(tf.slice(m, [i, 0], [1, i]), tf.stack(rows) as tf.Tensor2D), [0])) as tf.Tensor1D;
    rows.push(r);
  }
  return tf.stack(rows) as tf.Tensor2D;
}

/** M^-1 of an upper-triangular M [C, C] with diagonal d, row by row from the bottom (backward substitution; differentiable). */
function invertUpper(strict: tf.Tensor2D, d: tf.Tensor1D): tf.Tensor2D {
  const c = strict.shape[0];
  const rows: tf.Tensor1D[] = new Array(c);
  const eye = tf.eye(c);
  for (let i = c - 1; i >= 0; i--) {
    let r = tf.squeeze(tf.slice(eye, [i, 0], [1, c]), [0]) as tf.Tensor1D;
    if (i < c - 1) r = tf.sub(r, tf.squeeze(tf.matMul(tf.slice(strict, [i, i + 1], [1, c - i - 1]), tf.stack(rows.slice(i + 1)) as tf.Tensor2D), [0])) as tf.Tensor1D;
    rows[i] = tf.div(r, tf.slice(d, [i], [1])) as tf.Tensor1D;
  }
  return tf.stack(rows) as tf.Tensor2D;
}

/**
 * Invertible 1x1 convolution, LU-parametrised (Kingma & Dhariwal 2018, section 3.2): every pixel's
 * channels are mixed by W = P L (U + diag(sign(s) exp(log|s|))), with P a fixed permutation, L
 * unit lower- and U strictly upper-triangular (learned), so log|det| = H W sum log|s| costs O(C)
 * and the inverse two triangular inversions. W starts as a random rotation.
 */
export class InvertibleConv1x1 extends ImageStep {
  readonly lower: tf.Variable;
  readonly upper: tf.Variable;
  readonly logS: tf.Variable;
  /** P and sign(s) are fixed at initialisation, and saved with the weights (non-trainable) */
  readonly permutation: tf.Variable;
  readonly signS: tf.Variable;
  private readonly lowerMask: tf.Tensor2D;
  private readonly upperMask: tf.Tensor2D;
  constructor(
    readonly channels: number,
    rng: Random,
  ) {
    super();
    const { p, l, u } = randomRotationLU(channels, rng);
    const diag = u.map((r, i) => r[i]);
    this.permutation = this.addParam('permutation', tf.tensor2d(p), false);
    this.signS = this.addParam('signS', tf.tensor1d(diag.map(Math.sign)), false);
    this.lowerMask = tf.keep(tf.tensor2d(l.map((r, i) => r.map((_, j) => (j < i ? 1 : 0)))));
    this.upperMask = tf.keep(tf.tensor2d(u.map((r, i) => r.map((_, j) => (j > i ? 1 : 0)))));
    this.lower = this.addParam('lower', tf.tensor2d(l.map((r, i) => r.map((v, j) => (j < i ? v : 0)))));
    this.upper = this.addParam('upper', tf.tensor2d(u.map((r, i) => r.map((v, j) => (j > i ? v : 0)))));
    this.logS = this.addParam('logS', tf.tensor1d(diag.map((v) => Math.log(Math.abs(v)))));
  }

  private parts(): { l: tf.Tensor2D; uStrict: tf.Tensor2D; s: tf.Tensor1D } {
    const l = tf.add(tf.mul(this.lower, this.lowerMask), tf.eye(this.channels)) as tf.Tensor2D;
    const uStrict = tf.mul(this.upper, this.upperMask) as tf.Tensor2D;
    const s = tf.mul(this.signS, tf.exp(this.logS)) as tf.Tensor1D;
    return { l, uStrict, s };
  }

  /** W = P L (U + diag s). */
  weight(): tf.Tensor2D {
    const { l, uStrict, s } = this.parts();
    // diag(s) as eye * s (tf.diag has no gradient)
    return tf.matMul(this.permutation as tf.Tensor2D, tf.matMul(l, tf.add(uStrict, tf.mul(tf.eye(this.channels), s)))) as tf.Tensor2D;
  }

  /** Applies a channel-mixing matrix M to every pixel: y = M x, as [N, C] rows times M^T. */
  private mix(x: tf.Tensor4D, m: tf.Tensor2D): tf.Tensor4D {
    const [B, H, W, C] = x.shape;
    return tf.reshape(tf.matMul(tf.reshape(x, [B * H * W, C]), m, false, true), [B, H, W, C]) as tf.Tensor4D;
  }

  forward(x: tf.Tensor4D) {
    const pixels = x.shape[1] * x.shape[2];
    return { y: this.mix(x, this.weight()), logDet: perExample(x.shape[0], tf.mul(tf.sum(this.logS), pixels) as tf.Scalar) };
  }

  /** x = W^-1 y = (U + diag s)^-1 L^-1 P^T y. */
  inverse(y: tf.Tensor4D) {
    const { l, uStrict, s } = this.parts();
    const inv = tf.matMul(invertUpper(uStrict, s), tf.matMul(invertUnitLower(l), this.permutation as tf.Tensor2D, false, true)) as tf.Tensor2D;
    const pixels = y.shape[1] * y.shape[2];
    return { x: this.mix(y, inv), logDet: perExample(y.shape[0], tf.mul(tf.sum(this.logS), -pixels) as tf.Scalar) };
  }

  override dispose(): void {
    for (const t of [this.lowerMask, this.upperMask]) t.dispose();
    super.dispose();
  }
}
