import { BaseFlow, Dense, type Random, tf } from '@vaeflow/core';
import { planarLayers } from './planar-kernel.js';

/**
 * The invertibility correction of Rezende & Mohamed (2015, appendix A.1):
 *   u_hat = u + (m(w.u) - w.u) w / |w|^2,  m(a) = -1 + softplus(a),
 * so that w.u_hat = m(w.u) >= -1 and f is invertible. Works row-wise on [B, L] or on [1, L].
 */
export function correctU(u: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const wu = tf.sum(tf.mul(w, u), 1, true);
  const m = tf.sub(tf.softplus(wu), 1);
  const wNorm2 = tf.add(tf.sum(tf.square(w), 1, true), 1e-8);
  return tf.add(u, tf.mul(tf.div(tf.sub(m, wu), wNorm2), w)) as tf.Tensor2D;
}

/**
 * f(z) = z + u_hat tanh(w.z + b),
 * log|det df/dz| = log|1 + u_hat . psi(z)|, psi(z) = (1 - tanh^2(w.z + b)) w,
 * which is log(1 + (1 - t^2) w.u_hat) since w.u_hat >= -1 keeps the argument positive.
 * u, w: [B or 1, L]; b: [B or 1, 1].
 */
export function planarTransform(z: tf.Tensor2D, u: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
  const uHat = correctU(u, w);
  const t = tf.tanh(tf.add(tf.sum(tf.mul(w, z), 1, true), b)); // [B, 1]
  const out = tf.add(z, tf.mul(uHat, t)) as tf.Tensor2D;
  const wu = tf.sum(tf.mul(w, uHat), 1, true); // [B or 1, 1]
  const arg = tf.add(1, tf.mul(tf.sub(1, tf.square(t)), wu));
  const logDet = tf.reshape(tf.log(tf.add(tf.abs(arg), 1e-12)), [-1]) as tf.Tensor1D;
  return { z: out, logDet };
}

/**
 * Planar flow with global parameters u, w in R^L and b in R (Rezende & Mohamed 2015,
 * arXiv 1505.05770; seed 002 sec. 4.4). No closed-form inverse exists for tanh, so the flow
 * says it is not invertible.
 *
 * ```json
 * { "type": "planar", "layers": 10 }
 * ```
 */
export class PlanarFlow extends BaseFlow {
  readonly id = 'planar';
  readonly u: tf.Variable;
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  constructor(dim: number, rng: Random, initScale = 0.1) {
    super(dim, false);
    this.u = this.addParam('u', tf.mul(rng.normal([1, dim]), initScale));
    this.w = this.addParam('w', tf.mul(rng.normal([1, dim]), initScale));
    this.b = this.addParam('b', tf.zeros([1, 1]));
  }
  protected forward(z: tf.Tensor2D) {
    return planarTransform(z, this.u as tf.Tensor2D, this.w as tf.Tensor2D, this.b as tf.Tensor2D);
  }
}

/**
 * Amortised planar flow: u, w, b are produced per data point from the encoder context h by a
 * linear map, [u, w, b] = Linear(h) (the form of the poster and of Rezende & Mohamed, where
 * flow parameters are outputs of the inference network).
 */
export class AmortizedPlanarFlow extends BaseFlow {
  readonly id = 'planar-amortized';
  readonly params: Dense;
  constructor(dim: number, contextDim: number, rng: Random, initScale = 0.1) {
    super(dim, true, contextDim);
    this.params = this.addChild('params', new Dense(rng, contextDim, 2 * dim + 1, 'linear', { initScale }));
  }
  protected forward(z: tf.Tensor2D, h?: tf.Tensor2D) {
    const p = this.params.apply(h!);
    const L = this.dim;
    const u = tf.slice(p, [0, 0], [-1, L]) as tf.Tensor2D;
    const w = tf.slice(p, [0, L], [-1, L]) as tf.Tensor2D;
    const b = tf.slice(p, [0, 2 * L], [-1, 1]) as tf.Tensor2D;
    return planarTransform(z, u, w, b);
  }
}

/**
 * K planar layers (all global or all amortised) applied in one pass, with the maths of K layers
 * in sequence: f = f_K o ... o f_1, log|det| = sum_k log|1 + (1 - t_k^2) w_k.u_hat_k|.
 * What does not depend on z is computed for every layer at once: the parameters (for the
 * amortised flow one matMul from h) and the correction u_hat; the sequential part,
 * a_k = w_k.z + b_k, t_k = tanh(a_k), z <- z + u_hat_k t_k, and the log-determinants are one
 * host op with its gradient written out ({@link planarLayers}): the layer-by-layer form's many
 * small tensor kernels dominate the cost of deep stacks (K = 80) at small widths. The layers keep their
 * own parameters, as children "0".."K-1" like a SequentialFlow's, so checkpoints do not change.
 */
export class PlanarStack extends BaseFlow {
  readonly id: string;
  constructor(readonly layers: PlanarFlow[] | AmortizedPlanarFlow[]) {
    const amortized = layers[0] instanceof AmortizedPlanarFlow;
    super(layers[0].dim, amortized, amortized ? (layers[0] as AmortizedPlanarFlow).contextDim : 0);
    if (layers.some((l) => l instanceof AmortizedPlanarFlow !== amortized || l.dim !== this.dim)) throw new Error('a planar stack needs layers of one kind and one dimension');
    this.id = layers[0].id;
    layers.forEach((l, i) => this.addChild(String(i), l));
  }

  /**
   * u, w: [K, B or 1, L]; b: [K, B or 1, 1]. Layers on the leading axis keep every gather and
   * its gradient contiguous (splitting along an inner axis is slow on the CPU backends).
   */
  private parameters(h?: tf.Tensor2D): { u: tf.Tensor3D; w: tf.Tensor3D; b: tf.Tensor3D } {
    const K = this.layers.length;
    const L = this.dim;
    if (this.conditional) {
      const layers = this.layers as AmortizedPlanarFlow[];
      // One product for every layer's parameters: [B, K (2L + 1)], then layers to the front.
      const kernel = tf.concat(
        layers.map((l) => l.params.kernel as tf.Tensor2D),
        1,
      );
      const bias = tf.concat(
        layers.map((l) => l.params.bias as tf.Tensor1D),
        0,
      );
      const flat = tf.fused.matMul({ a: h!, b: kernel, bias });
      const p = tf.transpose(tf.reshape(flat, [h!.shape[0], K, 2 * L + 1]), [1, 0, 2]) as tf.Tensor3D; // [K, B, 2L + 1]
      return { u: tf.slice(p, [0, 0, 0], [-1, -1, L]), w: tf.slice(p, [0, 0, L], [-1, -1, L]), b: tf.slice(p, [0, 0, 2 * L], [-1, -1, 1]) };
    }
    const layers = this.layers as PlanarFlow[];
    const gather = (pick: (l: PlanarFlow) => tf.Variable) => tf.stack(layers.map((l) => pick(l) as tf.Tensor2D)) as tf.Tensor3D; // [K, 1, width]
    return { u: gather((l) => l.u), w: gather((l) => l.w), b: gather((l) => l.b) };
  }

  protected forward(z: tf.Tensor2D, h?: tf.Tensor2D) {
    return this.transform(z, this.parameters(h), 1);
  }

  /** For `repeats` rows of z per row of h (importance samples): the parameters are made once per row of h. */
  protected override forwardRepeated(z: tf.Tensor2D, h: tf.Tensor2D, repeats: number) {
    return this.transform(z, this.parameters(h), repeats);
  }

  private transform(z: tf.Tensor2D, { u, w, b }: { u: tf.Tensor3D; w: tf.Tensor3D; b: tf.Tensor3D }, repeats: number) {
    // u_hat = u + (m(w.u) - w.u) w / |w|^2 for every layer (correctU over the last axis).
    const wu = tf.sum(tf.mul(w, u), 2, true);
    const m = tf.sub(tf.softplus(wu), 1);
    const wNorm2 = tf.add(tf.sum(tf.square(w), 2, true), 1e-8);
    const uHat = tf.add(u, tf.mul(tf.div(tf.sub(m, wu), wNorm2), w)) as tf.Tensor3D;
    // each row of parameters repeated for its `repeats` rows of z: [K, B, n] -> [K, B repeats, n]
    const rows = (t: tf.Tensor3D) =>
      repeats === 1 || t.shape[1] === 1 ? t : (tf.reshape(tf.tile(tf.expandDims(t, 2), [1, 1, repeats, 1]), [t.shape[0], t.shape[1] * repeats, t.shape[2]]) as tf.Tensor3D);
    // the K sequential layers and their log-determinants in one host op
    const out = planarLayers(z, rows(uHat), rows(w), rows(b));
    const L = this.dim;
    return { z: tf.slice(out, [0, 0], [-1, L]) as tf.Tensor2D, logDet: tf.reshape(tf.slice(out, [0, L], [-1, 1]), [-1]) as tf.Tensor1D };
  }
}
