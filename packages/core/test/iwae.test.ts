import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ElboObjective, ImportanceWeightedObjective, Random, buildDataset, buildModel, createRegistry, readMetrics, resolveManifest, tf, train, type LatentModel } from '../src/index.js';
import { testDataPlugin, tinyManifest, useWasm } from './helpers.js';

await useWasm();

const iw = (samples: number, groups = 1, beta = 0) => new ImportanceWeightedObjective({ samples, groups, beta, estimator: 'reparameterised' });

/** A model whose log-weights are given: each call returns the same [B, K] table. */
const fixedWeights = (table: number[][]) =>
  ({
    logWeights: (_x: tf.Tensor2D, k: number) => {
      expect(k).toBe(table[0].length);
      return tf.tensor2d(table);
    },
  }) as unknown as LatentModel;

describe('importance-weighted objectives', () => {
  it('compute IWAE, MIWAE and CIWAE from the log-weights as their formulas say', () => {
    const table = [
      [-1, -2, -3, -4],
      [0, -0.5, -8, -1],
    ];
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    const lme = (v: number[]) => Math.log(v.reduce((s, a) => s + Math.exp(a), 0) / v.length);
    const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
    const rng = new Random(0);
    const progress = { epoch: 0, step: 0 };
    const val = (o: ImportanceWeightedObjective) => o.modelLoss(fixedWeights(table), x, rng).loss.dataSync()[0];
    expect(val(iw(4))).toBeCloseTo(-mean(table.map(lme)), 5);
    // MIWAE: 2 groups of 2
    expect(val(iw(2, 2))).toBeCloseTo(-mean(table.flatMap((r) => [lme(r.slice(0, 2)), lme(r.slice(2))])), 5);
    // CIWAE: beta ELBO + (1 - beta) IWAE
    const elbo = mean(table.flat());
    expect(val(iw(4, 1, 0.3))).toBeCloseTo(-(0.3 * elbo + 0.7 * mean(table.map(lme))), 5);
    expect(iw(4).modelLoss(fixedWeights(table), x, rng).terms.elbo.dataSync()[0]).toBeCloseTo(elbo, 5);
    expect(() => iw(4).loss({} as never)).toThrow(/needs the model's importance weights/);
    expect([iw(5).id, iw(5, 3).id, iw(5, 1, 0.5).id]).toEqual(['iwae', 'miwae', 'ciwae']);
    void progress;
  });

  it('on a fixed model: K = 1 is the ELBO in expectation, and the bound rises with K (Burda et al. 2016, theorem 1)', async () => {
    const registry = createRegistry(testDataPlugin);
    const manifest = resolveManifest(tinyManifest(), registry);
    const dataset = await buildDataset(registry, manifest, new Random('data'));
    const { model } = await buildModel(registry, manifest, dataset, new Random('init'));
    const x = tf.tensor2d(dataset.val.x.subarray(0, 16 * 16), [16, 16]);
    const draws = (o: ImportanceWeightedObjective, n: number) => {
      const rng = new Random(`draws-${o.options.samples}`);
      const v = Array.from({ length: n }, () => tf.tidy(() => -o.modelLoss(model, x, rng).loss.dataSync()[0]));
      const m = v.reduce((s, a) => s + a, 0) / n;
      const se = Math.sqrt(v.reduce((s, a) => s + (a - m) ** 2, 0) / (n - 1) / n);
      return { m, se };
    };
    // The ELBO objective (analytic KL, one-sample reconstruction term), averaged over as many draws,
    // has the K = 1 bound's expectation.
    const elboObjective = new ElboObjective({ beta: 1, warmupEpochs: 0, freeBits: 0 });
    const elboRng = new Random('elbo-draws');
    const ev = Array.from({ length: 400 }, () => tf.tidy(() => -elboObjective.loss(model.terms(x, elboRng, false), { epoch: 0, step: 0 }, false).loss.dataSync()[0]));
    const em = ev.reduce((s, a) => s + a, 0) / ev.length;
    const ese = Math.sqrt(ev.reduce((s, a) => s + (a - em) ** 2, 0) / (ev.length - 1) / ev.length);
    const k1 = draws(iw(1), 400);
    expect(Math.abs(k1.m - em)).toBeLessThan(4 * Math.hypot(k1.se, ese));
    const k5 = draws(iw(5), 200);
    const k50 = draws(iw(50), 100);
    expect(k5.m).toBeGreaterThan(k1.m + 2 * Math.hypot(k1.se, k5.se));
    expect(k50.m).toBeGreaterThan(k5.m + 2 * Math.hypot(k5.se, k50.se));
  });

  it.each(['reparameterised', 'dreg', 'piwae'])('trains a VAE through the trainer (val lines carry the bound and the ELBO), and the bound improves (estimator %s)', async (estimator) => {
    const registry = createRegistry(testDataPlugin);
    const manifest = resolveManifest(
      tinyManifest({ objective: { type: 'iwae', samples: 5, estimator, groups: estimator === 'piwae' ? 2 : 1 }, training: { epochs: 3, batchSize: 16, samples: 0, learningRate: 0.01 } }),
      registry,
    );
    const dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
    const built = await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-iwae-'));
    await train({ manifest, dataset, ...built, outDir: out, log: () => undefined, tty: false });
    const val = readMetrics(path.join(out, 'metrics.jsonl')).filter((m) => m.split === 'val');
    expect(val.every((m) => typeof m.iwae === 'number' && typeof m.elbo === 'number')).toBe(true);
    // active units from the encoder's means, without a second pass of the one-sample terms
    expect(val.every((m) => typeof m.activeUnits === 'number')).toBe(true);
    expect(val[2].iwae as number).toBeGreaterThan(val[0].iwae as number);
    expect(val.every((m) => (m.iwae as number) >= (m.elbo as number) - 0.5)).toBe(true);
  });
});
