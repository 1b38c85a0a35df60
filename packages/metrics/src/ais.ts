import { Random, oneHotInTurn, tf, type LatentModel } from '@vaeflow/core';

/** Settings of annealed importance sampling with HMC transitions. */
export interface AisOptions {
  /** intermediate distributions between prior and posterior (more: tighter) */
  steps?: number;
  /** independent chains per example (the estimate is their log-mean-exp) */
  chains?: number;
  /** leapfrog steps per HMC transition */
  leapfrog?: number;
  /** initial leapfrog step size */
  stepSize?: number;
  /**
   * adapt the step size after every transition, one size for all chains, towards 65% acceptance
   * over the batch (x1.02 above, x0.98 below), as Wu et al. (2017) do; default true
   */
  adapt?: boolean;
  rng?: Random;
}

/** What AIS and BDMC return per example: the log-likelihood estimate and the HMC acceptance rate. */
export interface AisResult {
  logLikelihood: Float64Array;
  acceptance: number;
}

/** beta_t = sigmoid schedule from 0 to 1 (Grosse et al. 2015): denser near both ends. */
export function sigmoidSchedule(steps: number, rad = 4): number[] {
  const s = (x: number) => 1 / (1 + Math.exp(-x));
  const raw = Array.from({ length: steps + 1 }, (_, t) => s(-rad + (2 * rad * t) / steps));
  return raw.map((v) => (v - raw[0]) / (raw[steps] - raw[0]));
}

interface Annealer {
  model: LatentModel & { logLikelihoodGivenZ(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D };
  x: tf.Tensor2D;
  leapfrog: number;
  rng: Random;
  adapt: boolean;
}

/** log p(z) per row: the prior of the row's condition where the model has conditions, p(z|c). */
function priorLogProb(a: Annealer, z: tf.Tensor2D): tf.Tensor1D {
  return a.model.priorLogProbAt ? a.model.priorLogProbAt(a.x, z) : a.model.prior.logProb(z);
}

/** log f_beta(z) = log p(z) + beta log p(x|z) per row, and its gradient in z (one pass each). */
function logTarget(a: Annealer, beta: number) {
  const value = (z: tf.Tensor2D) => tf.add(priorLogProb(a, z), tf.mul(beta, a.model.logLikelihoodGivenZ(a.x, z))) as tf.Tensor1D;
  const grad = tf.grad((z: tf.Tensor) => tf.sum(value(z as tf.Tensor2D)));
  return { value, grad: (z: tf.Tensor2D) => grad(z) as tf.Tensor2D };
}

/**
 * One HMC transition leaving f_beta invariant, per row: momentum ~ N(0, I), `leapfrog` steps of
 * size eps (a column), Metropolis accept/reject; when adapting, eps grows 2% when more than 65%
 * of the batch accepted and shrinks 2% otherwise. `ll` is log p(x|z) at z, which the caller has
 * for the weights already; the leapfrog steps need gradients only, and log f only at the end.
 * Returns the new z and eps and the acceptances.
 */
function hmc(a: Annealer, z: tf.Tensor2D, ll: Float32Array, eps: tf.Tensor2D, beta: number): { z: tf.Tensor2D; eps: tf.Tensor2D; accepted: number } {
  return tf.tidy(() => {
    const target = logTarget(a, beta);
    const p0 = a.rng.normal(z.shape) as tf.Tensor2D;
    const startValue = tf.add(priorLogProb(a, z), tf.mul(beta, tf.tensor1d(ll)));
    let q = z;
    let p = tf.add(p0, tf.mul(tf.mul(0.5, eps), target.grad(z))) as tf.Tensor2D;
    for (let l = 0; l < a.leapfrog; l++) {
      q = tf.add(q, tf.mul(eps, p)) as tf.Tensor2D;
      p = tf.add(p, tf.mul(l === a.leapfrog - 1 ? tf.mul(0.5, eps) : eps, target.grad(q))) as tf.Tensor2D;
    }
    // log acceptance ratio: H(start) - H(end), H = -log f + |p|^2 / 2
    const logRatio = tf.add(tf.sub(target.value(q), startValue), tf.mul(0.5, tf.sub(tf.sum(tf.square(p0), 1), tf.sum(tf.square(p), 1))));
    const u = tf.log(a.rng.uniform([z.shape[0]]));
    const accept = tf.logicalAnd(tf.less(u, logRatio), tf.isFinite(logRatio));
    const acceptCol = tf.reshape(accept, [-1, 1]);
    const next = tf.where(acceptCol, q, z) as tf.Tensor2D;
    const accepted = tf.sum(tf.cast(accept, 'float32')).dataSync()[0];
    const nextEps = a.adapt ? (tf.mul(eps, accepted / z.shape[0] > 0.65 ? 1.02 : 0.98) as tf.Tensor2D) : tf.clone(eps);
    return { z: next, eps: nextEps, accepted };
  });
}

function requireDecoder(model: LatentModel): Annealer['model'] {
  if (!model.logLikelihoodGivenZ) throw new Error(`annealed importance sampling needs log p(x|z); the ${model.kind} model does not give it`);
  return model as Annealer['model'];
}

/** log-mean-exp over the chains of each example, [B*K] row-major by example -> [B]. */
function logMeanExp(w: Float32Array | Float64Array, B: number, K: number): Float64Array {
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, w[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(w[b * K + k] - m);
    out[b] = m + Math.log(s / K);
  }
  return out;
}

/**
 * Annealed importance sampling (Neal 2001) from the prior to the posterior, f_t(z) = p(z) p(x|z)^beta_t
 * with HMC transitions, for a batch x: a stochastic lower bound on log p(x) per example (for a
 * conditional model, rows [x, c], on log p(x|c) from p(z|c)), which
 * reaches it as `steps` grows (Wu et al. 2017). Each example runs `chains` chains; the estimate
 * is the log-mean-exp of their weights.
 */
export function aisLogLikelihood(model: LatentModel, x: tf.Tensor2D, o: AisOptions = {}): AisResult {
  const a: Annealer = { model: requireDecoder(model), x: tf.tidy(() => repeatEach(x, o.chains ?? 16)), leapfrog: o.leapfrog ?? 5, rng: o.rng ?? new Random('ais'), adapt: o.adapt ?? true };
  const B = x.shape[0];
  const K = o.chains ?? 16;
  const betas = sigmoidSchedule(o.steps ?? 500);
  let z = a.model.samplePriorAt ? a.model.samplePriorAt(a.x, a.rng) : a.model.prior.sample(B * K, a.rng);
  let eps = tf.fill([B * K, 1], o.stepSize ?? 0.1) as tf.Tensor2D;
  const logw = new Float64Array(B * K);
  let accepted = 0;
  for (let t = 1; t < betas.length; t++) {
    const ll = tf.tidy(() => a.model.logLikelihoodGivenZ(a.x, z).dataSync() as Float32Array);
    for (let i = 0; i < logw.length; i++) logw[i] += (betas[t] - betas[t - 1]) * ll[i];
    const r = hmc(a, z, ll, eps, betas[t]);
    tf.dispose([z, eps]);
    ({ z, eps } = r);
    accepted += r.accepted;
  }
  tf.dispose([z, eps, a.x]);
  return { logLikelihood: logMeanExp(logw, B, K), acceptance: accepted / ((betas.length - 1) * B * K) };
}

/**
 * Bidirectional Monte Carlo (Grosse et al. 2015; Wu et al. 2017) on data simulated from the model:
 * z* ~ p(z), x ~ p(x|z*), so z* is an exact posterior sample for x (a conditional model simulates
 * rows [x, c], its classes in turn, and the bounds are on log p(x|c)); `x` is the simulated rows. Forward AIS gives a stochastic
 * lower bound on log p(x); AIS run in reverse from z* (beta from 1 to 0) gives a stochastic upper
 * bound, -log-mean-exp of the reverse weights. The gap between them bounds the error of the
 * forward estimate on such data.
 */
export function bdmc(model: LatentModel, n: number, o: AisOptions = {}): { x: tf.Tensor2D; lower: AisResult; upper: AisResult } {
  const m = requireDecoder(model);
  if (!model.sampleGivenZ) throw new Error(`bidirectional Monte Carlo simulates data with p(x|z); the ${model.kind} model does not give it`);
  const rng = o.rng ?? new Random('bdmc');
  const K = o.chains ?? 16;
  // A conditional model simulates rows [x, c] with its classes in turn: z* ~ p(z|c), x ~ p(x|z*, c).
  const C = model.conditionDim ?? 0;
  const condition = C ? tf.tensor2d(oneHotInTurn(n, C), [n, C]) : undefined;
  const zStar = condition ? m.prior.sample(n, rng, condition) : m.prior.sample(n, rng);
  const x = tf.tidy(() => {
    const data = model.sampleGivenZ!(zStar, rng, condition);
    return condition ? (tf.concat([data, condition], 1) as tf.Tensor2D) : data;
  });
  condition?.dispose();
  const lower = aisLogLikelihood(model, x, { ...o, rng });
  // Reverse AIS from the exact posterior sample, the same schedule walked backwards.
  const a: Annealer = { model: m, x: tf.tidy(() => repeatEach(x, K)), leapfrog: o.leapfrog ?? 5, rng, adapt: o.adapt ?? true };
  const betas = sigmoidSchedule(o.steps ?? 500);
  let z = tf.tidy(() => repeatEach(zStar, K));
  zStar.dispose();
  let eps = tf.fill([n * K, 1], o.stepSize ?? 0.1) as tf.Tensor2D;
  const logw = new Float64Array(n * K);
  let accepted = 0;
  for (let t = betas.length - 1; t >= 1; t--) {
    const ll = tf.tidy(() => a.model.logLikelihoodGivenZ(a.x, z).dataSync() as Float32Array);
    for (let i = 0; i < logw.length; i++) logw[i] += (betas[t - 1] - betas[t]) * ll[i];
    const r = hmc(a, z, ll, eps, betas[t - 1]);
    tf.dispose([z, eps]);
    ({ z, eps } = r);
    accepted += r.accepted;
  }
  tf.dispose([z, eps, a.x]);
  const upper = logMeanExp(logw, n, K).map((v) => -v);
  return { x, lower, upper: { logLikelihood: upper, acceptance: accepted / ((betas.length - 1) * n * K) } };
}

/** Each row repeated k times in a row: [B, D] -> [B*k, D], example-major (chains of one example together). */
function repeatEach(x: tf.Tensor2D, k: number): tf.Tensor2D {
  const [B, D] = x.shape;
  return tf.reshape(tf.tile(tf.reshape(x, [B, 1, D]), [1, k, 1]), [B * k, D]) as tf.Tensor2D;
}
