import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  BernoulliLikelihood,
  DiagonalGaussianPosterior,
  ElboObjective,
  FullCovarianceGaussianPosterior,
  MLPDecoder,
  MLPEncoder,
  Random,
  StandardNormalPrior,
  VAE,
  logAbsDet,
  solveLowerTriangular,
  type LatentTerms,
} from '../src/index.js';
import { useWasm } from './helpers.js';
import { maxDiff, onCpuAndWasm } from '../../native/test/backend-compare';

await useWasm();

const LOG2PI = Math.log(2 * Math.PI);

/** Inverse of a small matrix by Gauss-Jordan elimination (float64). */
function inverse(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    [m[p], m[k]] = [m[k], m[p]];
    const d = m[k][k];
    for (let j = 0; j < 2 * n; j++) m[k][j] /= d;
    for (let i = 0; i < n; i++)
      if (i !== k) {
        const f = m[i][k];
        for (let j = 0; j < 2 * n; j++) m[i][j] -= f * m[k][j];
      }
  }
  return m.map((r) => r.slice(n));
}

describe('full-covariance Gaussian posterior', () => {
  const L = 3;
  const rng = new Random('fullcov');
  const post = new FullCovarianceGaussianPosterior(rng, 4, L);
  for (const v of post.trainableVariables()) v.assign(tf.mul(rng.normal(v.shape), 0.7));
  const h = rng.normal([5, 4]) as tf.Tensor2D;

  it('has a log-density equal to the direct N(mu, L L^T) computation', () => {
    const q = post.distribution(h);
    const { mean, tril } = post.factor(h);
    const mu = mean.arraySync() as number[][];
    const T = tril.arraySync() as number[][][];
    const z = rng.normal([5, L]) as tf.Tensor2D;
    const zs = z.arraySync() as number[][];
    const got = q.logProb(z).arraySync() as number[];
    for (let b = 0; b < 5; b++) {
      const S = T[b].map((ri) => T[b].map((rj) => ri.reduce((s, v, k) => s + v * rj[k], 0)));
      const Si = inverse(S);
      const d = zs[b].map((v, i) => v - mu[b][i]);
      const quad = d.reduce((s, di, i) => s + di * d.reduce((t, dj, j) => t + Si[i][j] * dj, 0), 0);
      const want = -0.5 * quad - 0.5 * logAbsDet(S) - 0.5 * L * LOG2PI;
      expect(Math.abs(got[b] - want)).toBeLessThan(1e-3);
    }
  });

  it("has gradients on wasm equal to the cpu backend's (it trains on the default backend)", async () => {
    // The off-diagonal placement used to be a gather, whose gradient (UnsortedSegmentSum) wasm lacks.
    const vars = post.trainableVariables();
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const { grads } = tf.variableGrads(() => {
        const q = post.distribution(h);
        return tf.add(
          tf.sum(
            q.logProb(
              tf.tensor2d([
                [0.1, -0.2, 0.3],
                [1, 0, -1],
                [0, 0, 0],
                [0.5, 0.5, 0.5],
                [-1, 2, 0],
              ]),
            ),
          ),
          tf.sum(q.klToStandardNormal().total),
        ) as tf.Scalar;
      }, vars);
      return vars.map((v) => grads[v.name]);
    });
    await useWasm();
    expect(maxDiff(cpu, wasm, true)).toBeLessThan(1e-4);
    expect(cpu.flat().some((g) => g !== 0)).toBe(true);
  });

  it('reports for its own samples the log-density of those samples', () => {
    const q = post.distribution(h);
    const { z, logProb } = q.sample(new Random(1));
    const direct = q.logProb(z);
    expect(tf.max(tf.abs(tf.sub(logProb, direct))).dataSync()[0]).toBeLessThan(1e-3);
  });

  it('has a KL to N(0, I) equal to 0.5 (tr S + |mu|^2 - L - log|S|)', () => {
    const q = post.distribution(h);
    const { mean, tril } = post.factor(h);
    const mu = mean.arraySync() as number[][];
    const T = tril.arraySync() as number[][][];
    const got = q.klToStandardNormal().total.arraySync() as number[];
    for (let b = 0; b < 5; b++) {
      const S = T[b].map((ri) => T[b].map((rj) => ri.reduce((s, v, k) => s + v * rj[k], 0)));
      const tr = S.reduce((s, r, i) => s + r[i], 0);
      const want = 0.5 * (tr + mu[b].reduce((s, v) => s + v * v, 0) - L - logAbsDet(S));
      expect(Math.abs(got[b] - want)).toBeLessThan(1e-3);
    }
  });

  it('solves triangular systems exactly', () => {
    const { tril } = post.factor(h);
    const y = rng.normal([5, L]) as tf.Tensor2D;
    const b = tf.squeeze(tf.matMul(tril, tf.expandDims(y, 2)), [2]) as tf.Tensor2D;
    expect(tf.max(tf.abs(tf.sub(solveLowerTriangular(tril, b), y))).dataSync()[0]).toBeLessThan(1e-4);
  });
});

describe('ELBO', () => {
  const terms = (): LatentTerms => ({
    logPx: tf.tensor1d([-2, -4]),
    logQz: tf.tensor1d([0, 0]),
    logPz: tf.tensor1d([0, 0]),
    kl: tf.tensor1d([1, 3]),
    klPerDim: tf.tensor2d([
      [0.1, 0.9],
      [0.3, 2.7],
    ]),
    z: tf.zeros([2, 2]) as tf.Tensor2D,
    mean: tf.zeros([2, 2]) as tf.Tensor2D,
  });

  it('is E[log p(x|z)] - KL, and the loss its negative at beta = 1', () => {
    const r = new ElboObjective({ beta: 1, warmupEpochs: 0, freeBits: 0 }).loss(terms(), { epoch: 0, step: 0 }, true);
    expect(r.loss.dataSync()[0]).toBeCloseTo(5, 5);
    expect(r.terms.elbo.dataSync()[0]).toBeCloseTo(-5, 5);
    expect(r.terms.rec.dataSync()[0]).toBeCloseTo(3, 5);
    expect(r.terms.kl.dataSync()[0]).toBeCloseTo(2, 5);
  });

  it('warms beta up linearly during training only', () => {
    const o = new ElboObjective({ beta: 0.5, warmupEpochs: 2, freeBits: 0 });
    expect(o.loss(terms(), { epoch: 1, step: 10 }, true).loss.dataSync()[0]).toBeCloseTo(3 + 0.25 * 2, 5);
    expect(o.loss(terms(), { epoch: 1, step: 10 }, false).loss.dataSync()[0]).toBeCloseTo(3 + 0.5 * 2, 5);
    expect(o.loss(terms(), { epoch: 5, step: 10 }, true).loss.dataSync()[0]).toBeCloseTo(3 + 0.5 * 2, 5);
  });

  it('applies free bits per latent dimension on the batch-mean KL', () => {
    // mean KL per dim = [0.2, 1.8]; max(0.5, .) = [0.5, 1.8]
    const r = new ElboObjective({ beta: 1, warmupEpochs: 0, freeBits: 0.5 }).loss(terms(), { epoch: 0, step: 0 }, true);
    expect(r.loss.dataSync()[0]).toBeCloseTo(3 + 2.3, 5);
    expect(r.terms.elbo.dataSync()[0]).toBeCloseTo(-5, 5); // the reported ELBO is never altered
  });

  it('matches a hand computation of every term on a tiny VAE', () => {
    const rng = new Random('tiny-vae');
    const enc = new MLPEncoder(rng, 3, [2], 'relu');
    const post = new DiagonalGaussianPosterior(rng, 2, 2);
    const dec = new MLPDecoder(rng, 2, [], 3, 'relu', new BernoulliLikelihood());
    const vae = new VAE(2, enc, post, [], new StandardNormalPrior(2), dec);
    const xs = [
      [1, 0, 1],
      [0, 1, 1],
    ];
    const t = vae.terms(tf.tensor2d(xs), new Random('noise'), true);
    const eps = new Random('noise').normalArray(4);
    const W = (m: { kernel: tf.Variable; bias: tf.Variable }) => ({ k: m.kernel.arraySync() as number[][], b: m.bias.arraySync() as number[] });
    const lin = (x: number[], p: { k: number[][]; b: number[] }) => p.b.map((bj, j) => bj + x.reduce((s, xi, i) => s + xi * p.k[i][j], 0));
    const e1 = W(enc.net.layers[0]);
    const head = W(post.head);
    const d1 = W(dec.net.layers[0]);
    const softplus = (v: number) => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0);
    xs.forEach((x, b) => {
      const h = lin(x, e1).map((v) => Math.max(0, v));
      const o = lin(h, head);
      const mu = o.slice(0, 2);
      const logSigma = o.slice(2).map((v) => 0.5 * v);
      const z = mu.map((m, i) => m + Math.exp(logSigma[i]) * eps[2 * b + i]);
      const logits = lin(z, d1);
      const logPx = x.reduce((s, xi, i) => s + xi * logits[i] - softplus(logits[i]), 0);
      const kl = mu.reduce((s, m, i) => s + 0.5 * (m * m + Math.exp(2 * logSigma[i]) - 1) - logSigma[i], 0);
      const logQ = eps.slice(2 * b, 2 * b + 2).reduce((s, e) => s - 0.5 * e * e - 0.5 * LOG2PI, 0) - logSigma[0] - logSigma[1];
      const logPz = z.reduce((s, v) => s - 0.5 * v * v - 0.5 * LOG2PI, 0);
      expect(t.logPx.arraySync()[b]).toBeCloseTo(logPx, 4);
      expect(t.kl.arraySync()[b]).toBeCloseTo(kl, 4);
      expect(t.logQz.arraySync()[b]).toBeCloseTo(logQ, 4);
      expect(t.logPz.arraySync()[b]).toBeCloseTo(logPz, 4);
      expect(t.z.arraySync()[b][0]).toBeCloseTo(z[0], 5);
    });
  });
});
