import { Dense, Module, fanInUniform, type Random, tf } from '@vaeflow/core';

/** What one evaluation of the PICNN gives, per example. */
export interface PicnnEvaluation {
  /** F(x, v) [B] */
  value: tf.Tensor1D;
  /** grad_x F [B, L] */
  grad: tf.Tensor2D;
  /** Hessian_x F [B, L, L] (only when asked for) */
  hessian?: tf.Tensor3D;
}

/**
 * Partially input-convex neural network F(x, v), convex in x for every context v
 * (Amos et al. 2017; seed 001; the PCP-Map code's `src/icnn.py`). With v_0 the context:
 *   context path:  v_{k+1} = ELU(v_k Lv_k + b)
 *   c_k = v_k Lxv_k + b  (multiplies x),  d_k = relu(v_k Lwv_k + b) >= 0 (multiplies w_k),  e_k = v_k Lvw_k + b (hidden layers)
 *   a_1 = (x ⊙ c_0) Lx_0 + e_0,   a_{k+1} = (w_k ⊙ d_k) W_k+ + (x ⊙ c_k) Lx_k + e_k,
 *   w_k = softplus(a_k) for the hidden layers; F = a_{K+1} (one linear output).
 * Each a is affine in x given the inputs before it, softplus is convex and non-decreasing,
 * and W_k+ >= 0 (projected after every optimiser step, as the authors clip) with d_k >= 0,
 * so F is convex in x.
 *
 * Gradient and Hessian are computed in closed form (no nested autodiff). With
 * Ã_k = d a_k / d x laid out [B, L, n_k], s(a) = sigmoid(a) = softplus'(a):
 *   Ã_1 = c_0 ⊗ Lx_0,  Ã_{k+1} = (Ã_k ⊙ (d_k s(a_k))) W_k+ + c_k ⊗ Lx_k,  grad F = Ã_{K+1}
 * and, with the adjoints δ_k = dF/dw_k (δ_K = d_K ⊙ W_K+, δ_k = ((δ_{k+1} ⊙ s(a_{k+1})) W_k+^T) ⊙ d_k),
 *   Hess F = Σ_k Ã_k diag(δ_k ⊙ s'(a_k)) Ã_k^T,  s'(a) = s(a)(1 - s(a)),
 * because every a is linear in (w, x) and the only curvature comes from the softplus units.
 */
export class PICNN extends Module {
  readonly ctx: Dense[] = [];
  readonly lxv: Dense[] = [];
  readonly lvw: Dense[] = [];
  readonly lwv: Dense[] = [];
  readonly lx: tf.Variable[] = [];
  readonly wPlus: tf.Variable[] = [];
  constructor(
    rng: Random,
    readonly dim: number,
    readonly contextDim: number,
    readonly widths: number[],
    readonly contextWidth: number,
  ) {
    super();
    const K = widths.length; // hidden layers; layer K is the output
    const sizes = [...widths, 1];
    let cw = contextDim;
    for (let k = 0; k <= K; k++) {
      // v_k has width cw here; layer k reads it.
      this.lxv.push(this.addChild(`lxv${k}`, new Dense(rng, cw, dim, 'linear')));
      // e_k: the output layer's would only add a constant to F (no effect on the map), so it has none.
      if (k < K) this.lvw.push(this.addChild(`lvw${k}`, new Dense(rng, cw, sizes[k], 'linear')));
      this.lx.push(this.addParam(`lx${k}`, fanInUniform(rng, [dim, sizes[k]], dim)));
      if (k > 0) {
        this.lwv.push(this.addChild(`lwv${k}`, new Dense(rng, cw, sizes[k - 1], 'linear')));
        // non-negative start: |U(-b, b)|
        this.wPlus.push(this.addParam(`wplus${k}`, tf.abs(fanInUniform(rng, [sizes[k - 1], sizes[k]], sizes[k - 1]))));
      }
      if (k < K) {
        this.ctx.push(this.addChild(`ctx${k}`, new Dense(rng, cw, contextWidth, 'elu')));
        cw = contextWidth;
      }
    }
  }

  /** Keeps W+ non-negative (the projection of the authors' code). */
  override afterStep(): void {
    super.afterStep();
    for (const w of this.wPlus) tf.tidy(() => w.assign(tf.relu(w)));
  }

  evaluate(x: tf.Tensor2D, v0: tf.Tensor2D, withHessian: boolean): PicnnEvaluation {
    const [B, L] = x.shape;
    const K = this.widths.length;
    let v = v0;
    let w: tf.Tensor2D | null = null;
    let A: tf.Tensor3D | null = null; // Ã of the current pre-activation [B, L, n]
    const saved: { a: tf.Tensor2D; A: tf.Tensor3D; d: tf.Tensor2D | null }[] = [];
    let value: tf.Tensor2D | null = null;
    let grad: tf.Tensor2D | null = null;
    for (let k = 0; k <= K; k++) {
      const c = this.lxv[k].apply(v); // [B, L]
      const lx = this.lx[k] as tf.Tensor2D; // [L, n]
      const n = lx.shape[1];
      let a = tf.matMul(tf.mul(x, c), lx) as tf.Tensor2D;
      if (k < K) a = tf.add(a, this.lvw[k].apply(v)) as tf.Tensor2D;
      // c ⊗ Lx: [B, L, 1] * [1, L, n]
      let Anext = tf.mul(tf.reshape(c, [B, L, 1]), tf.reshape(lx, [1, L, n])) as tf.Tensor3D;
      if (k > 0) {
        const d = tf.relu(this.lwv[k - 1].apply(v)) as tf.Tensor2D; // [B, n_k]
        const wp = this.wPlus[k - 1] as tf.Tensor2D;
        a = tf.add(a, tf.matMul(tf.mul(w!, d), wp)) as tf.Tensor2D;
        const prevS = tf.sigmoid(saved[k - 1].a);
        const nPrev = wp.shape[0];
        const scaled = tf.mul(A!, tf.reshape(tf.mul(d, prevS), [B, 1, nPrev]));
        Anext = tf.add(Anext, tf.reshape(tf.matMul(tf.reshape(scaled, [B * L, nPrev]), wp), [B, L, n])) as tf.Tensor3D;
        saved[k - 1].d = d;
      }
      if (k < K) {
        w = tf.softplus(a) as tf.Tensor2D;
        A = Anext;
        saved.push({ a, A: Anext, d: null });
        v = this.ctx[k].apply(v);
      } else {
        value = a;
        grad = tf.reshape(Anext, [B, L]) as tf.Tensor2D;
      }
    }
    const out: PicnnEvaluation = { value: tf.reshape(value!, [B]) as tf.Tensor1D, grad: grad! };
    if (!withHessian) return out;
    // Adjoints δ_k = dF/dw_k, from the output back.
    let delta = tf.mul(saved[K - 1].d!, tf.reshape(this.wPlus[K - 1], [1, -1])) as tf.Tensor2D; // δ_K: [B, n_K]
    const terms: tf.Tensor3D[] = [];
    for (let k = K - 1; k >= 0; k--) {
      const s = tf.sigmoid(saved[k].a);
      const curv = tf.mul(delta, tf.mul(s, tf.sub(1, s))); // δ ⊙ s'(a) [B, n]
      const Ak = saved[k].A;
      terms.push(tf.matMul(tf.mul(Ak, tf.reshape(curv, [B, 1, -1])) as tf.Tensor3D, Ak, false, true) as tf.Tensor3D);
      if (k > 0) delta = tf.mul(tf.matMul(tf.mul(delta, s), this.wPlus[k - 1] as tf.Tensor2D, false, true), saved[k - 1].d!) as tf.Tensor2D;
    }
    out.hessian = (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Tensor3D;
    return out;
  }
}
