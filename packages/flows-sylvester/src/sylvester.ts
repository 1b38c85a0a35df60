import { BaseFlow, bjorckOrthogonalise, Dense, type FlowCheck, type Random, tf } from '@vaeflow/core';

/** How Q, the D x M matrix with orthonormal columns, is made (van den Berg et al. 2018, sec. 3). */
export type SylvesterVariant = 'orthogonal' | 'householder' | 'triangular';

export interface SylvesterOptions {
  variant: SylvesterVariant;
  /** M, the number of orthonormal columns of Q (orthogonal only; householder and triangular use M = D) */
  columns?: number;
  /** Householder reflections per layer (householder only) */
  reflections?: number;
  /** the most iterations of the orthogonalisation Q <- Q (I + (I - Q^T Q) / 2) (orthogonal only; the paper's 100) */
  iterations?: number;
  /** orthogonal only: a matrix stops iterating once |Q^T Q - I|_F <= tolerance sqrt(M) */
  tolerance?: number;
  /** triangular only: use the reversed identity as Q (alternate between layers) */
  reverse?: boolean;
  /** scale of the initial weights of the maps from h (small: each layer starts near the identity) */
  initScale?: number;
}

/**
 * A Sylvester normalizing flow layer (van den Berg, Hasenclever, Tomczak and Welling 2018,
 * arXiv 1803.05649), amortised: every parameter is a linear function of the encoder context h.
 *   z' = z + Q R tanh(R~ Q^T z + b),
 *   log|det dz'/dz| = sum_i log|1 + (1 - tanh^2(R~ Q^T z + b)_i) R~_ii R_ii|,
 * by Sylvester's determinant identity, with R and R~ upper triangular (M x M) and Q (D x M)
 * orthonormal. R_ii = tanh(r_ii) and R~_ii = tanh(r~_ii), so |R~_ii R_ii| < 1 and the layer is
 * invertible (there is no closed-form inverse; like planar flows, it says so).
 * Q: `orthogonal` (O-SNF) orthogonalises a free D x M matrix by the iteration
 * Q <- Q (I + (I - Q^T Q) / 2) from Q / |Q|_F, each example's until it is orthonormal (the
 * identity needs Q^T Q = I: an unconverged Q makes the log-det wrong); `householder` (H-SNF) is a product of
 * reflections I - 2 v v^T / |v|^2; `triangular` (T-SNF) is the identity or the reversal.
 */
export class SylvesterFlow extends BaseFlow {
  readonly id: string;
  readonly variant: SylvesterVariant;
  readonly columns: number;
  readonly reflections: number;
  readonly iterations: number;
  readonly tolerance: number;
  private readonly upper: tf.Tensor2D;
  /** triangular only: Q is the reversal (alternate layers) */
  private readonly reverse: boolean;
  readonly maps: Dense;
  constructor(dim: number, contextDim: number, rng: Random, o: SylvesterOptions) {
    super(dim, true, contextDim);
    this.variant = o.variant;
    this.id = `sylvester-${o.variant}`;
    const M = o.variant === 'orthogonal' ? (o.columns ?? dim) : dim;
    if (!Number.isInteger(M) || M < 1 || M > dim) throw new Error(`a Sylvester flow needs 1 <= columns <= ${dim} (the latent size), got ${o.columns}`);
    this.columns = M;
    this.reflections = o.reflections ?? 4;
    this.iterations = o.iterations ?? 100;
    this.tolerance = o.tolerance ?? 1e-5;
    if (this.variant === 'householder' && !(Number.isInteger(this.reflections) && this.reflections >= 1)) throw new Error(`reflections must be a positive integer, got ${o.reflections}`);
    const upper = new Float32Array(M * M);
    for (let i = 0; i < M; i++) for (let j = i + 1; j < M; j++) upper[i * M + j] = 1;
    this.upper = tf.tensor2d(upper, [M, M]);
    this.reverse = o.variant === 'triangular' && o.reverse === true;
    // One linear map from h to every per-data-point parameter: R, R~ (M x M each), b (M), and Q's.
    this.maps = this.addChild('maps', new Dense(rng, contextDim, 2 * M * M + M + this.qSize(), 'linear', { initScale: o.initScale ?? 0.1 }));
  }

  private qSize(): number {
    if (this.variant === 'orthogonal') return this.dim * this.columns;
    if (this.variant === 'householder') return this.reflections * this.dim;
    return 0;
  }

  /**
   * An upper triangular M x M matrix per example from unconstrained [B, M * M] values (row-major),
   * kept in two parts: the strictly upper part [B, M, M] and the diagonal tanh(r_ii) [B, M]. The
   * diagonal is never written into the matrix: R v = strict v + diag ⊙ v, and the log-det needs the
   * diagonal alone (three [B, M, M] multiplies and an add fewer per use, with their gradients).
   */
  private triangular(flat: tf.Tensor2D): { strict: tf.Tensor3D; diagonal: tf.Tensor2D } {
    const [B] = flat.shape;
    const M = this.columns;
    const strict = tf.mul(tf.reshape(flat, [B, M, M]), this.upper) as tf.Tensor3D;
    // r_ii sits at i (M + 1) in the row-major flat values: padded by M, viewed as [B, M, M + 1], column 0.
    const padded = tf.reshape(
      tf.pad(flat, [
        [0, 0],
        [0, M],
      ] as [number, number][]),
      [B, M, M + 1],
    );
    const raw = tf.reshape(tf.slice(padded, [0, 0, 0], [B, M, 1]), [B, M]);
    return { strict, diagonal: tf.tanh(raw) as tf.Tensor2D };
  }

  /** Q [B, D, M] with orthonormal columns from a free [B, D, M] matrix (O-SNF). */
  private orthogonalise(free: tf.Tensor3D): tf.Tensor3D {
    const q0 = tf.div(free, tf.sqrt(tf.sum(tf.square(free), [1, 2], true))) as tf.Tensor3D;
    return bjorckOrthogonalise(q0, { maxIterations: this.iterations, tolerance: this.tolerance });
  }

  /**
   * O-SNF only: per example, |Q^T Q - I|_F / sqrt(M) of the Q its log-det used. The limit is twice
   * the stopping tolerance (float rounding differs between the kernel's test and this one), or
   * 1e-4 with `tolerance: 0`. An example over it hit the iteration cap unconverged.
   */
  checks(_z: tf.Tensor2D, h?: tf.Tensor2D): Record<string, FlowCheck> {
    if (this.variant !== 'orthogonal') return {};
    const M = this.columns;
    const q = this.q(this.maps.apply(h!)) as tf.Tensor3D;
    const residual = tf.div(tf.sqrt(tf.sum(tf.square(tf.sub(tf.matMul(q, q, true, false), tf.eye(M))), [1, 2])), Math.sqrt(M)) as tf.Tensor1D;
    return {
      orthogonality: {
        perExample: residual,
        limit: this.tolerance > 0 ? 2 * this.tolerance : 1e-4,
        meaning: `|Q^T Q - I|_F / sqrt(M) after at most ${this.iterations} iterations; Sylvester's identity needs Q^T Q = I, so these examples' log-det is approximate (raise \`iterations\`)`,
      },
    };
  }

  /** The variant's Q from the maps' output p [B, ...]: [B, D, M] (orthogonal), the reflections' v [B, K, D] (householder), unused [B] (triangular). */
  private q(p: tf.Tensor2D): tf.Tensor {
    const B = p.shape[0];
    const M = this.columns;
    if (this.variant === 'triangular') return tf.zeros([B]);
    const free = tf.slice(p, [0, 2 * M * M + M], [B, this.qSize()]);
    return this.variant === 'orthogonal' ? this.orthogonalise(tf.reshape(free, [B, this.dim, M]) as tf.Tensor3D) : tf.reshape(free, [B, this.reflections, this.dim]);
  }

  /**
   * Q^T x and Q y for the variant, on K rows per example: x [B, K, D] -> [B, K, M] and
   * y [B, K, M] -> [B, K, D], with q from {@link q} (one per example).
   */
  private qOps(q: tf.Tensor): { qt: (x: tf.Tensor3D) => tf.Tensor3D; qv: (y: tf.Tensor3D) => tf.Tensor3D } {
    if (this.variant === 'orthogonal') {
      return { qt: (x) => tf.matMul(x, q as tf.Tensor3D), qv: (y) => tf.matMul(y, q as tf.Tensor3D, false, true) };
    }
    if (this.variant === 'householder') {
      // Q = H_1 H_2 ... H_K with H_k = I - 2 u_k u_k^T, u_k = v_k / |v_k| (each its own inverse and transpose).
      const us = (tf.unstack(q, 1) as tf.Tensor2D[]).map((v) => tf.expandDims(tf.div(v, tf.norm(v, 'euclidean', 1, true)), 1) as tf.Tensor3D); // K x [B, 1, D]
      const reflect = (x: tf.Tensor3D, u: tf.Tensor3D) => tf.sub(x, tf.mul(u, tf.mul(2, tf.sum(tf.mul(u, x), 2, true)))) as tf.Tensor3D;
      return { qt: (x) => us.reduce(reflect, x), qv: (y) => us.reduceRight(reflect, y) };
    }
    // triangular: Q = I, or the reversal (Q^T = Q)
    return this.reverse ? { qt: (x) => tf.reverse(x, 2), qv: (y) => tf.reverse(y, 2) } : { qt: (x) => x, qv: (y) => y };
  }

  protected forward(z: tf.Tensor2D, h?: tf.Tensor2D) {
    return this.forwardRepeated(z, h!, 1);
  }

  /** The layer for K = repeats rows of z per row of h: Q, R, R~ and b are made once per row of h. */
  protected override forwardRepeated(z: tf.Tensor2D, h: tf.Tensor2D, repeats: number) {
    const [B] = h.shape;
    const M = this.columns;
    const D = this.dim;
    const p = this.maps.apply(h);
    const r = this.triangular(tf.slice(p, [0, 0], [B, M * M]) as tf.Tensor2D);
    const rTilde = this.triangular(tf.slice(p, [0, M * M], [B, M * M]) as tf.Tensor2D);
    const b = tf.reshape(tf.slice(p, [0, 2 * M * M], [B, M]), [B, 1, M]);
    const { qt, qv } = this.qOps(this.q(p));
    const zk = tf.reshape(z, [B, repeats, D]) as tf.Tensor3D;
    /** R v for an upper triangular R in its two parts, each of the K rows of v [B, K, M]. */
    const triangularTimes = (m: { strict: tf.Tensor3D; diagonal: tf.Tensor2D }, v: tf.Tensor3D) => tf.add(tf.matMul(v, m.strict, false, true), tf.mul(tf.expandDims(m.diagonal, 1), v)) as tf.Tensor3D;
    const t = tf.tanh(tf.add(triangularTimes(rTilde, qt(zk)), b)) as tf.Tensor3D;
    const out = tf.add(zk, qv(triangularTimes(r, t)));
    const diagonal = tf.expandDims(tf.mul(rTilde.diagonal, r.diagonal), 1);
    const logDet = tf.sum(tf.log(tf.abs(tf.add(1, tf.mul(tf.sub(1, tf.square(t)), diagonal)))), 2);
    return { z: tf.reshape(out, [B * repeats, D]) as tf.Tensor2D, logDet: tf.reshape(logDet, [B * repeats]) as tf.Tensor1D };
  }

  override dispose(): void {
    this.upper.dispose();
    super.dispose();
  }
}
