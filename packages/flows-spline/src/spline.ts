import { type ElementwiseBijection, type ParameterGroup, fusedRQSpline, tf } from '@vaeflow/core';

export interface SplineOptions {
  /** number of bins K */
  bins: number;
  /** the spline acts on [-bound, bound]; outside it is the identity (linear tails of slope 1) */
  bound: number;
  /** smallest bin width and height, as a fraction of 2 * bound */
  minBinSize?: number;
  /** smallest derivative at an interior knot */
  minDerivative?: number;
}

/**
 * The monotonic rational-quadratic spline with linear tails (Durkan et al. 2019, arXiv 1906.04032,
 * sec. 3.1): K bins on [-B, B] whose widths and heights come from softmaxes of the first two
 * parameter groups, and positive derivatives d_1..d_{K-1} at the interior knots from a softplus
 * of the third (d_0 = d_K = 1, so the identity tails join with a continuous derivative). In bin k,
 * with xi = (x - x_k) / w_k and s_k = h_k / w_k,
 *   y = y_k + h_k [s_k xi^2 + d_k xi (1 - xi)] / [s_k + (d_{k+1} + d_k - 2 s_k) xi (1 - xi)],
 *   dy/dx = s_k^2 [d_{k+1} xi^2 + 2 s_k xi (1 - xi) + d_k (1 - xi)^2] / [s_k + (d_{k+1} + d_k - 2 s_k) xi (1 - xi)]^2;
 * the inverse solves the quadratic a xi^2 + b xi + c = 0 in closed form (eqs. 6-8),
 * xi = 2c / (-b - sqrt(b^2 - 4ac)). With all parameters 0 except the derivative groups' bias, it
 * is the identity. Bins are chosen by comparisons and one-hot sums (no gather, whose gradient the
 * wasm backend lacks). Where the backend has the fused spline kernel (@vaeflow/native), the
 * whole map and its gradient are one kernel each, with the same maths (in double, the softmaxes'
 * exponentials in float).
 */
export class RationalQuadraticSpline implements ElementwiseBijection {
  readonly id = 'rq-spline';
  readonly groups: readonly ParameterGroup[];
  readonly bins: number;
  readonly bound: number;
  readonly minBinSize: number;
  readonly minDerivative: number;
  constructor(o: SplineOptions) {
    if (!Number.isInteger(o.bins) || o.bins < 2) throw new Error(`a rational-quadratic spline needs at least 2 bins, got ${o.bins}`);
    if (!(o.bound > 0)) throw new Error(`the spline's bound must be positive, got ${o.bound}`);
    this.bins = o.bins;
    this.bound = o.bound;
    this.minBinSize = o.minBinSize ?? 1e-3;
    this.minDerivative = o.minDerivative ?? 1e-3;
    if (this.minBinSize * this.bins >= 1) throw new Error(`minBinSize ${this.minBinSize} x ${this.bins} bins leaves no room for the bins`);
    // softplus(u) + minDerivative = 1 at u = log(e^(1 - min) - 1): the identity at initialisation.
    const identityDerivative = Math.log(Math.expm1(1 - this.minDerivative));
    this.groups = [
      { name: 'widths', size: this.bins },
      { name: 'heights', size: this.bins },
      { name: 'derivatives', size: this.bins - 1, bias: identityDerivative },
    ];
  }

  /** Knot positions [B, D, K + 1] from -bound to bound, from unnormalised sizes [B, D, K]. */
  private knotPositions(unnormalised: tf.Tensor3D): tf.Tensor3D {
    const K = this.bins;
    const [B, D] = unnormalised.shape;
    const sizes = tf.add(this.minBinSize, tf.mul(1 - this.minBinSize * K, tf.softmax(unnormalised)));
    const inner = tf.slice(tf.cumsum(sizes, 2), [0, 0, 0], [B, D, K - 1]);
    const edge = (v: number) => tf.fill([B, D, 1], v);
    return tf.concat([edge(-this.bound), tf.sub(tf.mul(inner, 2 * this.bound), this.bound), edge(this.bound)], 2) as tf.Tensor3D;
  }

  /** Per element: the bin's left knot, width, left/right y knot, height and the two derivatives, all [B, D]. */
  private binOf(v: tf.Tensor2D, search: tf.Tensor3D, xKnots: tf.Tensor3D, yKnots: tf.Tensor3D, derivatives: tf.Tensor3D) {
    const K = this.bins;
    const [B, D] = v.shape;
    // left_k = [v >= knot_k] with knot_0 treated as -inf; right_k = [v >= knot_{k+1}] with knot_K as +inf:
    // left - right is one exactly at v's bin (v is clipped into the spline's range first).
    const v3 = tf.expandDims(v, 2);
    const ge = tf.cast(tf.greaterEqual(v3, tf.slice(search, [0, 0, 1], [B, D, K - 1])), 'float32');
    const left = tf.concat([tf.ones([B, D, 1]), ge], 2);
    const right = tf.concat([ge, tf.zeros([B, D, 1])], 2);
    const oneHot = tf.sub(left, right);
    const pick = (t: tf.Tensor3D) => tf.sum(tf.mul(oneHot, t), 2) as tf.Tensor2D;
    const lo = (t: tf.Tensor3D) => tf.slice(t, [0, 0, 0], [B, D, K]) as tf.Tensor3D;
    const hi = (t: tf.Tensor3D) => tf.slice(t, [0, 0, 1], [B, D, K]) as tf.Tensor3D;
    const edgeOne = tf.ones([B, D, 1]);
    const dAll = tf.concat([edgeOne, derivatives, edgeOne], 2) as tf.Tensor3D; // d_0 .. d_K
    // pick is exact (one term of the sum is non-zero), so x1 - x0 is the picked bin width to the bit.
    const x0 = pick(lo(xKnots));
    const y0 = pick(lo(yKnots));
    return {
      x0,
      width: tf.sub(pick(hi(xKnots)), x0) as tf.Tensor2D,
      y0,
      height: tf.sub(pick(hi(yKnots)), y0) as tf.Tensor2D,
      d0: pick(lo(dAll)),
      d1: pick(hi(dAll)),
    };
  }

  /** The knots (x_0..x_K and y_0..y_K, [B, D, K + 1]) and interior derivatives (d_1..d_{K-1}, [B, D, K - 1]) theta gives. */
  knots(theta: readonly tf.Tensor3D[]): { xKnots: tf.Tensor3D; yKnots: tf.Tensor3D; derivatives: tf.Tensor3D } {
    const [w, h, d] = theta;
    return { xKnots: this.knotPositions(w), yKnots: this.knotPositions(h), derivatives: tf.add(tf.softplus(d), this.minDerivative) as tf.Tensor3D };
  }

  private inside(v: tf.Tensor2D): { mask: tf.Tensor2D; clipped: tf.Tensor2D } {
    // |v| <= B through ops that autodiff can pass (zero) gradients through; logicalAnd has none.
    const mask = tf.lessEqual(tf.abs(v), this.bound) as tf.Tensor2D;
    return { mask, clipped: tf.clipByValue(v, -this.bound, this.bound) as tf.Tensor2D };
  }

  private fused(v: tf.Tensor2D, theta: readonly tf.Tensor3D[], inverse: boolean) {
    return fusedRQSpline(v, theta, { bound: this.bound, minBinSize: this.minBinSize, minDerivative: this.minDerivative, inverse });
  }

  forward(x: tf.Tensor2D, theta: readonly tf.Tensor3D[]) {
    const fused = this.fused(x, theta, false);
    if (fused) return { y: fused.out, logAbsDet: fused.logAbsDet };
    const { xKnots, yKnots, derivatives } = this.knots(theta);
    const { mask, clipped } = this.inside(x);
    const { x0, width, y0, height, d0, d1 } = this.binOf(clipped, xKnots, xKnots, yKnots, derivatives);
    const s = tf.div(height, width);
    const xi = tf.clipByValue(tf.div(tf.sub(clipped, x0), width), 0, 1);
    const xi1 = tf.mul(xi, tf.sub(1, xi));
    const denominator = tf.add(s, tf.mul(tf.sub(tf.add(d1, d0), tf.mul(2, s)), xi1));
    const y = tf.add(y0, tf.div(tf.mul(height, tf.add(tf.mul(s, tf.square(xi)), tf.mul(d0, xi1))), denominator));
    const numerator = tf.mul(tf.square(s), tf.add(tf.add(tf.mul(d1, tf.square(xi)), tf.mul(tf.mul(2, s), xi1)), tf.mul(d0, tf.square(tf.sub(1, xi)))));
    const logAbsDet = tf.sub(tf.log(numerator), tf.mul(2, tf.log(denominator)));
    return { y: tf.where(mask, y, x) as tf.Tensor2D, logAbsDet: tf.where(mask, logAbsDet, tf.zerosLike(x)) as tf.Tensor2D };
  }

  inverse(y: tf.Tensor2D, theta: readonly tf.Tensor3D[]) {
    const fused = this.fused(y, theta, true);
    if (fused) return { x: fused.out, logAbsDet: fused.logAbsDet };
    const { xKnots, yKnots, derivatives } = this.knots(theta);
    const { mask, clipped } = this.inside(y);
    const { x0, width, y0, height, d0, d1 } = this.binOf(clipped, yKnots, xKnots, yKnots, derivatives);
    const s = tf.div(height, width);
    const dy = tf.sub(clipped, y0);
    const curvature = tf.sub(tf.add(d1, d0), tf.mul(2, s));
    const a = tf.add(tf.mul(height, tf.sub(s, d0)), tf.mul(dy, curvature));
    const b = tf.sub(tf.mul(height, d0), tf.mul(dy, curvature));
    const c = tf.neg(tf.mul(s, dy));
    const discriminant = tf.relu(tf.sub(tf.square(b), tf.mul(4, tf.mul(a, c))));
    const xi = tf.clipByValue(tf.div(tf.mul(2, c), tf.sub(tf.neg(b), tf.sqrt(discriminant))), 0, 1);
    const x = tf.add(x0, tf.mul(xi, width));
    const xi1 = tf.mul(xi, tf.sub(1, xi));
    const denominator = tf.add(s, tf.mul(curvature, xi1));
    const numerator = tf.mul(tf.square(s), tf.add(tf.add(tf.mul(d1, tf.square(xi)), tf.mul(tf.mul(2, s), xi1)), tf.mul(d0, tf.square(tf.sub(1, xi)))));
    const logAbsDet = tf.sub(tf.mul(2, tf.log(denominator)), tf.log(numerator));
    return { x: tf.where(mask, x, y) as tf.Tensor2D, logAbsDet: tf.where(mask, logAbsDet, tf.zerosLike(y)) as tf.Tensor2D };
  }
}
