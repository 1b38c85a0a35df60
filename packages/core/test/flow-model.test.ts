import { describe, expect, it } from 'vitest';
import {
  AffineBijection,
  ElboObjective,
  FlowModel,
  GaussianMixturePrior,
  MLPCoupling,
  NllObjective,
  Random,
  StandardNormalPrior,
  alternatingMask,
  logAbsDet,
  selectBackend,
  tf,
} from '../src/index.js';
import { batchJacobian, perturbVariables } from '../src/testing/index.mjs';

const couplings = (rng: Random, dim: number) => [0, 1, 0].map((p) => new MLPCoupling(dim, rng, new AffineBijection('affine'), alternatingMask(dim, p), { hidden: [8] }));

describe('flow model', () => {
  it('gives the exact log p(x): log p_base(u) + log|det du/dx| by an autodiff Jacobian, every importance weight equal to it', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('flow-model');
    const model = new FlowModel(couplings(rng, 3), new StandardNormalPrior(3), []);
    for (const f of [model.density]) perturbVariables(f, rng, 0.3);
    const x = rng.normal([5, 3]) as tf.Tensor2D;
    const u = model.encodeMean(x);
    const J = batchJacobian((v) => model.encodeMean(v), x);
    const base = Array.from(new StandardNormalPrior(3).logProb(u).dataSync());
    const expected = J.map((j, i) => base[i] + logAbsDet(j));
    const got = Array.from(model.logLikelihood(x).dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 3));
    const w = model.logWeights(x, 4).arraySync() as number[][];
    w.forEach((row, i) => row.forEach((v) => expect(v).toBeCloseTo(got[i], 5)));
    // the nll objective's loss is the mean -log p(x)
    const loss = new NllObjective().loss(model.terms(x, null, false)).loss.dataSync()[0];
    expect(loss).toBeCloseTo(-got.reduce((a, b) => a + b, 0) / got.length, 3);
  });

  it('samples through the inverses (encoding a sample gives back its base point) and reconstructs exactly', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('flow-model-sample');
    const model = new FlowModel(couplings(rng, 4), new StandardNormalPrior(4), []);
    perturbVariables(model.density, rng, 0.3);
    const x = model.generate(6, new Random('draw'));
    const u = new StandardNormalPrior(4).sample(6, new Random('draw'));
    Array.from(model.encodeMean(x).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(u.dataSync()[i], 4));
    const data = tf.mul(rng.normal([6, 4]), 3) as tf.Tensor2D;
    Array.from(model.reconstruct(data).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(data.dataSync()[i], 3));
  });

  it('reports flow health data to base: each layer its inverse, indexed as in the model, the log-dets adding up to log|det du/dx|', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('flow-model-health');
    const flows = couplings(rng, 3);
    const model = new FlowModel(flows, new StandardNormalPrior(3), []);
    perturbVariables(model.density, rng, 0.3);
    const x = rng.normal([6, 3]) as tf.Tensor2D;
    const layers = model.flowHealth(x, rng);
    expect(layers.map((l) => l.index)).toEqual([2, 1, 0]);
    expect(layers.map((l) => l.id)).toEqual(flows.map((f) => f.id).reverse());
    for (const l of layers) expect(l).toMatchObject({ nonFinite: null });
    for (const l of layers) expect(l.roundTripError).toBeLessThan(1e-4);
    // the layers' mean log-dets add up to the mean log|det du/dx| of the whole density map
    const u = model.encodeMean(x);
    const total = tf.mean(tf.sub(model.logLikelihood(x), new StandardNormalPrior(3).logProb(u))).dataSync()[0];
    expect(layers.reduce((a, l) => a + l.logDetMean, 0)).toBeCloseTo(total, 4);
  });

  it('is trained by the nll objective only, and refuses flows it cannot invert or that need a context', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('flow-model-checks');
    const model = new FlowModel(couplings(rng, 2), new StandardNormalPrior(2), []);
    expect(model.objectiveProblem(new NllObjective())).toBeNull();
    expect(model.objectiveProblem(new ElboObjective({ beta: 1 } as never))).toMatch(/use \{ "type": "nll" \}/);
    const notInvertible = { ...couplings(rng, 2)[0], id: 'planar', invertible: false, conditional: false, dim: 2 };
    expect(() => new FlowModel([notInvertible as never], new StandardNormalPrior(2), [])).toThrow(/flow "planar" is not invertible/);
    const conditional = new MLPCoupling(2, rng, new AffineBijection('affine'), alternatingMask(2, 0), { hidden: [4], contextDim: 3 });
    expect(() => new FlowModel([conditional], new StandardNormalPrior(2), [])).toThrow(/is conditional/);
  });
});

describe('gaussian-mixture prior', () => {
  it('has the mixture density sum_k pi_k N(z; mu_k, sigma_k^2) and samples each component in proportion to pi_k', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('mog');
    const prior = new GaussianMixturePrior(2, 2, rng);
    prior.means.assign(
      tf.tensor2d([
        [-5, 0],
        [5, 1],
      ]),
    );
    prior.logScales.assign(
      tf.tensor2d([
        [0, Math.log(0.5)],
        [Math.log(2), 0],
      ]),
    );
    prior.logits.assign(tf.tensor1d([Math.log(0.8), Math.log(0.2)]));
    const z = [
      [-4, 0.5],
      [6, -1],
      [0, 0],
    ];
    const normal = (v: number, m: number, s: number) => Math.exp(-0.5 * ((v - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
    const expected = z.map(([a, b]) => Math.log(0.8 * normal(a, -5, 1) * normal(b, 0, 0.5) + 0.2 * normal(a, 5, 2) * normal(b, 1, 1)));
    Array.from(prior.logProb(tf.tensor2d(z)).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    const s = prior.sample(4000, new Random('mog-draw')).arraySync() as number[][];
    const left = s.filter(([a]) => a < 0).length / s.length;
    expect(Math.abs(left - 0.8)).toBeLessThan(0.03);
    const leftB = s.filter(([a]) => a < 0).map(([, b]) => b);
    const sd = Math.sqrt(leftB.reduce((acc, v) => acc + v * v, 0) / leftB.length);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.03);
  });
});
