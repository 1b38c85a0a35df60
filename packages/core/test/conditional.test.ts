import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ConditionalGaussianPrior,
  Random,
  type VAE,
  buildDataset,
  buildModel,
  checkBuild,
  classGrid,
  conditionOnLabels,
  createRegistry,
  defineComponent,
  definePlugin,
  dataColumns,
  diagonalNormalLogProb,
  imageGridPng,
  oneHotRows,
  resolveManifest,
  rowDimOf,
  train,
} from '../src/index.js';
import { DoubleFlow, stripesDataset, testDataPlugin, tinyManifest, useWasm } from './helpers.js';

await useWasm();

const conditioned = (overrides: Record<string, unknown> = {}) =>
  tinyManifest({
    data: { type: 'stripes', condition: true, nTrain: 256 },
    model: {
      latentDim: 2,
      encoder: { type: 'mlp', hidden: [16] },
      decoder: { type: 'mlp', hidden: [16] },
      prior: { type: 'conditional-gaussian' },
    },
    training: { epochs: 30, batchSize: 32, samples: 0, learningRate: 0.01 },
    ...overrides,
  });

async function setup(raw: Record<string, unknown>) {
  const registry = createRegistry(testDataPlugin);
  const manifest = resolveManifest(raw, registry);
  const dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
  return { registry, manifest, dataset, ...(await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`))) };
}

describe('label-conditioned data', () => {
  it('append the one-hot label after the data, and batch preparation leaves the label columns alone', () => {
    const plain = stripesDataset(8, 4, 4);
    const seen: number[] = [];
    const d = conditionOnLabels({ ...plain, prepareTrainBatch: (x) => (seen.push(x.length), x.fill(0.5)) }, 4, ['a', 'b', 'c', 'd']);
    expect(rowDimOf(d)).toBe(20);
    expect(d.train.x.length).toBe(8 * 20);
    for (let i = 0; i < 8; i++) {
      const row = d.train.x.subarray(i * 20, (i + 1) * 20);
      expect(Array.from(row.subarray(0, 16))).toEqual(Array.from(plain.train.x.subarray(i * 16, (i + 1) * 16)));
      expect(Array.from(row.subarray(16))).toEqual(Array.from(oneHotRows([plain.train.labels![i]], 4)));
    }
    expect(Array.from(dataColumns(d.test.x, 4, d))).toEqual(Array.from(plain.test.x));
    const batch = d.train.x.slice(0, 3 * 20);
    d.prepareTrainBatch(batch, new Random(1));
    expect(seen).toEqual([3 * 16]);
    for (let i = 0; i < 3; i++) {
      expect(batch.subarray(i * 20, i * 20 + 16).every((v) => v === 0.5)).toBe(true);
      expect(Array.from(batch.subarray(i * 20 + 16, i * 20 + 20))).toEqual(Array.from(d.train.x.subarray(i * 20 + 16, i * 20 + 20)));
    }
  });

  it('refuse labels outside the classes and splits without labels, saying which', () => {
    const plain = stripesDataset(8, 4, 4);
    expect(() => conditionOnLabels(plain, 3)).toThrow(/label 3, outside the 3 classes/);
    expect(() => conditionOnLabels({ ...plain, val: { x: plain.val.x, n: 4 } }, 4)).toThrow(/no labels in its validation split/);
  });
});

describe('conditional-gaussian prior', () => {
  it('is a diagonal Gaussian with a learned mean and scale per class', () => {
    const p = new ConditionalGaussianPrior(2, 3);
    p.meanMap.assign(tf.tensor2d([0, 0, 1, -1, 5, 2], [3, 2]));
    p.logScaleMap.assign(tf.tensor2d([0, 0, 0.5, -0.5, 1, 0], [3, 2]));
    const z = tf.tensor2d([0.3, -0.2, 1.5, 0.1], [2, 2]);
    const c = tf.tensor2d(oneHotRows([1, 2], 3), [2, 3]);
    const want = diagonalNormalLogProb(z, tf.tensor2d([1, -1, 5, 2], [2, 2]), tf.tensor2d([0.5, -0.5, 1, 0], [2, 2]));
    expect(Array.from(p.logProb(z, c).dataSync())).toEqual(Array.from(want.dataSync()).map((v) => expect.closeTo(v, 5)));
    const n = 20000;
    const draws = p.sample(n, new Random(2), tf.tensor2d(oneHotRows(new Array(n).fill(2), 3), [n, 3]));
    const { mean, variance } = tf.moments(draws, 0);
    // within 4 standard errors of class 2's mean (5, 2) and scale (e, 1)
    const [m, v] = [mean.arraySync() as number[], variance.arraySync() as number[]];
    expect(Math.abs(m[0] - 5)).toBeLessThan((4 * Math.E) / Math.sqrt(n));
    expect(Math.abs(m[1] - 2)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(v[0] / Math.E ** 2 - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(v[1] - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(() => p.logProb(z)).toThrow(/needs the condition/);
  });
});

describe('conditional VAE', () => {
  it('reads the label in encoder, decoder and prior, and its bound changes with the label', async () => {
    const s = await setup(conditioned());
    const vae = s.model as VAE;
    expect(vae.conditionDim).toBe(4);
    expect(vae.prior.conditional).toBe(true);
    // the encoder's first layer takes the 16 pixels and 4 label columns; the decoder's z and the label
    const shapes = new Map([...vae.namedVariables()].map(([k, v]) => [k, v.shape]));
    expect([...shapes.entries()].find(([k]) => k.startsWith('encoder/'))?.[1][0]).toBe(20);
    expect([...shapes.entries()].find(([k]) => k.startsWith('decoder/'))?.[1][0]).toBe(6);
    // Different labels on the same pixels give different bounds: the condition reaches the model.
    const rows = s.dataset.test.x.slice(0, 20);
    const swapped = rows.slice();
    swapped.fill(0, 16);
    swapped[16 + ((s.dataset.test.labels![0] + 1) % 4)] = 1;
    const bound = (r: Float32Array) => tf.tidy(() => vae.logWeights(tf.tensor2d(r, [1, 20]), 1, new Random(5)).dataSync()[0]);
    expect(bound(rows)).not.toBeCloseTo(bound(swapped), 3);
    s.model.dispose();
  });

  it('gives a convolutional encoder the label beside its convolution features', async () => {
    const s = await setup(conditioned({ model: { latentDim: 2, encoder: { type: 'conv', channels: [3], hidden: [8] }, decoder: { type: 'mlp', hidden: [8] } } }));
    // 4x4 image, one stride-2 conv with 3 channels: 2 * 2 * 3 = 12 features, then the 4 label columns
    expect(s.model.namedVariables().get('encoder/dense0/kernel')?.shape).toEqual([16, 8]);
    const rows = s.dataset.test.x.slice(0, 2 * 20);
    const t = tf.tidy(() => s.model.terms(tf.tensor2d(rows, [2, 20]), new Random(1), false).logPx.dataSync());
    expect(t.every(Number.isFinite)).toBe(true);
    s.model.dispose();
  });

  it('learns to draw the stripe of the label it is given', async () => {
    const s = await setup(conditioned());
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-cvae-'));
    await train({ ...s, outDir: out, log: () => undefined, tty: false });
    const perClass = 8;
    const labels = Array.from({ length: 4 * perClass }, (_, i) => Math.floor(i / perClass));
    const x = tf.tidy(() => s.model.generate(labels.length, new Random(9), tf.tensor2d(oneHotRows(labels, 4), [labels.length, 4])).arraySync() as number[][]);
    for (let i = 0; i < labels.length; i++) {
      const rowMeans = [0, 1, 2, 3].map((r) => x[i].slice(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0) / 4);
      expect(rowMeans.indexOf(Math.max(...rowMeans))).toBe(labels[i]);
    }
    // Without a condition the classes take turns.
    const turns = tf.tidy(() => s.model.generate(4, new Random(9)).arraySync() as number[][]);
    turns.forEach((img, i) => expect(img.slice(i * 4, i * 4 + 4).every((v) => v > 0.5)).toBe(true));
    expect(() => s.model.generate(2, new Random(1), tf.zeros([3, 4]))).toThrow(/\[2, 4\], got \[3,4\]/);
    s.model.dispose();
  });

  it("draws training's sample grids one row per class", async () => {
    expect(classGrid(6, 4)).toEqual({ n: 8, columns: 2, labels: [0, 0, 1, 1, 2, 2, 3, 3] });
    const s = await setup(conditioned({ training: { epochs: 1, batchSize: 32, samples: 6 } }));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-cvae-grid-'));
    await train({ ...s, outDir: out, log: () => undefined, tty: false });
    const size = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];
    // 4 classes x 2 samples: the same size as a 2-column grid of 8 images of 4x4
    expect(size(fs.readFileSync(path.join(out, 'samples', 'epoch-001.png')))).toEqual(size(imageGridPng(new Float32Array(8 * 16), 8, [4, 4, 1], 2)));
    s.model.dispose();
  });

  it('is refused where a component cannot read the condition, at a located path', async () => {
    const doubling = definePlugin({
      name: 'doubling',
      version: '0.0.0',
      components: [defineComponent({ kind: 'flow', type: 'double', description: 'z -> 2z', schema: {}, create: (_o, ctx) => new DoubleFlow(ctx.latentDim, false) })],
    });
    const registry = createRegistry(testDataPlugin, doubling);
    const vamp = await checkBuild(
      registry,
      resolveManifest(conditioned({ model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] }, prior: { type: 'vamp', pseudoInputs: 4 } } }), registry),
    );
    expect(vamp.issues[0]).toMatchObject({ path: '/model/prior', message: expect.stringMatching(/not conditional/) });
    const flowModel = await checkBuild(registry, resolveManifest(conditioned({ model: { type: 'flow', flows: [{ type: 'double' }] } }), registry));
    expect(flowModel.issues[0]).toMatchObject({ path: '/model/type', message: expect.stringMatching(/does not read the condition/) });
    const unconditioned = await checkBuild(
      registry,
      resolveManifest(tinyManifest({ model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] }, prior: { type: 'conditional-gaussian' } } }), registry),
    );
    expect(unconditioned.issues[0]).toMatchObject({ path: '/model/prior', message: expect.stringMatching(/"condition": "label"/) });
  });
});
