import { Dense, FlowChain, Module, Preprocessing, logMeanExp, repeatRows, standardNormalLogProb, tf } from '@vaeflow/core';
import type { Decoder, Encoder, Flow, LatentModel, LatentTerms, Objective, Prior, Random } from '@vaeflow/core';
import { coreIndices, type CorePartition } from './masks.js';

/** `linear`: learnable linear features w = h(x) as core, in the expanded space (x, w); `centre`/`corner`: a pixel partition. */
export type AefCore = 'linear' | CorePartition;

export interface AefParts {
  latentDim: number;
  inputShape: number[];
  core: AefCore;
  preprocessing: Flow[];
  encoder: Encoder;
  /** applied in their forward direction as the core encoder n^-1 (core -> noise); may be empty */
  coreFlows: Flow[];
  prior: Prior;
  decoder: Decoder;
  /** epsilon added to the softplus scale g_s (the authors use 1e-5) */
  scaleEpsilon: number;
  /** std of the importance proposal q(w) = N(h(x), s^2) for the linear AEF's marginal likelihood (tuned by {@link AEF.tuneEstimator}) */
  importanceScale: number;
}

/** Candidate importance-sampling scales tried on validation data (appendix C: "tuned on the validation set"). */
export const IMPORTANCE_SCALES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
/** How many scales past an end of {@link IMPORTANCE_SCALES} the proposal-scale search tries at most. */
export const MAX_WIDENING = 4;

/**
 * Autoencoder within flows (Silvestri et al., seed 003): a bijection Phi^-1 from data to latent
 * code z and residuals delta, trained by exact maximum likelihood.
 *
 *   core u = n^-1(c),  z = g_m(s) + g_s(s) * u,  delta = s - f(z),
 *   log p = log p0(z) + log r(delta) + log|det dn^-1/dc| + sum log g_s          (eq. 7 / alg. 1)
 *
 * where, after the preprocessing y = T(x) (logit, ActNorm; counted), a partition AEF takes the
 * core c = the L masked pixels of y and the shell s = y with them zeroed (residuals only on
 * shell pixels), and the linear AEF takes c = w = h(y), a learned linear map, and s = y (eq. 9-10,
 * the likelihood of (x, w) in the expanded space). r is the decoder's likelihood (Gaussian with a
 * learned per-pixel scale), p0 the prior (a MAF flow prior in the paper), n the core flows.
 * Sampling: z ~ p0, then y = f(z) (linear, alg. 3) or shell = f(z) and c = n((z - g_m)/g_s)
 * (partition, alg. 2), then x = T^-1(y).
 */
export class AEF extends Module implements LatentModel {
  readonly kind = 'aef';
  readonly latentDim: number;
  readonly core: AefCore;
  readonly preprocessing: Preprocessing;
  readonly encoder: Encoder;
  readonly head: Dense;
  /** n^-1, applied forward */
  readonly coreFlows: FlowChain;
  readonly prior: Prior;
  readonly decoder: Decoder;
  /** h: y -> w, the linear AEF's feature expansion */
  readonly features?: Dense;
  importanceScale: number;
  private readonly scaleEpsilon: number;
  private readonly inputDim: number;
  /** partition AEF: [L, D] one-hot rows placing the core variables, and the [1, D] shell indicator */
  private readonly place?: tf.Tensor2D;
  private readonly shellMask?: tf.Tensor2D;
  /** partition AEF: [D - L, D] one-hot rows of the shell variables (gathers by matMul: gather's gradient has no wasm kernel) */
  private readonly shellPlace?: tf.Tensor2D;

  constructor(p: AefParts, rng: Random) {
    super();
    this.latentDim = p.latentDim;
    this.core = p.core;
    this.inputDim = p.inputShape.reduce((a, b) => a * b, 1);
    this.scaleEpsilon = p.scaleEpsilon;
    this.importanceScale = p.importanceScale;
    this.preprocessing = this.addChild('preprocessing', new Preprocessing(p.preprocessing));
    this.encoder = this.addChild('encoder', p.encoder);
    this.head = this.addChild('head', new Dense(rng, p.encoder.featureDim, 2 * p.latentDim));
    for (const f of p.coreFlows) {
      if (f.dim !== p.latentDim) throw new Error(`core flow "${f.id}" has dimension ${f.dim}, not the latent size ${p.latentDim}`);
      if (f.conditional) throw new Error(`core flow "${f.id}" is conditional; the core encoder n takes no context (set "conditional": false)`);
    }
    this.coreFlows = this.addChild('coreFlows', new FlowChain(p.coreFlows, p.core === 'linear' ? undefined : `a ${p.core} AEF needs the core flow's inverse n to sample (algorithm 2)`));
    this.prior = this.addChild('prior', p.prior);
    this.decoder = this.addChild('decoder', p.decoder);
    if (p.core === 'linear') {
      this.features = this.addChild('features', new Dense(rng, this.inputDim, p.latentDim));
    } else {
      const idx = coreIndices(p.core, p.inputShape, p.latentDim);
      const D = this.inputDim;
      const place = new Float32Array(p.latentDim * D);
      const shell = new Float32Array(D).fill(1);
      idx.forEach((d, i) => {
        place[i * D + d] = 1;
        shell[d] = 0;
      });
      this.place = tf.tensor2d(place, [p.latentDim, D]);
      this.shellMask = tf.tensor2d(shell, [1, D]);
      const shellIdx = [...shell.keys()].filter((d) => shell[d] === 1);
      const shellPlace = new Float32Array(shellIdx.length * D);
      shellIdx.forEach((d, i) => (shellPlace[i * D + d] = 1));
      this.shellPlace = tf.tensor2d(shellPlace, [shellIdx.length, D]);
    }
  }

  /**
   * A partition AEF's terms give log p(x) exactly; the linear AEF's give log p(x, h(x)) in the
   * expanded space (its training objective, also exact), and p(x) needs {@link logWeights}.
   */
  get exactLikelihood(): boolean {
    return this.core !== 'linear';
  }

  objectiveProblem(objective: Objective): string | null {
    return objective.id === 'nll' ? null : `an AEF is trained by its exact negative log-likelihood (seed 003, eq. 7 and 10), not "${objective.id}"; use { "type": "nll" }`;
  }

  /** (g_m, g_s) from encoder features; g_s = softplus + epsilon. */
  private scales(h: tf.Tensor2D): { gm: tf.Tensor2D; gs: tf.Tensor2D } {
    const L = this.latentDim;
    const out = this.head.apply(h);
    const gm = tf.slice(out, [0, 0], [-1, L]) as tf.Tensor2D;
    const gs = tf.add(tf.softplus(tf.slice(out, [0, L], [-1, L])), this.scaleEpsilon) as tf.Tensor2D;
    return { gm, gs };
  }

  /** The encoder's input: the whole y (linear) or the shell, with the core pixels zeroed. */
  private encoderInput(y: tf.Tensor2D): tf.Tensor2D {
    return this.shellMask ? (tf.mul(y, this.shellMask) as tf.Tensor2D) : y;
  }

  /** The core variables of y (partition) or the features w = h(y) (linear). */
  coreOf(y: tf.Tensor2D): tf.Tensor2D {
    return this.place ? (tf.matMul(y, this.place, false, true) as tf.Tensor2D) : this.features!.apply(y);
  }

  /**
   * The encoding half of Phi^-1 for preprocessed data y: z with log|det dz/dc| = log|det dn^-1| + sum log g_s.
   * `w` replaces h(y) as the linear AEF's core (importance sampling, and the bijection on (x, w)).
   */
  encodeLatent(y: tf.Tensor2D, training: boolean, w?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    const { z: u, logDet: logDetN } = this.coreFlows.forward(w ?? this.coreOf(y));
    const { gm, gs } = this.scales(this.encoder.encode(this.encoderInput(y), training));
    const z = tf.add(gm, tf.mul(gs, u)) as tf.Tensor2D;
    return { z, logDet: tf.add(logDetN, tf.sum(tf.log(gs), 1)) as tf.Tensor1D };
  }

  /** log r(delta) with delta = s - f(z): over every dimension (linear) or the shell only (partition). */
  residualLogProb(y: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
    const lik = this.decoder.decode(z);
    if (!this.shellMask) return lik.logProb(y);
    if (!lik.logProbPerDim) throw new Error('a partition AEF needs a likelihood with per-dimension densities (logProbPerDim), such as "gaussian"');
    return tf.sum(tf.mul(lik.logProbPerDim(y), this.shellMask), 1) as tf.Tensor1D;
  }

  /** The decoding half: preprocessed y from z with zero residual (algorithm 3 for linear, algorithm 2 for a partition). */
  decodeLatent(z: tf.Tensor2D, delta?: tf.Tensor2D): tf.Tensor2D {
    let s = this.decoder.decode(z).mean();
    if (delta) s = tf.add(s, delta) as tf.Tensor2D;
    if (!this.place) return s;
    const shell = tf.mul(s, this.shellMask!) as tf.Tensor2D;
    const { gm, gs } = this.scales(this.encoder.encode(shell, false));
    const c = this.coreFlows.inverse(tf.div(tf.sub(z, gm), gs) as tf.Tensor2D);
    return tf.add(shell, tf.matMul(c, this.place)) as tf.Tensor2D;
  }

  /** The AEF is deterministic: `rng` is unused. */
  terms(x: tf.Tensor2D, _rng: Random | null, training: boolean): LatentTerms {
    const { y, logDet: logDetT } = this.preprocessing.forward(x);
    const { z, logDet } = this.encodeLatent(y, training);
    const logPx = tf.add(this.residualLogProb(y, z), logDetT) as tf.Tensor1D;
    const logPz = this.prior.logProb(z);
    const logQz = tf.neg(logDet) as tf.Tensor1D;
    return { logPx, logPz, logQz, kl: tf.sub(logQz, logPz) as tf.Tensor1D, z, mean: z };
  }

  /** log p(x) per example (partition), or log p(x, h(x)) in the expanded space (linear). */
  logLikelihood(x: tf.Tensor2D): tf.Tensor1D {
    const t = this.terms(x, null, false);
    return tf.sub(tf.add(t.logPx, t.logPz), t.logQz) as tf.Tensor1D;
  }

  /**
   * Importance log-weights for log p(x), [B, K]. A partition AEF's likelihood is exact, so every
   * weight is log p(x). The linear AEF marginalises w (appendix C): w_k ~ q = N(h(y), s^2 I),
   * weight = log p(x, w_k) - log q(w_k), whose log-mean-exp (with its -log K) estimates log p(x).
   */
  logWeights(x: tf.Tensor2D, k: number, rng: Random): tf.Tensor2D {
    const B = x.shape[0];
    if (this.core !== 'linear') return tf.tile(tf.expandDims(this.logLikelihood(x), 1), [1, k]) as tf.Tensor2D;
    const L = this.latentDim;
    const s = this.importanceScale;
    const { y, logDet: logDetT } = this.preprocessing.forward(x);
    // w_k = h(y) + s eps, log q(w_k) = log N(eps; 0, I) - L log s.
    const eps = rng.normal([B * k, L]) as tf.Tensor2D;
    const w = tf.add(repeatRows(this.features!.apply(y), k), tf.mul(s, eps)) as tf.Tensor2D;
    const logQ = tf.sub(standardNormalLogProb(eps), L * Math.log(s));
    // The encoder runs once per example; its g_m, g_s are repeated for the K samples.
    const { z: u, logDet: logDetN } = this.coreFlows.forward(w);
    const { gm, gs } = this.scales(this.encoder.encode(y, false));
    const z = tf.add(repeatRows(gm, k), tf.mul(repeatRows(gs, k), u)) as tf.Tensor2D;
    const logDet = tf.add(logDetN, tf.reshape(repeatRows(tf.sum(tf.log(gs), 1, true) as tf.Tensor2D, k), [B * k]));
    const joint = tf.add(tf.add(this.residualLogProb(repeatRows(y, k), z), this.prior.logProb(z)), logDet);
    const lw = tf.add(tf.reshape(tf.sub(joint, logQ), [B, k]), tf.expandDims(logDetT, 1));
    // A sample far out in the proposal's tail can overflow the flows (NaN or +Inf). Its weight
    // is counted as 0 (log weight -Inf): a weight lowered to 0 only lowers the estimate, so it
    // stays a lower bound on log p(x) in expectation, where one NaN would make it not a number.
    const invalid = tf.logicalOr(tf.isNaN(lw), tf.equal(lw, Infinity));
    return tf.where(invalid, tf.fill([B, k], Number.NEGATIVE_INFINITY), lw) as tf.Tensor2D;
  }

  /**
   * Picks the importance scale s with the highest estimate of log p(x) on validation data (a
   * lower bound in expectation for every s, so the highest is the tightest). Linear AEF only.
   * A scale whose estimate is not finite for some example (every weight zero, or a weight that
   * {@link AEF.logWeights} did not sanitise) is passed over. `rejectedScales` counts them; if
   * every scale is rejected the current one stays. When the best scale is an end of the grid, the search goes on past
   * that end (same ratio as the grid's last step, at most {@link MAX_WIDENING} more scales) while
   * the estimate keeps rising; `widenedScales` counts the scales tried beyond the grid.
   */
  tuneEstimator(val: tf.Tensor2D, rng: Random, k = 128, scales = IMPORTANCE_SCALES): Record<string, number> {
    if (this.core !== 'linear') return {};
    const estimateAt = (s: number) => {
      this.importanceScale = s;
      let total = 0;
      const n = val.shape[0];
      const chunk = Math.max(1, Math.floor(1024 / k)); // rows per pass stay bounded (the wasm heap is a few GB)
      for (let from = 0; from < n; from += chunk) {
        const b = Math.min(chunk, n - from);
        total += tf.tidy(() => tf.sum(logMeanExp(this.logWeights(tf.slice(val, [from, 0], [b, -1]), k, rng), 1)).dataSync()[0]);
      }
      return total / n;
    };
    const initial = this.importanceScale;
    let best = { scale: initial, value: -Infinity };
    let rejected = 0;
    for (const s of scales) {
      const value = estimateAt(s);
      if (!Number.isFinite(value)) rejected++;
      else if (value > best.value) best = { scale: s, value };
    }
    let widened = 0;
    const last = scales.length - 1;
    const ends = [
      { edge: scales[last], ratio: scales[last] / scales[last - 1] },
      { edge: scales[0], ratio: scales[0] / scales[1] },
    ];
    for (const { edge, ratio } of ends) {
      if (scales.length < 2 || best.scale !== edge || !Number.isFinite(best.value)) continue;
      for (let s = edge * ratio, i = 0; i < MAX_WIDENING; i++, s *= ratio) {
        widened++;
        const value = estimateAt(s);
        if (!Number.isFinite(value) || value <= best.value) break;
        best = { scale: s, value };
      }
    }
    this.importanceScale = Number.isFinite(best.value) ? best.scale : initial;
    return { importanceScale: this.importanceScale, importanceTuningLogLikelihood: best.value, rejectedScales: rejected, widenedScales: widened };
  }

  generate(n: number, rng: Random): tf.Tensor2D {
    return this.preprocessing.inverse(this.decodeLatent(this.prior.sample(n, rng)));
  }

  reconstruct(x: tf.Tensor2D): tf.Tensor2D {
    return this.preprocessing.inverse(this.decodeLatent(this.encodeMean(x)));
  }

  /** The deterministic code z of each example. */
  encodeMean(x: tf.Tensor2D): tf.Tensor2D {
    return this.encodeLatent(this.preprocessing.forward(x).y, false).z;
  }

  // --- Phi^-1 as one bijection in flat coordinates (for tests and analysis) ---

  /** Width of the bijection's input: D for a partition, D + L for the linear AEF (x and w). */
  get bijectionDim(): number {
    return this.core === 'linear' ? this.inputDim + this.latentDim : this.inputDim;
  }

  /**
   * Phi^-1 on preprocessed data: v = y (partition) or [y, w] (linear) -> [z, delta], delta over
   * the shell (partition) or all of y (linear), with log|det dPhi^-1/dv| per example.
   */
  phiInverse(v: tf.Tensor2D): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    const D = this.inputDim;
    const y = this.core === 'linear' ? (tf.slice(v, [0, 0], [-1, D]) as tf.Tensor2D) : v;
    const w = this.core === 'linear' ? (tf.slice(v, [0, D], [-1, this.latentDim]) as tf.Tensor2D) : undefined;
    const { z, logDet } = this.encodeLatent(y, false, w);
    let delta = tf.sub(y, this.decoder.decode(z).mean()) as tf.Tensor2D;
    if (this.shellPlace) delta = tf.matMul(delta, this.shellPlace, false, true) as tf.Tensor2D;
    return { out: tf.concat([z, delta], 1) as tf.Tensor2D, logDet };
  }

  /** Phi: [z, delta] -> v, the inverse of {@link phiInverse}. */
  phi(out: tf.Tensor2D): tf.Tensor2D {
    const L = this.latentDim;
    const z = tf.slice(out, [0, 0], [-1, L]) as tf.Tensor2D;
    const rest = tf.slice(out, [0, L], [-1, -1]) as tf.Tensor2D;
    if (this.core === 'linear') {
      const y = tf.add(this.decoder.decode(z).mean(), rest) as tf.Tensor2D;
      const { gm, gs } = this.scales(this.encoder.encode(y, false));
      const w = this.coreFlows.inverse(tf.div(tf.sub(z, gm), gs) as tf.Tensor2D);
      return tf.concat([y, w], 1) as tf.Tensor2D;
    }
    // Scatter the shell residuals back to [B, D] (zeros on the core pixels), then decode as algorithm 2.
    const delta = tf.matMul(rest, this.shellPlace!) as tf.Tensor2D;
    return this.decodeLatent(z, delta);
  }

  override dispose(): void {
    super.dispose();
    this.place?.dispose();
    this.shellMask?.dispose();
    this.shellPlace?.dispose();
  }
}
