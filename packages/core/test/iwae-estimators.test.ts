import { describe, expect, it } from 'vitest';
import {
  AffineBijection,
  ImportanceWeightedObjective,
  MLPCoupling,
  Random,
  VAE,
  alternatingMask,
  buildDataset,
  buildModel,
  createRegistry,
  resolveManifest,
  tf,
  type GradientEstimator,
  type LatentModel,
} from '../src/index.js';
import { DoubleFlow, testDataPlugin, tinyManifest, useWasm } from './helpers.js';
import { BaseFlow } from '../src/flow.js';

await useWasm();

const iw = (samples: number, estimator: GradientEstimator, groups = 1) => new ImportanceWeightedObjective({ samples, groups, beta: 0, estimator });

/** The tiny VAE of the other tests, and the same with a (perturbed, so not the identity) affine coupling posterior flow. */
async function models(): Promise<{ plain: VAE; withFlow: VAE; x: tf.Tensor2D }> {
  const registry = createRegistry(testDataPlugin);
  const manifest = resolveManifest(tinyManifest(), registry);
  const dataset = await buildDataset(registry, manifest, new Random('data'));
  const plain = (await buildModel(registry, manifest, dataset, new Random('init'))).model as VAE;
  const rng = new Random('flow');
  const coupling = new MLPCoupling(2, rng, new AffineBijection('affine'), alternatingMask(2, 0), { hidden: [8] });
  for (const v of coupling.trainableVariables()) v.assign(tf.mul(rng.normal(v.shape), 0.4));
  const withFlow = new VAE(2, plain.encoder, plain.posterior, [coupling, new DoubleFlow(2, false)], plain.prior, plain.decoder);
  return { plain, withFlow, x: tf.tensor2d(dataset.val.x.subarray(0, 8 * 16), [8, 16]) };
}

/** The gradient of an objective's loss on one draw, split into the inference side (encoder, posterior, flows) and the generative side. */
function gradient(model: LatentModel, o: ImportanceWeightedObjective, x: tf.Tensor2D, rng: Random): { inference: number[]; generative: number[]; loss: number } {
  const named = [...model.namedVariables().entries()].filter(([, v]) => v.trainable);
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => o.modelLoss(model, x, rng, { epoch: 0, step: 0 }, true).loss,
      named.map(([, v]) => v),
    );
    const inference: number[] = [];
    const generative: number[] = [];
    for (const [name, v] of named) {
      const g = grads[v.name] ? Array.from(grads[v.name].dataSync()) : new Array(v.size).fill(0);
      (/^(encoder|posterior|flows)\//.test(name) ? inference : generative).push(...g);
    }
    return { inference, generative, loss: value.dataSync()[0] };
  });
}

/**
 * z-scores of the difference between two independent sets of gradient draws, along `m` fixed
 * random directions (gradient coordinates are strongly correlated, so each coordinate alone says
 * little; a projection is one scalar whose z-score is about N(0, 1) when the means agree).
 */
function projectedZScores(a: number[][], b: number[][], m: number, seed: string): number[] {
  const rng = new Random(seed);
  const dirs = Array.from({ length: m }, () => Array.from(rng.normalArray(a[0].length)));
  const stats = (draws: number[][], d: number[]) => {
    const v = draws.map((g) => g.reduce((s, gi, j) => s + gi * d[j], 0));
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1);
    return { mean, se2: variance / v.length, variance };
  };
  return dirs.map((d) => {
    const [sa, sb] = [stats(a, d), stats(b, d)];
    return (sa.mean - sb.mean) / Math.sqrt(sa.se2 + sb.se2);
  });
}

const totalVariance = (draws: number[][]) => {
  const n = draws.length;
  return draws[0].reduce((s, _, j) => {
    const m = draws.reduce((t, d) => t + d[j], 0) / n;
    return s + draws.reduce((t, d) => t + (d[j] - m) ** 2, 0) / (n - 1);
  }, 0);
};

describe('gradient estimators of importance-weighted bounds (STL, DReG, PIWAE)', () => {
  it("leave the bound's value alone and give the generative side exactly the IWAE gradient", async () => {
    const { plain, withFlow, x } = await models();
    for (const model of [plain, withFlow]) {
      for (const estimator of ['stl', 'dreg'] as const) {
        const base = gradient(model, iw(5, 'reparameterised'), x, new Random('same'));
        const other = gradient(model, iw(5, estimator), x, new Random('same'));
        expect(other.loss).toBeCloseTo(base.loss, 4);
        const scale = Math.max(...base.generative.map(Math.abs));
        expect(Math.max(...other.generative.map((g, j) => Math.abs(g - base.generative[j]))) / scale).toBeLessThan(1e-4);
        // ...and the inference side something else (it is a different estimator)
        expect(Math.max(...other.inference.map((g, j) => Math.abs(g - base.inference[j])))).toBeGreaterThan(1e-4);
      }
    }
  });

  it('PIWAE: the decoder gets IWAE of all K x M samples, the encoder MIWAE of M groups of K, on the same draws', async () => {
    const { withFlow: model, x } = await models();
    const piwae = gradient(model, iw(3, 'piwae', 4), x, new Random('draw'));
    const iwae = gradient(model, iw(12, 'reparameterised'), x, new Random('draw'));
    const miwae = gradient(model, iw(3, 'reparameterised', 4), x, new Random('draw'));
    const close = (a: number[], b: number[]) => Math.max(...a.map((g, j) => Math.abs(g - b[j]))) / Math.max(...b.map(Math.abs));
    expect(close(piwae.generative, iwae.generative)).toBeLessThan(1e-4);
    expect(close(piwae.inference, miwae.inference)).toBeLessThan(1e-4);
    expect(piwae.loss).toBeCloseTo(iwae.loss, 4);
  });

  it('DReG is unbiased for the inference side at every K and STL at K = 1 (same mean gradient as the reparameterised one), with and without flows; DReG has the lower variance at K = 20', async () => {
    const { plain, withFlow, x } = await models();
    const draws = (model: LatentModel, o: ImportanceWeightedObjective, n: number, seed: string) => {
      const rng = new Random(seed);
      return Array.from({ length: n }, () => gradient(model, o, x, rng).inference);
    };
    // STL drops the score term, whose expectation is zero for the ELBO (K = 1) but not for K > 1
    // (Tucker et al. 2018, section 3): it is checked where it is unbiased.
    for (const [name, model] of [
      ['no flow', plain],
      ['coupling flow', withFlow],
    ] as const) {
      for (const [K, estimator] of [
        [1, 'stl'],
        [1, 'dreg'],
        [5, 'dreg'],
      ] as const) {
        const reference = draws(model, iw(K, 'reparameterised'), 400, `ref-${K}`);
        const z = projectedZScores(draws(model, iw(K, estimator), 400, `${estimator}-${K}`), reference, 4, `dirs-${name}-${K}`);
        expect(Math.max(...z.map(Math.abs)), `${name}, ${estimator}, K = ${K}: z = ${z.map((v) => v.toFixed(2)).join(', ')}`).toBeLessThan(4);
      }
    }
    // ...and the check has the power to see a bias: STL's at K = 5
    const stl5 = projectedZScores(draws(plain, iw(5, 'stl'), 400, 'stl-5'), draws(plain, iw(5, 'reparameterised'), 400, 'ref-5'), 4, 'dirs-no flow-5');
    expect(Math.max(...stl5.map(Math.abs))).toBeGreaterThan(6);
    // Tucker et al. 2018: the reparameterised IWAE gradient of the encoder gets noisier as K grows; DReG's does not.
    expect(totalVariance(draws(plain, iw(20, 'dreg'), 150, 'var-dreg'))).toBeLessThan(totalVariance(draws(plain, iw(20, 'reparameterised'), 150, 'var-ref')));
  });

  it('are refused where they cannot work: STL and DReG with a posterior flow that has no inverse, DReG with CIWAE', async () => {
    const { plain } = await models();
    class ForwardOnly extends BaseFlow {
      readonly id = 'forward-only';
      protected forward(z: tf.Tensor2D) {
        return { z, logDet: tf.zeros([z.shape[0]]) as tf.Tensor1D };
      }
    }
    const stuck = new VAE(2, plain.encoder, plain.posterior, [new ForwardOnly(2, false)], plain.prior, plain.decoder);
    expect(stuck.objectiveProblem(iw(5, 'dreg'))).toMatch(/flow "forward-only" has none/);
    expect(stuck.objectiveProblem(iw(5, 'piwae'))).toBeNull();
    expect(() => new ImportanceWeightedObjective({ samples: 5, groups: 1, beta: 0.5, estimator: 'dreg' })).toThrow(/CIWAE .* reparameterised estimator only/);
    expect([iw(5, 'stl').id, iw(5, 'dreg', 2).id, iw(5, 'piwae', 2).id]).toEqual(['iwae-stl', 'miwae-dreg', 'piwae']);
  });
});
