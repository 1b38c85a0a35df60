import { beforeAll, describe, expect, it } from 'vitest';
import {
  BaseFlow,
  Dense,
  GaussianLikelihood,
  LOG_2PI,
  MLPDecoder,
  MLPEncoder,
  Module,
  Random,
  createRegistry,
  defineComponent,
  definePlugin,
  logAbsDet,
  logMeanExp,
  resolveManifest,
  buildFromManifest,
  ManifestError,
  selectBackend,
  tf,
  type Dataset,
  type Decoder,
  type Encoder,
  type Likelihood,
  StandardNormalPrior,
} from '@vaeflow/core';
import { batchJacobian, describeFlowConformance } from '@vaeflow/core/testing';
import { AEF, LogitFlow, MAX_WIDENING, coreIndices, plugin, type AefCore } from '../src/index.js';

beforeAll(async () => {
  await selectBackend('wasm', { log: null });
});

describeFlowConformance('logit', ({ dim }) => new LogitFlow(dim, 1e-3), {
  parameterFree: true,
  sampleInput: (rng, shape) => tf.add(0.05, tf.mul(0.9, rng.uniform(shape))) as tf.Tensor2D,
});

/** z -> z * exp(s) + b per dimension, with s and b trainable: an invertible, unconditional core flow for tests. */
class ElementwiseAffine extends BaseFlow {
  readonly id = 'elementwise-affine';
  override readonly invertible = true;
  readonly s: tf.Variable;
  readonly b: tf.Variable;
  constructor(dim: number, rng: Random) {
    super(dim, false);
    this.s = this.addParam('s', tf.mul(rng.normal([1, dim]), 0.3));
    this.b = this.addParam('b', tf.mul(rng.normal([1, dim]), 0.3));
  }
  protected forward(z: tf.Tensor2D) {
    return { z: tf.add(tf.mul(z, tf.exp(this.s)), this.b) as tf.Tensor2D, logDet: tf.mul(tf.ones([z.shape[0]]), tf.sum(this.s)) as tf.Tensor1D };
  }
  protected override inverse(y: tf.Tensor2D) {
    return { z: tf.mul(tf.sub(y, this.b), tf.exp(tf.neg(this.s))) as tf.Tensor2D, logDet: tf.mul(tf.ones([y.shape[0]]), tf.neg(tf.sum(this.s))) as tf.Tensor1D };
  }
}

const SHAPE = [3, 3, 1];
const D = 9;
const L = 2;

/** A small AEF on 3x3 images with every part non-trivial: tanh MLPs, an affine core flow, logit preprocessing. */
function smallAef(core: AefCore, seed: string, likelihoodScale: 'learned' | number = 'learned'): AEF {
  const rng = new Random(seed);
  const lik = new GaussianLikelihood(D, likelihoodScale, 1e-3, 0.7);
  const aef = new AEF(
    {
      latentDim: L,
      inputShape: SHAPE,
      core,
      preprocessing: [new LogitFlow(D, 1e-3)],
      encoder: new MLPEncoder(rng, D, [8], 'tanh'),
      coreFlows: [new ElementwiseAffine(L, rng)],
      prior: new StandardNormalPrior(L),
      decoder: new MLPDecoder(rng, L, [8], D, 'tanh', lik),
      scaleEpsilon: 1e-5,
      importanceScale: 0.1,
    },
    rng,
  );
  // Move every weight off its initialisation so no check passes by symmetry.
  for (const v of aef.trainableVariables()) tf.tidy(() => v.assign(tf.add(v, tf.mul(rng.normal(v.shape), 0.2))));
  return aef;
}

describe('core masks', () => {
  it('centre takes the pixels nearest the centre, corner the four corners first', () => {
    expect(coreIndices('centre', [28, 28, 1], 4)).toEqual([13 * 28 + 13, 13 * 28 + 14, 14 * 28 + 13, 14 * 28 + 14]);
    expect(coreIndices('corner', [28, 28, 1], 4)).toEqual([0, 27, 27 * 28, 27 * 28 + 27]);
    for (const p of ['centre', 'corner'] as const) {
      const idx = coreIndices(p, [28, 28, 1], 32);
      expect(new Set(idx).size).toBe(32);
      expect(Math.max(...idx)).toBeLessThan(784);
    }
  });
  it('refuses a core as large as the image, or non-image data', () => {
    expect(() => coreIndices('centre', [3, 3, 1], 9)).toThrow(/latentDim < 9/);
    expect(() => coreIndices('corner', [2], 1)).toThrow(/image data/);
  });
});

describe('Phi^-1 is a bijection with the log-determinant it reports', () => {
  for (const core of ['linear', 'centre', 'corner'] as const) {
    it(`${core}: round trip and log|det| against the autodiff Jacobian`, () => {
      const aef = smallAef(core, `phi-${core}`);
      const rng = new Random(`v-${core}`);
      const B = 3;
      const v = tf.tidy(() => {
        const y = rng.normal([B, D]);
        return (core === 'linear' ? tf.concat([y, rng.normal([B, L])], 1) : y) as tf.Tensor2D;
      });
      expect(v.shape[1]).toBe(aef.bijectionDim);
      const { out, logDet } = aef.phiInverse(v);
      expect(out.shape[1]).toBe(aef.bijectionDim);
      const back = aef.phi(out);
      const err = tf.max(tf.abs(tf.sub(back, v))).dataSync()[0];
      expect(err).toBeLessThan(1e-3);
      const J = batchJacobian((t) => aef.phiInverse(t).out, v);
      const reported = logDet.dataSync();
      for (let b = 0; b < B; b++) expect(Math.abs(reported[b] - logAbsDet(J[b]))).toBeLessThan(2e-3);
    });
  }

  it('counts every log-determinant: log p(x) = log p0(z) + log r(delta) + log|det d[z, delta]/dx| through the preprocessing', () => {
    const sigma = 0.5;
    const aef = smallAef('centre', 'full-density', sigma);
    const rng = new Random('x');
    const x = tf.add(0.1, tf.mul(0.8, rng.uniform([3, D]))) as tf.Tensor2D;
    const whole = (t: tf.Tensor2D) => aef.phiInverse(aef.preprocessing.forward(t).y).out;
    const J = batchJacobian(whole, x);
    const out = whole(x).arraySync() as number[][];
    const reported = aef.logLikelihood(x).dataSync();
    for (let b = 0; b < 3; b++) {
      const [z, delta] = [out[b].slice(0, L), out[b].slice(L)];
      const logP0 = z.reduce((a, v) => a - 0.5 * (v * v + LOG_2PI), 0);
      const logR = delta.reduce((a, v) => a - 0.5 * ((v / sigma) ** 2 + LOG_2PI) - Math.log(sigma), 0);
      expect(Math.abs(reported[b] - (logP0 + logR + logAbsDet(J[b])))).toBeLessThan(2e-3);
    }
  });
});

/** Encoder features = y itself, so the AEF head is an affine map of y we can set. */
class IdentityEncoder extends Module implements Encoder {
  constructor(readonly featureDim: number) {
    super();
  }
  encode(x: tf.Tensor2D): tf.Tensor2D {
    return x;
  }
}

/** f(z) = C z + c with a fixed-scale Gaussian residual. */
class LinearDecoder extends Module implements Decoder {
  readonly dense: Dense;
  constructor(
    rng: Random,
    readonly lik: GaussianLikelihood,
  ) {
    super();
    this.dense = this.addChild('dense', new Dense(rng, L, D));
  }
  decode(z: tf.Tensor2D): Likelihood {
    return this.lik.distribution(this.dense.apply(z));
  }
}

describe('importance-sampled likelihood of the linear AEF', () => {
  it('matches the closed-form marginal of a linear Gaussian AEF, p(x) = N(x; c, C C^T + sigma^2 I)', () => {
    // With z = A y + a + g * w, delta = y - C z - c, p0 = N(0, I) and r = N(0, sigma^2 I), integrating
    // w out gives N(y; c, C C^T + sigma^2 I) whatever A, a, g and h are. Choosing them so that
    // the posterior of w is centred on h(y) makes the proposal a good one, as training would.
    const sigma = 0.4;
    const rng = new Random('linear-gaussian');
    const decoder = new LinearDecoder(rng, new GaussianLikelihood(D, sigma, 0, 1));
    const aef = new AEF(
      {
        latentDim: L,
        inputShape: SHAPE,
        core: 'linear',
        preprocessing: [],
        encoder: new IdentityEncoder(D),
        coreFlows: [],
        prior: new StandardNormalPrior(L),
        decoder,
        scaleEpsilon: 1e-5,
        importanceScale: 0.1,
      },
      rng,
    );
    const C = decoder.dense.kernel.arraySync() as number[][]; // [L, D]: f(z) = z C + c
    const c = decoder.dense.bias.arraySync() as number[];
    const F = aef.features!.kernel.arraySync() as number[][]; // [D, L]: w = y F + bF
    const bF = aef.features!.bias.arraySync() as number[];
    // Posterior of z given y: S = (I + C C^T / sigma^2)^-1, mean = (y - c) C^T S / sigma^2.
    const Ct = tf.tensor2d(C);
    const S = tf.tidy(() => tf.tensor2d(invert2(tf.add(tf.eye(L), tf.div(tf.matMul(Ct, Ct, false, true), sigma * sigma)).arraySync() as number[][])));
    const M = tf.tidy(() => tf.div(tf.matMul(Ct, S, true, false), sigma * sigma)); // [D, L]: mean = (y - c) M
    // g = 1: z = gm + w, so set gm = (y - c) M - (y F + bF), i.e. kernel K = M - F, bias = -c M - bF.
    const K = tf.sub(M, tf.tensor2d(F));
    const bias = tf.sub(tf.neg(tf.matMul(tf.tensor2d([c]), M)), tf.tensor2d([bF]));
    const softplusInv1 = Math.log(Math.expm1(1 - 1e-5));
    aef.head.kernel.assign(tf.concat([K, tf.zeros([D, L])], 1));
    aef.head.bias.assign(tf.concat([tf.reshape(bias, [L]), tf.fill([L], softplusInv1)]));

    const x = tf.tidy(() => tf.add(tf.matMul(rng.normal([4, L]), Ct), tf.add(tf.tensor1d(c), tf.mul(sigma, rng.normal([4, D]))))) as tf.Tensor2D;
    const cov = tf.add(tf.matMul(Ct, Ct, true, false), tf.mul(sigma * sigma, tf.eye(D)));
    const exact = gaussianLogDensity(x.arraySync() as number[][], c, cov.arraySync() as number[][]);

    const chosen = aef.tuneEstimator(x, new Random('tune'), 256);
    expect(chosen.importanceScale).toBeGreaterThan(0);
    const K_ = 2000;
    const lw = aef.logWeights(x, K_, new Random('is'));
    const estimate = tf.sub(tf.logSumExp(lw, 1), Math.log(K_)).dataSync();
    for (let i = 0; i < 4; i++) expect(Math.abs(estimate[i] - exact[i])).toBeLessThan(0.05);
    // Without the -log K term the estimate would be off by log K = 7.6 nats.
    const withoutLogK = tf.logSumExp(lw, 1).dataSync();
    expect(Math.abs(withoutLogK[0] - exact[0])).toBeGreaterThan(7);
  });

  it('passes over a proposal scale whose estimate is not finite (a flow overflowing is not a tighter bound)', () => {
    const aef = smallAef('linear', 'tune-nonfinite');
    const x = tf.add(0.1, tf.mul(0.8, new Random('xt').uniform([3, D]))) as tf.Tensor2D;
    const honest = aef.logWeights.bind(aef);
    // Weights that look best at scale 3 but overflow (+Inf) for one example there, and are NaN at 1.
    aef.logWeights = (v, k, rng) => {
      const s = aef.importanceScale;
      const lw = honest(v, k, rng);
      if (s !== 3 && s !== 1) return lw;
      return tf.tidy(() => tf.concat([tf.fill([1, k], s === 3 ? Infinity : NaN), tf.add(tf.slice(lw, [1, 0], [-1, -1]), 1e3)]) as tf.Tensor2D);
    };
    const chosen = aef.tuneEstimator(x, new Random('tune'), 8);
    expect(chosen.rejectedScales).toBe(2);
    expect([1, 3]).not.toContain(chosen.importanceScale);
    expect(Number.isFinite(chosen.importanceTuningLogLikelihood)).toBe(true);
    // Every scale rejected: the current one stays.
    aef.logWeights = (v, k) => tf.fill([v.shape[0], k], NaN) as tf.Tensor2D;
    aef.importanceScale = 0.3;
    expect(aef.tuneEstimator(x, new Random('tune'), 8)).toMatchObject({ importanceScale: 0.3, rejectedScales: 8 });
  });

  it('counts a sample whose flows overflow (NaN or +Inf) as weight 0, so the estimate stays finite and a lower bound', () => {
    const aef = smallAef('linear', 'overflow');
    const x = tf.add(0.1, tf.mul(0.8, new Random('xo').uniform([2, D]))) as tf.Tensor2D;
    const k = 6;
    const clean = aef.logWeights(x, k, new Random('o')).arraySync() as number[][];
    // The prior's log-density overflows at two of each example's samples (rows are example-major).
    const prior = aef.prior as { logProb: (z: tf.Tensor2D) => tf.Tensor1D };
    const honest = prior.logProb.bind(prior);
    prior.logProb = (z) =>
      tf.tidy(() => {
        const bad = Array.from({ length: z.shape[0] }, (_, i) => (i % k === 0 ? Number.NaN : i % k === 1 ? Number.POSITIVE_INFINITY : 0));
        return tf.add(honest(z), tf.tensor1d(bad)) as tf.Tensor1D;
      });
    const lw = aef.logWeights(x, k, new Random('o')).arraySync() as number[][];
    for (let b = 0; b < 2; b++) {
      expect(lw[b].slice(0, 2)).toEqual([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      for (let j = 2; j < k; j++) expect(lw[b][j]).toBeCloseTo(clean[b][j], 3);
    }
    const estimate = logMeanExp(tf.tensor2d(lw), 1).dataSync();
    const unspoilt = logMeanExp(tf.tensor2d(clean), 1).dataSync();
    for (let b = 0; b < 2; b++) {
      expect(Number.isFinite(estimate[b])).toBe(true);
      expect(estimate[b]).toBeLessThan(unspoilt[b]);
    }
  });

  it('widens the proposal-scale search past an end of the grid while the estimate keeps rising', () => {
    const aef = smallAef('linear', 'tune-widen');
    const x = tf.add(0.1, tf.mul(0.8, new Random('xw').uniform([2, D]))) as tf.Tensor2D;
    // Stand-in weights whose estimate peaks at scale `peak`: -(log(s / peak))^2 for every sample.
    let peak = 27;
    aef.logWeights = (v, k) => tf.fill([v.shape[0], k], -(Math.log(aef.importanceScale / peak) ** 2)) as tf.Tensor2D;
    // Grid tops out at 3; 9 and 27 improve, 81 does not: three scales past the grid, 27 chosen.
    expect(aef.tuneEstimator(x, new Random('tune'), 4)).toMatchObject({ importanceScale: 27, widenedScales: 3, rejectedScales: 0 });
    // Below the grid's bottom end (0.001) the search steps down by the grid's first ratio, 1/3.
    peak = 0.001 / 9;
    const low = aef.tuneEstimator(x, new Random('tune'), 4);
    expect(low.importanceScale).toBeCloseTo(peak, 12);
    expect(low.widenedScales).toBe(3);
    // An optimum inside the grid tries nothing beyond it.
    peak = 0.1;
    expect(aef.tuneEstimator(x, new Random('tune'), 4)).toMatchObject({ importanceScale: 0.1, widenedScales: 0 });
    // A peak far past the end stops after MAX_WIDENING scales (3 * 3^4 = 243).
    peak = 1e6;
    expect(aef.tuneEstimator(x, new Random('tune'), 4)).toMatchObject({ importanceScale: 243, widenedScales: MAX_WIDENING });
  });

  it('a partition AEF is exact: every importance weight is log p(x)', () => {
    const aef = smallAef('corner', 'exact-partition');
    const x = tf.add(0.1, tf.mul(0.8, new Random('xp').uniform([2, D]))) as tf.Tensor2D;
    const lw = aef.logWeights(x, 5, new Random('k')).arraySync() as number[][];
    const lp = aef.logLikelihood(x).dataSync();
    for (let i = 0; i < 2; i++) for (const v of lw[i]) expect(v).toBeCloseTo(lp[i], 4);
  });
});

function invert2(m: number[][]): number[][] {
  const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
  return [
    [m[1][1] / det, -m[0][1] / det],
    [-m[1][0] / det, m[0][0] / det],
  ];
}

/** log N(x; mu, Sigma) per row, in float64 by Cholesky. */
function gaussianLogDensity(x: number[][], mu: number[], sigma: number[][]): number[] {
  const n = mu.length;
  const Lc = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = sigma[i][j];
      for (let k = 0; k < j; k++) s -= Lc[i][k] * Lc[j][k];
      Lc[i][j] = i === j ? Math.sqrt(s) : s / Lc[j][j];
    }
  }
  const logDet = 2 * Lc.reduce((a, row, i) => a + Math.log(row[i]), 0);
  return x.map((row) => {
    const r = row.map((v, i) => v - mu[i]);
    const u = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = r[i];
      for (let k = 0; k < i; k++) s -= Lc[i][k] * u[k];
      u[i] = s / Lc[i][i];
    }
    return -0.5 * (u.reduce((a, v) => a + v * v, 0) + logDet + n * LOG_2PI);
  });
}

/** Continuous 3x3 "images" in (0, 1): a blob whose position varies. */
function blobsDataset(): Dataset {
  const rng = new Random('blobs');
  const make = (n: number) => {
    const x = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      const at = rng.int(D);
      for (let d = 0; d < D; d++) x[i * D + d] = d === at ? 0.9 : 0.05 + 0.1 * rng.uniform([1]).dataSync()[0];
    }
    return { x, n };
  };
  return { name: 'blobs', inputShape: SHAPE, valueKind: 'continuous', train: make(64), val: make(16), test: make(16), prepareTrainBatch: () => undefined };
}

const blobsPlugin = definePlugin({
  name: 'test-blobs',
  version: '0.0.0',
  components: [defineComponent<Dataset, Record<string, never>>({ kind: 'dataset', type: 'blobs', description: 'tiny continuous images', schema: { properties: {} }, create: () => blobsDataset() })],
});

describe('the aef model component', () => {
  const manifest = (model: Record<string, unknown>, objective: Record<string, unknown> = { type: 'nll' }) => ({
    seed: 1,
    data: { type: 'blobs' },
    model: { type: 'aef', latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] }, preprocessing: [{ type: 'logit' }], ...model },
    objective,
    training: { epochs: 1, batchSize: 16 },
  });

  it('builds every core from a manifest, with located errors in nested slots', async () => {
    const registry = createRegistry(blobsPlugin, plugin);
    for (const core of ['linear', 'centre', 'corner']) {
      const { model } = await buildFromManifest(registry, resolveManifest(manifest({ core }), registry));
      expect(model.kind).toBe('aef');
      const x = tf.add(0.1, tf.mul(0.8, new Random('m').uniform([4, D]))) as tf.Tensor2D;
      const t = model.terms(x, new Random('t'), false);
      for (const v of [t.logPx, t.logPz, t.logQz]) expect(Array.from(v.dataSync()).every(Number.isFinite)).toBe(true);
      expect(model.generate(3, new Random('g')).shape).toEqual([3, D]);
    }
    expect(() => resolveManifest(manifest({ encoder: { type: 'mlp', hiden: [8] } }), registry)).toThrow(/\/model\/encoder\/hiden: unknown key/);
    expect(() => resolveManifest(manifest({ coreFlows: [{ type: 'iaf' }] }), registry)).toThrow(/\/model\/coreFlows\/0\/type: .*@vaeflow\/flows-iaf/);
    expect(() => resolveManifest(manifest({ core: 'middle' }), registry)).toThrow(/\/model\/core: must be one of/);
  });

  it('refuses an objective other than its exact likelihood, at /objective', async () => {
    const registry = createRegistry(blobsPlugin, plugin);
    const err = await buildFromManifest(registry, resolveManifest(manifest({}, { type: 'elbo' }), registry)).catch((e) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.message).toMatch(/\/objective\/type: an AEF is trained by its exact negative log-likelihood/);
  });
});
