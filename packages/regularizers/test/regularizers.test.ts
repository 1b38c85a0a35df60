import { describe, expect, it } from 'vitest';
import { BernoulliLikelihood, DiagonalGaussianPosterior, MLPDecoder, MLPEncoder, Random, StandardNormalPrior, VAE, selectBackend, tf, type LatentTerms } from '@vaeflow/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDataset, buildModel, createRegistry, type Dataset, defineComponent, definePlugin, loadCheckpoint, nativeKernelsUnavailable, readMetrics, resolveManifest, train } from '@vaeflow/core';
import {
  BetaTcVae,
  BetaVaeB,
  BetaVaeH,
  FactorVae,
  InfoVae,
  type Rae,
  type WaeMmd,
  imqKernel,
  infoVaeKernel,
  mmd,
  mmdUnbiased,
  permuteDims,
  plugin,
  stratifiedLogWeights,
  tcDecomposition,
} from '../src/index.js';

await selectBackend('wasm', { log: null });

/** Terms of a batch whose z is drawn from a diagonal posterior with the given means and log scales. */
function termsFrom(mean: number[][], logScale: number[][], rng: Random): LatentTerms {
  const mu = tf.tensor2d(mean);
  const ls = tf.tensor2d(logScale);
  const eps = rng.normal(mu.shape);
  const z = tf.add(mu, tf.mul(tf.exp(ls), eps)) as tf.Tensor2D;
  const L = mean[0].length;
  const logQz = tf.sub(tf.mul(-0.5, tf.add(tf.sum(tf.square(eps), 1), L * Math.log(2 * Math.PI))), tf.sum(ls, 1)) as tf.Tensor1D;
  const prior = new StandardNormalPrior(L);
  const logPz = prior.logProb(z);
  const q = {
    mean: mu as tf.Tensor2D,
    logScale: ls as tf.Tensor2D,
    sample: () => {
      throw new Error('unused');
    },
    logProb: () => {
      throw new Error('unused');
    },
    klToStandardNormal: () => {
      throw new Error('unused');
    },
  };
  return { logPx: tf.fill([mean.length], -10) as tf.Tensor1D, logQz, logPz, kl: tf.sub(logQz, logPz) as tf.Tensor1D, z, mean: mu as tf.Tensor2D, posterior: q, noFlows: true };
}

describe('minibatch stratified sampling', () => {
  it('has importance weights that sum to one per row', () => {
    for (const [M, N] of [
      [2, 10],
      [8, 1000],
      [128, 60000],
    ]) {
      for (const row of stratifiedLogWeights(M, N)) expect(row.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 10);
    }
  });

  it('estimates MI = TC = 0 when every example has the same factorised posterior', () => {
    const rng = new Random('tc0');
    const M = 16;
    const t = termsFrom(
      Array.from({ length: M }, () => [0.3, -1, 2]),
      Array.from({ length: M }, () => [-0.5, 0.2, 0]),
      rng,
    );
    const d = tcDecomposition(t, 1000);
    expect(Math.abs(d.mi.dataSync()[0])).toBeLessThan(1e-4);
    expect(Math.abs(d.tc.dataSync()[0])).toBeLessThan(1e-4);
    // and the three parts add up to the batch KL estimate
    expect(d.mi.dataSync()[0] + d.tc.dataSync()[0] + d.dwKl.dataSync()[0]).toBeCloseTo(tf.mean(t.kl).dataSync()[0], 4);
  });

  it('sees total correlation when the posteriors place z on a diagonal line', () => {
    const rng = new Random('tc1');
    const M = 64;
    const means = Array.from({ length: M }, (_, i) => {
      const v = (i / M) * 8 - 4;
      return [v, v];
    });
    const d = tcDecomposition(
      termsFrom(
        means,
        Array.from({ length: M }, () => [-3, -3]),
        rng,
      ),
      M,
    );
    expect(d.tc.dataSync()[0]).toBeGreaterThan(1);
    expect(d.mi.dataSync()[0]).toBeGreaterThan(1);
  });

  it('refuses posteriors it cannot evaluate pairwise', () => {
    const t = termsFrom([[0], [1]], [[0], [0]], new Random(1));
    expect(() => tcDecomposition({ ...t, noFlows: false }, 10)).toThrow(/without posterior flows/);
  });
});

describe('beta-TCVAE with a prior that has a base space', () => {
  // p(z) = N(g(z)) |det dg/dz| with g(z) = 2z: log p(z) = log N(2z) + L log 2.
  const L = 3;
  const rng = new Random('tc-base');
  const means = Array.from({ length: 8 }, (_, i) => [i / 4, -i / 8, 0.5]);
  const t0 = termsFrom(
    means,
    Array.from({ length: 8 }, () => [-1, -0.5, 0]),
    rng,
  );
  const toBase = (z: tf.Tensor2D) => tf.mul(z, 2) as tf.Tensor2D;
  const logProb = (z: tf.Tensor2D) => tf.add(new StandardNormalPrior(L).logProb(toBase(z)), L * Math.log(2)) as tf.Tensor1D;
  const prior = {
    toBase,
    logProb,
    sample: () => {
      throw new Error('unused');
    },
  } as unknown as StandardNormalPrior; // a bijection prior, not the standard normal
  const t = { ...t0, logPz: logProb(t0.z), kl: tf.sub(t0.logQz, logProb(t0.z)) as tf.Tensor1D };
  const ctx = { prior, rng: new Random(5) };

  it("'density' splits the Monte Carlo KL exactly, 'base' drops the log-determinant as the dpVAE authors' code", () => {
    const exact = new BetaTcVae(1, 4, 150, 1000).loss(t, { epoch: 0, step: 0 }, true, ctx).terms;
    const base = new BetaTcVae(1, 4, 150, 1000, 'base').loss(t, { epoch: 0, step: 0 }, true, ctx).terms;
    const v = (x: tf.Scalar) => x.dataSync()[0];
    expect(v(exact.mi) + v(exact.tc) + v(exact.dwKl)).toBeCloseTo(v(exact.kl), 4);
    expect(v(base.dwKl) - v(exact.dwKl)).toBeCloseTo(L * Math.log(2), 4);
    expect(v(base.tc)).toBeCloseTo(v(exact.tc), 5);
  });

  it("'base' is the density for the standard normal and names what it needs for a prior without a base space", () => {
    const std = new StandardNormalPrior(L);
    const onStd = { ...t0, logPz: std.logProb(t0.z) };
    const v = (x: tf.Scalar) => x.dataSync()[0];
    const ctxStd = { prior: std, rng: new Random(6) };
    expect(v(new BetaTcVae(1, 4, 150, 1000, 'base').loss(onStd, { epoch: 0, step: 0 }, true, ctxStd).terms.dwKl)).toBeCloseTo(
      v(new BetaTcVae(1, 4, 150, 1000).loss(onStd, { epoch: 0, step: 0 }, true, ctxStd).terms.dwKl),
      6,
    );
    const mixture = { logProb: std.logProb.bind(std), sample: std.sample.bind(std) } as unknown as typeof std;
    expect(() => new BetaTcVae(1, 4, 150, 1000, 'base').loss(t, { epoch: 0, step: 0 }, true, { prior: mixture, rng: new Random(6) })).toThrow(/base space.*decoupled prior/);
  });

  it('warns when the exact objective can reward total correlation (gamma > beta, a prior that does not factorise)', () => {
    const model = (prior: unknown) => ({ prior }) as never;
    expect(new BetaTcVae(1, 4, 150, 1000).modelWarnings(model(prior))[0]).toMatch(/KL\(q\(z\)\|\|p\(z\)\) - TC.*gamma \(150\) > beta \(4\)/);
    expect(new BetaTcVae(1, 4, 150, 1000).modelWarnings(model(new StandardNormalPrior(L)))).toEqual([]);
    expect(new BetaTcVae(1, 4, 150, 1000, 'base').modelWarnings(model(prior))).toEqual([]);
    expect(new BetaTcVae(1, 150, 4, 1000).modelWarnings(model(prior))).toEqual([]);
  });
});

describe('beta-VAE objectives', () => {
  const t = termsFrom(
    [
      [0, 0],
      [1, 1],
    ],
    [
      [0, 0],
      [0, 0],
    ],
    new Random(2),
  );
  it('beta-VAE-H weights the KL by beta', () => {
    const kl = tf.mean(t.kl).dataSync()[0];
    expect(new BetaVaeH(5).loss(t).loss.dataSync()[0]).toBeCloseTo(10 + 5 * kl, 4);
  });
  it('beta-VAE-B follows the capacity schedule C(t) = min(C_max, C_max t / T)', () => {
    const o = new BetaVaeB(15, 25, 100000);
    expect(o.capacity(0)).toBe(0);
    expect(o.capacity(50000)).toBe(12.5);
    expect(o.capacity(200000)).toBe(25);
    const kl = tf.mean(t.kl).dataSync()[0];
    expect(o.loss(t, { epoch: 0, step: 50000 }).loss.dataSync()[0]).toBeCloseTo(10 + 15 * Math.abs(kl - 12.5), 3);
  });
});

describe('InfoVAE-MMD', () => {
  it('has MMD 0 for identical samples and more for shifted ones', () => {
    const rng = new Random('mmd');
    const x = rng.normal([32, 3]) as tf.Tensor2D;
    expect(Math.abs(mmd(x, x).dataSync()[0])).toBeLessThan(1e-6);
    expect(mmd(x, tf.add(x, 2) as tf.Tensor2D).dataSync()[0]).toBeGreaterThan(0.1);
  });
  it("computes the kernel from |x|^2 + |y|^2 - 2 x.y with the direct form's values and gradients", () => {
    const rng = new Random('kernel');
    // exp(-mean_d (x_d - y_d)^2 / L) from the [n, m, L] difference tensor, the kernel as first written
    const direct = (x: tf.Tensor2D, y: tf.Tensor2D) => {
      const L = x.shape[1];
      const d = tf.sub(tf.reshape(x, [x.shape[0], 1, L]), tf.reshape(y, [1, y.shape[0], L]));
      return tf.exp(tf.div(tf.neg(tf.mean(tf.square(d), 2)), L)) as tf.Tensor2D;
    };
    const expectClose = (a: tf.Tensor, b: tf.Tensor, tol: number) => expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(tol);
    for (const L of [2, 7]) {
      const x = rng.normal([24, L]) as tf.Tensor2D;
      const y = tf.mul(1.5, rng.normal([16, L])) as tf.Tensor2D;
      expectClose(infoVaeKernel(x, y), direct(x, y), 1e-5);
      expectClose(infoVaeKernel(x, x), direct(x, x), 1e-5);
      // MMD^2 through each kernel, differentiated with respect to both sample sets
      const directMmd = (a: tf.Tensor, b: tf.Tensor) => {
        const [p, q] = [a as tf.Tensor2D, b as tf.Tensor2D];
        return tf.sub(tf.add(tf.mean(direct(p, p)), tf.mean(direct(q, q))), tf.mul(2, tf.mean(direct(p, q))));
      };
      expectClose(mmd(x, y), directMmd(x, y), 1e-6);
      const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => mmd(a as tf.Tensor2D, b as tf.Tensor2D))([x, y]);
      const [dx, dy] = tf.grads(directMmd)([x, y]);
      expectClose(gx, dx, 1e-5);
      expectClose(gy, dy, 1e-5);
    }
  });
  it('combines rec, (1 - alpha) KL and (alpha + lambda - 1) MMD against prior samples', () => {
    const t = termsFrom(
      [
        [0, 0],
        [1, 1],
      ],
      [
        [0, 0],
        [0, 0],
      ],
      new Random(3),
    );
    const prior = new StandardNormalPrior(2);
    const r = new InfoVae(0, 1000).loss(t, undefined, true, { prior, rng: new Random(4) });
    const kl = tf.mean(t.kl).dataSync()[0];
    expect(r.loss.dataSync()[0]).toBeCloseTo(10 + kl + 999 * r.terms.mmd.dataSync()[0], 2);
  });
});

describe('FactorVAE', () => {
  it('permutes each dimension independently across the batch', () => {
    const z = tf.tensor2d(Array.from({ length: 6 }, (_, i) => [i, 10 + i]));
    const p = permuteDims(z, new Random(5)).arraySync() as number[][];
    expect(p.map((r) => r[0]).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(p.map((r) => r[1]).sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15]);
  });
  it("gives the discriminator's loss, and its gradients, of the two half-batches averaged", () => {
    const o = new FactorVae(10, 3, 16, 2, 1e-2, new Random(7));
    const rng = new Random(8);
    const z = rng.normal([5, 3]) as tf.Tensor2D;
    const perm = permuteDims(tf.mul(2, rng.normal([5, 3])) as tf.Tensor2D, rng);
    const vars = o.discriminator.trainableVariables();
    const direct = tf.variableGrads(() => {
      const real = tf.oneHot(tf.zeros([5], 'int32') as tf.Tensor1D, 2);
      const fake = tf.oneHot(tf.ones([5], 'int32') as tf.Tensor1D, 2);
      const d = o.discriminator;
      return tf.mul(0.5, tf.add(tf.losses.softmaxCrossEntropy(real, d.apply(z)), tf.losses.softmaxCrossEntropy(fake, d.apply(perm)))) as tf.Scalar;
    }, vars);
    const joined = tf.variableGrads(() => o.discriminatorLoss(z, perm), vars);
    expect(joined.value.dataSync()[0]).toBeCloseTo(direct.value.dataSync()[0], 5);
    for (const v of vars) {
      const a = Array.from(joined.grads[v.name].dataSync());
      const b = Array.from(direct.grads[v.name].dataSync());
      // the scale matters: a sum over 2B rows instead of their mean would double every gradient
      expect(Math.max(...b.map(Math.abs))).toBeGreaterThan(1e-4);
      a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 5));
    }
  });
  it('trains its discriminator after each step and exposes its weights to checkpoints', () => {
    const o = new FactorVae(10, 2, 16, 2, 1e-2, new Random(6));
    const before = Array.from(o.discriminator.out.kernel.dataSync());
    for (let s = 0; s < 3; s++) {
      o.loss(
        termsFrom(
          [
            [0, 0],
            [1, 1],
            [2, 2],
            [3, 3],
          ],
          [
            [0, 0],
            [0, 0],
            [0, 0],
            [0, 0],
          ],
          new Random(s),
        ),
        { epoch: 0, step: s },
        true,
      );
      o.afterStep();
    }
    expect(Array.from(o.discriminator.out.kernel.dataSync())).not.toEqual(before);
    expect([...o.namedVariables().keys()].every((k) => k.startsWith('discriminator/'))).toBe(true);
  });
});

/** 64 binary 4 x 4 stripes images (a row or a column lit), for training runs in tests. */
const stripesPlugin = definePlugin({
  name: 'stripes-for-tests',
  version: '0.0.0',
  components: [
    defineComponent<Dataset, Record<string, never>>({
      kind: 'dataset',
      type: 'stripes',
      description: 'tiny synthetic stripes',
      schema: { properties: {} },
      dataShape: () => ({ inputShape: [4, 4, 1], valueKind: 'binary' }),
      create: () => {
        const split = (n: number) => {
          const x = new Float32Array(n * 16);
          for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) x[i * 16 + (i % 2 ? (i % 4) * 4 + j : j * 4 + (i % 4))] = 1;
          return { x, n };
        };
        return { name: 'stripes', inputShape: [4, 4, 1], valueKind: 'binary', train: split(64), val: split(16), test: split(16), prepareTrainBatch: () => undefined };
      },
    }),
  ],
});

const noNative = nativeKernelsUnavailable();
describe('FactorVAE in training', () => {
  // wasm: tfjs's Adam for the discriminator; native: the fused one
  for (const backend of ['wasm', 'native'] as const)
    it.skipIf(backend === 'native' && noNative != null)(
      `resumes exactly on ${backend}${backend === 'native' && noNative ? ` (skipped: ${noNative})` : ''}: 2 epochs + resume to 3 equals 3 epochs straight (the discriminator, its Adam moments, the kept batch, the permutations)`,
      async () => {
        await selectBackend(backend, { log: null, threads: 1 });
        const setup = async (epochs: number) => {
          const registry = createRegistry(plugin, stripesPlugin);
          const manifest = resolveManifest(
            {
              name: 'factor-resume',
              seed: 4,
              data: { type: 'stripes' },
              model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] } },
              objective: { type: 'factor-vae', gamma: 10, width: 16, layers: 2, learningRate: 0.01 },
              training: { epochs, batchSize: 16, samples: 0, learningRate: 0.01 },
            },
            registry,
          );
          const dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
          return { registry, manifest, dataset, ...(await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`))) };
        };
        const quiet = () => undefined;
        const a = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-factor-'));
        const b = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-factor-'));
        await train({ ...(await setup(3)), outDir: a, log: quiet, tty: false });
        await train({ ...(await setup(2)), outDir: b, log: quiet, tty: false });
        await train({ ...(await setup(3)), outDir: b, resume: true, log: quiet, tty: false });
        const wa = loadCheckpoint(path.join(a, 'checkpoints', 'latest'));
        const wb = loadCheckpoint(path.join(b, 'checkpoints', 'latest'));
        expect([...wa.weights.keys()].filter((k) => k.includes('discriminator')).length).toBeGreaterThan(0);
        expect([...wa.weights.keys()].filter((k) => k.includes('objective-state')).length).toBeGreaterThan(0);
        expect([...wb.weights.keys()]).toEqual([...wa.weights.keys()]);
        for (const [name, t] of wa.weights) expect(Array.from(wb.weights.get(name)!.dataSync()), name).toEqual(Array.from(t.dataSync()));
        const strip = (dir: string) => readMetrics(path.join(dir, 'metrics.jsonl')).map(({ examplesPerSec: _e, seconds: _s, rssMiB: _m, tensorMiB: _t, ...r }) => r);
        expect(strip(b)).toEqual(strip(a));
      },
    );
});

describe('WAE-MMD', () => {
  it('has the inverse multiquadratic kernel C / (C + |x - y|^2) summed over scales, C = 2 d s', async () => {
    await selectBackend('wasm', { log: null });
    const x = tf.tensor2d([
      [0, 0],
      [1, 1],
    ]);
    const y = tf.tensor2d([[0, 1]]);
    const k = imqKernel(x, y, [1, 2]).arraySync() as number[][];
    const want = (d2: number) => 4 / (4 + d2) + 8 / (8 + d2);
    expect(k[0][0]).toBeCloseTo(want(1), 5);
    expect(k[1][0]).toBeCloseTo(want(1), 5);
  });

  it('its unbiased MMD^2 is 0 in expectation for one distribution and clearly positive for two', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('mmd');
    const scales = [0.1, 1, 10];
    const same = Array.from({ length: 200 }, () => tf.tidy(() => mmdUnbiased(rng.normal([32, 4]) as tf.Tensor2D, rng.normal([32, 4]) as tf.Tensor2D, scales).dataSync()[0]));
    const mean = same.reduce((s, v) => s + v, 0) / same.length;
    const se = Math.sqrt(same.reduce((s, v) => s + (v - mean) ** 2, 0) / (same.length - 1) / same.length);
    expect(Math.abs(mean)).toBeLessThan(4 * se);
    const shifted = tf.tidy(() => mmdUnbiased(tf.add(rng.normal([32, 4]), 2) as tf.Tensor2D, rng.normal([32, 4]) as tf.Tensor2D, scales).dataSync()[0]);
    expect(shifted).toBeGreaterThan(20 * se);
  });

  it('trains as rec + lambda MMD, the terms it reports adding up', async () => {
    await selectBackend('wasm', { log: null });
    const objective = plugin.components.find((c) => c.type === 'wae-mmd')!.create({ lambda: 10, scales: [1] }, {} as never) as WaeMmd;
    const rng = new Random('wae');
    const z = rng.normal([8, 2]) as tf.Tensor2D;
    const t = { logPx: tf.fill([8], -50) as tf.Tensor1D, logQz: tf.zeros([8]) as tf.Tensor1D, logPz: tf.zeros([8]) as tf.Tensor1D, kl: tf.fill([8], 3) as tf.Tensor1D, z, mean: z };
    const r = objective.loss(t, { epoch: 0, step: 0 }, true, { prior: { sample: (n: number, g: Random) => g.normal([n, 2]) } as never, rng });
    expect(r.loss.dataSync()[0]).toBeCloseTo(r.terms.rec.dataSync()[0] + 10 * r.terms.mmd.dataSync()[0], 4);
    expect(r.terms.rec.dataSync()[0]).toBeCloseTo(50, 5);
  });
});

describe('RAE', () => {
  it('is deterministic: -log p(x | E(x)) + beta |E(x)|^2 / 2 + lambda |decoder weights|^2, the same on every call', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('rae');
    const enc = new MLPEncoder(rng, 6, [5], 'relu');
    const vae = new VAE(2, enc, new DiagonalGaussianPosterior(rng, 5, 2), [], new StandardNormalPrior(2), new MLPDecoder(rng, 2, [5], 6, 'relu', new BernoulliLikelihood()));
    const x = tf.tensor2d([
      [1, 0, 1, 0, 0, 1],
      [0, 0, 1, 1, 0, 1],
    ]);
    const rae = plugin.components.find((c) => c.type === 'rae')!.create({ beta: 0.5, lambda: 0.01 }, {} as never) as Rae;
    const a = rae.modelLoss(vae, x);
    const b = rae.modelLoss(vae, x);
    expect(a.loss.dataSync()[0]).toBe(b.loss.dataSync()[0]);
    const z = vae.encodeMean(x).arraySync() as number[][];
    const codeNorm = z.reduce((s, r) => s + 0.5 * r.reduce((q, v) => q + v * v, 0), 0) / z.length;
    const decoderNorm = vae.decoder.trainableVariables().reduce((s, v) => s + Array.from(v.dataSync()).reduce((q, w) => q + w * w, 0), 0);
    const rec = -tf.mean(vae.logLikelihoodGivenZ(x, tf.tensor2d(z))).dataSync()[0];
    expect(a.terms.codeNorm.dataSync()[0]).toBeCloseTo(codeNorm, 5);
    expect(a.terms.decoderNorm.dataSync()[0]).toBeCloseTo(decoderNorm, 3);
    expect(a.loss.dataSync()[0]).toBeCloseTo(rec + 0.5 * codeNorm + 0.01 * decoderNorm, 3);
    expect(() => rae.loss({} as never)).toThrow(/encoder mean/);
  });
});
