import * as tf from '@tensorflow/tfjs-core';

/**
 * Optional fused kernels a backend pack may register (e.g. @vaeflow/native for wasm). Core uses
 * them when the active backend has them and falls back to composite tfjs ops otherwise, with the
 * same maths:
 * - `VaeflowAdam`: inputs {x, gradient, m, v}, attrs {learningRate, beta1, beta2, epsilon,
 *   gradScale, oneMinusAccBeta1, oneMinusAccBeta2}; outputs [x', m', v'] as new tensors.
 * - `VaeflowGlobalNorm`: any number of float32 inputs; output the scalar sqrt(sum of squares).
 * - `VaeflowBernoulliLogProb`: inputs {x, logits} [rows, dims]; output [rows] =
 *   sum_d x l - softplus(l). Its gradient is registered here, for every backend.
 */
export const ADAM_KERNEL = 'VaeflowAdam';
export const GLOBAL_NORM_KERNEL = 'VaeflowGlobalNorm';
export const BERNOULLI_LOG_PROB_KERNEL = 'VaeflowBernoulliLogProb';

/** True when the active backend has a kernel of that name. */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}

// d/dl [x l - softplus(l)] = x - sigmoid(l) and d/dx = l, each times the upstream dy per row.
tf.registerGradient({
  kernelName: BERNOULLI_LOG_PROB_KERNEL,
  inputsToSave: ['x', 'logits'],
  gradFunc: (dy, saved) => {
    const [x, logits] = saved;
    const perRow = tf.expandDims(dy as tf.Tensor, 1);
    return { x: () => tf.mul(perRow, logits), logits: () => tf.mul(perRow, tf.sub(x, tf.sigmoid(logits))) };
  },
});

/**
 * The Bernoulli log-likelihood per row, log p(x | l) = sum_d x_d l_d - softplus(l_d), as one
 * fused kernel where the backend has it (same shapes, float32), else in tfjs ops.
 */
export function bernoulliLogProb(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  if (hasKernel(BERNOULLI_LOG_PROB_KERNEL) && x.dtype === 'float32' && logits.dtype === 'float32' && tf.util.arraysEqual(x.shape, logits.shape)) {
    return tf.engine().runKernel(BERNOULLI_LOG_PROB_KERNEL, { x, logits }, {}) as tf.Tensor1D;
  }
  return tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1) as tf.Tensor1D;
}

/**
 * `VaeflowBjorck`: input {q} [batch, D, M], attrs {maxIterations, tolerance}; output Q.
 * `VaeflowBjorckGrad`: inputs {q, dy}, same attrs; output dL/dq. A backend that has one has both.
 */
export const BJORCK_KERNEL = 'VaeflowBjorck';
export const BJORCK_GRAD_KERNEL = 'VaeflowBjorckGrad';

tf.registerGradient({
  kernelName: BJORCK_KERNEL,
  inputsToSave: ['q'],
  gradFunc: (dy, saved, attrs) => {
    const [q] = saved;
    return { q: () => tf.engine().runKernel(BJORCK_GRAD_KERNEL, { q, dy: dy as tf.Tensor }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor };
  },
});

export interface BjorckOptions {
  /** the most updates a matrix gets (van den Berg et al. use 100) */
  maxIterations: number;
  /** a matrix stops once |Q^T Q - I|_F <= tolerance sqrt(M) */
  tolerance: number;
}

/**
 * Björck's iterative orthogonalisation of a batch of D x M matrices (M <= D):
 *   Q_{k+1} = Q_k (I + (I - Q_k^T Q_k) / 2) = 1.5 Q_k - 0.5 Q_k (Q_k^T Q_k),
 * which converges to the orthonormal polar factor when every singular value of Q_0 lies in
 * (0, sqrt(3)) (Björck & Bowie 1971; the Q of O-SNF, van den Berg et al. 2018). Each matrix
 * stops on its own, before an update, once |Q_k^T Q_k - I|_F <= tolerance sqrt(M), so the
 * result (and its gradient) does not depend on the rest of the batch. One native kernel pair
 * where the backend has it (float32), else tfjs ops that stop when every matrix has.
 */
export function bjorckOrthogonalise(q0: tf.Tensor3D, o: BjorckOptions): tf.Tensor3D {
  const [B, D, M] = q0.shape;
  if (!Number.isInteger(o.maxIterations) || o.maxIterations < 0 || !(o.tolerance >= 0))
    throw new Error(`Björck orthogonalisation needs an integer maxIterations >= 0 and a tolerance >= 0; got ${o.maxIterations} and ${o.tolerance}`);
  if (M > D) throw new Error(`Björck orthogonalisation needs M <= D columns; got [${q0.shape}]`);
  if (hasKernel(BJORCK_KERNEL) && hasKernel(BJORCK_GRAD_KERNEL) && q0.dtype === 'float32') {
    return tf.engine().runKernel(BJORCK_KERNEL, { q: q0 }, { maxIterations: o.maxIterations, tolerance: o.tolerance }) as tf.Tensor3D;
  }
  const threshold = o.tolerance * o.tolerance * M;
  const eye = tf.eye(M);
  let q = q0;
  for (let k = 0; k < o.maxIterations; k++) {
    const next = tf.tidy((): tf.Tensor3D | undefined => {
      const gram = tf.matMul(q, q, true, false);
      const active = tf.greater(tf.sum(tf.square(tf.sub(gram, eye)), [1, 2]), threshold);
      if (!tf.any(active).dataSync()[0]) return undefined;
      const step = tf.sub(tf.mul(1.5, q), tf.mul(0.5, tf.matMul(q, gram)));
      return tf.where(tf.reshape(active, [B, 1, 1]), step, q) as tf.Tensor3D;
    });
    if (next === undefined) break;
    q = next;
  }
  eye.dispose();
  return q === q0 ? tf.clone(q0) : q;
}

/**
 * `VaeflowRQSpline`: inputs {v [..., D], widths, heights [..., D, K], derivatives [..., D, K - 1]}
 * (unnormalised, as a conditioner gives them), attrs {bound, minBinSize, minDerivative, inverse};
 * outputs [out, logAbsDet] shaped like v: the rational-quadratic spline of @vaeflow/flows-spline
 * applied elementwise (its inverse when `inverse`). `VaeflowRQSplineGrad`: the same inputs and
 * {dOut, dLogAbsDet}; outputs the gradients of v, widths, heights, derivatives. A backend that
 * has one has both.
 */
export const RQ_SPLINE_KERNEL = 'VaeflowRQSpline';
export const RQ_SPLINE_GRAD_KERNEL = 'VaeflowRQSplineGrad';
/** The most bins a backend's fused spline is asked to take. */
export const RQ_SPLINE_MAX_BINS = 64;

export interface RQSplineAttrs {
  bound: number;
  minBinSize: number;
  minDerivative: number;
  inverse: boolean;
}

tf.registerGradient({
  kernelName: RQ_SPLINE_KERNEL,
  inputsToSave: ['v', 'widths', 'heights', 'derivatives'],
  gradFunc: (dys, saved, attrs) => {
    const [dOut, dLogAbsDet] = dys as tf.Tensor[];
    const [v, widths, heights, derivatives] = saved;
    // One backward kernel gives all four gradients; the ones autodiff does not ask for are
    // disposed with the rest of the backward pass.
    const [gv, gw, gh, gd] = tf.engine().runKernel(RQ_SPLINE_GRAD_KERNEL, { v, widths, heights, derivatives, dOut, dLogAbsDet }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { v: () => gv, widths: () => gw, heights: () => gh, derivatives: () => gd };
  },
});

/**
 * The fused rational-quadratic spline where the active backend has it (float32, 2 <= K <= 64
 * bins), else null: the caller then composes it from tfjs ops, with the same maths.
 */
export function fusedRQSpline(v: tf.Tensor2D, theta: readonly tf.Tensor3D[], attrs: RQSplineAttrs): { out: tf.Tensor2D; logAbsDet: tf.Tensor2D } | null {
  const [widths, heights, derivatives] = theta;
  const K = widths.shape[2];
  if (!hasKernel(RQ_SPLINE_KERNEL) || !hasKernel(RQ_SPLINE_GRAD_KERNEL) || K > RQ_SPLINE_MAX_BINS || [v, ...theta].some((t) => t.dtype !== 'float32')) return null;
  const [out, logAbsDet] = tf.engine().runKernel(RQ_SPLINE_KERNEL, { v, widths, heights, derivatives }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { out: out as tf.Tensor2D, logAbsDet: logAbsDet as tf.Tensor2D };
}

/**
 * `VaeflowMLP`: inputs as a list [x [B, n_0], w_0 [n_0, n_1], b_0 [n_1], w_1, b_1, ...], attrs
 * {hidden, output, alpha}; output act_L(... act_1(x w_0 + b_0) ...) [B, n_L], hidden layers with
 * `hidden`, the last with `output` (linear, relu, leakyrelu with slope alpha, tanh, sigmoid, elu).
 * `VaeflowMLPGrad`: the same list and dy last; outputs [dx, dw_0, db_0, ...]. A backend that has
 * one has both.
 */
export const MLP_KERNEL = 'VaeflowMLP';
export const MLP_GRAD_KERNEL = 'VaeflowMLPGrad';
export type FusedMLPActivation = 'linear' | 'relu' | 'leakyrelu' | 'tanh' | 'sigmoid' | 'elu';
export interface FusedMLPAttrs {
  hidden: FusedMLPActivation;
  output: FusedMLPActivation;
  /** leakyrelu's slope for negative inputs */
  alpha: number;
}

tf.registerGradient({
  kernelName: MLP_KERNEL,
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const grads = tf.engine().runKernel(MLP_GRAD_KERNEL, [...saved, dy as tf.Tensor] as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    // one thunk per input, in the inputs' order (x, w_0, b_0, ...)
    return grads.map((g) => () => g) as unknown as Record<string, () => tf.Tensor>;
  },
});

/**
 * act_L(... act_1(x W_1 + b_1) ...) as one kernel and one for its gradient where the active
 * backend has them (float32), else null: the caller then applies its layers one by one.
 */
export function fusedMLP(x: tf.Tensor2D, layers: readonly { kernel: tf.Tensor; bias: tf.Tensor }[], attrs: FusedMLPAttrs): tf.Tensor2D | null {
  if (!hasKernel(MLP_KERNEL) || !hasKernel(MLP_GRAD_KERNEL) || x.dtype !== 'float32' || layers.length === 0) return null;
  const list = [x, ...layers.flatMap((l) => [l.kernel, l.bias])];
  return tf.engine().runKernel(MLP_KERNEL, list as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * `VaeflowAffineCoupling`: inputs {x [B, D], shift, logScale [B, D], mask [D] or [1, D] (1 where a
 * coordinate is kept)}, attrs {inverse}; outputs [y [B, D], logDet [B]], the affine coupling step
 * of Dinh et al. 2017 (arXiv 1605.08803) after its conditioner, with b the mask, t the shift, s the
 * log-scale:
 *   forward  y = b x + (1 - b) (x exp(s) + t),    logDet =  sum_i (1 - b_i) s_i
 *   inverse  y = b x + (1 - b) (x - t) exp(-s),   logDet = -sum_i (1 - b_i) s_i
 * `VaeflowAffineCouplingGrad`: the same inputs and {dy, dLogDet}; outputs [dx, dShift, dLogScale].
 * One kernel for what is otherwise nine ops and a dozen in the backward pass, which for the small
 * couplings of a flow prior (dpVAE: 6 blocks on a 2-D latent) cost more to dispatch than to compute.
 * A backend that has one has both.
 */
export const AFFINE_COUPLING_KERNEL = 'VaeflowAffineCoupling';
export const AFFINE_COUPLING_GRAD_KERNEL = 'VaeflowAffineCouplingGrad';

tf.registerGradient({
  kernelName: AFFINE_COUPLING_KERNEL,
  inputsToSave: ['x', 'shift', 'logScale', 'mask'],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dLogDet] = dys as tf.Tensor[];
    const [x, shift, logScale, mask] = saved;
    const [dx, dShift, dLogScale] = tf.engine().runKernel(AFFINE_COUPLING_GRAD_KERNEL, { x, shift, logScale, mask, dy, dLogDet }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    // The mask is a constant of the layer: autodiff never asks for its gradient.
    return { x: () => dx, shift: () => dShift, logScale: () => dLogScale, mask: () => tf.zerosLike(mask) };
  },
});

/**
 * The affine coupling step as one kernel (and one for its gradient) where the active backend has
 * it (float32), else null: the caller then composes it from tfjs ops, with the same maths.
 */
export function fusedAffineCoupling(x: tf.Tensor2D, shift: tf.Tensor2D, logScale: tf.Tensor2D, mask: tf.Tensor, inverse: boolean): { y: tf.Tensor2D; logDet: tf.Tensor1D } | null {
  if (!hasKernel(AFFINE_COUPLING_KERNEL) || !hasKernel(AFFINE_COUPLING_GRAD_KERNEL) || [x, shift, logScale, mask].some((t) => t.dtype !== 'float32')) return null;
  const [y, logDet] = tf.engine().runKernel(AFFINE_COUPLING_KERNEL, { x, shift, logScale, mask }, { inverse }) as tf.Tensor[];
  return { y: y as tf.Tensor2D, logDet: logDet as tf.Tensor1D };
}
