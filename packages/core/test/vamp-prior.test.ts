import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Random, VampPrior, vampPrior, buildDataset, buildModel, createRegistry, loadCheckpoint, readMetrics, resolveManifest, tf, train, type VAE } from '../src/index.js';
import { testDataPlugin, tinyManifest, useWasm } from './helpers.js';

await useWasm();

async function vampVae(pseudoInputs: number, training: Record<string, unknown> = {}) {
  const registry = createRegistry(testDataPlugin);
  const manifest = resolveManifest(
    tinyManifest({
      model: { latentDim: 3, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] }, prior: { type: 'vamp', pseudoInputs } },
      training: { epochs: 3, batchSize: 16, samples: 0, learningRate: 0.01, ...training },
    }),
    registry,
  );
  const dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
  return { manifest, dataset, ...(await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`))) };
}

describe('VampPrior', () => {
  it("with one pseudo-input u is the posterior q0(z|u) itself, with K the mean of the K components' densities", async () => {
    const { model } = await vampVae(3);
    const vae = model as VAE;
    const prior = vae.prior as VampPrior;
    expect(prior).toBeInstanceOf(VampPrior);
    const z = new Random('z').normal([5, 3]) as tf.Tensor2D;
    const u = prior.pseudoInputs;
    const each = [0, 1, 2].map((k) =>
      Array.from(
        vae.posterior
          .distribution(vae.encoder.encode(tf.slice(u, [k, 0], [1, -1]) as tf.Tensor2D, false))
          .logProb(z)
          .dataSync(),
      ),
    );
    const got = Array.from(prior.logProb(z).dataSync());
    got.forEach((v, b) => expect(v).toBeCloseTo(Math.log(each.reduce((s, c) => s + Math.exp(c[b]), 0) / 3), 4));
    // one pseudo-input: exactly q0(z|u)
    const single = new VampPrior(3, vae.encoder, vae.posterior, tf.slice(prior.raw, [1, 0], [1, -1]) as tf.Tensor2D, true);
    Array.from(single.logProb(z).dataSync()).forEach((v, b) => expect(v).toBeCloseTo(each[1][b], 4));
    // its samples follow q0(z|u): mean within 4 standard errors
    const q = vae.posterior.distribution(vae.encoder.encode(tf.slice(u, [1, 0], [1, -1]) as tf.Tensor2D, false));
    const s = single.sample(4000, new Random('s')).arraySync() as number[][];
    const mu = Array.from(q.mean.dataSync());
    const sd = Array.from(tf.exp(q.logScale!).dataSync());
    mu.forEach((m, d) => expect(Math.abs(s.reduce((acc, r) => acc + r[d], 0) / s.length - m)).toBeLessThan((4 * sd[d]) / Math.sqrt(s.length)));
  });

  it('trains with the VAE: the pseudo-inputs move, stay in [0, 1] for binary data, and the ELBO improves', async () => {
    const s = await vampVae(4);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-vamp-'));
    const before = Array.from((s.model.prior as VampPrior).pseudoInputs.dataSync());
    await train({ ...s, outDir: out, log: () => undefined, tty: false });
    const c = loadCheckpoint(path.join(out, 'checkpoints', 'latest'));
    const raw = c.weights.get('prior/pseudoInputs')!;
    const after = Array.from(tf.sigmoid(raw).dataSync());
    expect(after.some((v, i) => Math.abs(v - before[i]) > 1e-4)).toBe(true);
    expect(after.every((v) => v >= 0 && v <= 1)).toBe(true);
    const val = readMetrics(path.join(out, 'metrics.jsonl'))
      .filter((m) => m.split === 'val')
      .map((m) => m.elbo as number);
    expect(val[2]).toBeGreaterThan(val[0]);
  });

  it('says where it can be used: outside a VAE (no encoder to share) it is refused with the reason', () => {
    const container = createRegistry().createScope();
    expect(() =>
      vampPrior.create(
        { pseudoInputs: 2, init: 'random' },
        { rng: new Random(1), latentDim: 2, inputShape: [4], inputDim: 4, contextDim: 0, path: '/model/base', container, build: () => Promise.reject(new Error('unused')) },
      ),
    ).toThrow(/use it as the prior of a "vae" model/);
  });
});
