import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Gradients of the tfjs ops (tfjs-core's Node bundle ships ops without them).
import '@tensorflow/tfjs-layers';
import { dataIdsLeaked, maxDiff, onCpuAndWasm, productAndGradients, TRANSPOSES } from './backend-compare';
import {
  ADAM_KERNEL,
  BERNOULLI_LOG_PROB_KERNEL,
  GLOBAL_NORM_KERNEL,
  candidates,
  expectedSourceHash,
  loadBinary,
  loadNative,
  platformPackage,
  unpackPrebuilt,
  registerNativeKernels,
  unregisterNativeKernels,
  nativeKernelsRegistered,
  type NativeBinding,
} from '../src/index';
// @ts-expect-error: a plain .mjs script without types
const { sourceHash } = (await import('../scripts/source-hash.mjs')) as { sourceHash(): string };

/** Every binary on this machine that loads and matches the sources: the prebuilt one and a source build. */
const binaries = candidates()
  .filter((c) => c.file && fs.existsSync(c.file))
  .map((c) => ({ ...c, load: loadBinary(c.file!, c.source) }));

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** f on cpu and on wasm (the native kernels registered), compared relative to max(1, |cpu|). */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: number[][]; native: number[][] }> {
  const { cpu, wasm } = await onCpuAndWasm(f);
  return { cpu, native: wasm };
}
const maxRelDiff = (a: number[][], b: number[][]) => maxDiff(a, b, true);

describe('loading', () => {
  it('finds a native binary on this machine that matches the sources', () => {
    const r = loadNative();
    expect(r.ok ? '' : r.reason).toBe('');
  });

  it('the JavaScript side expects the hash of the current native sources', () => {
    expect(expectedSourceHash()).toBe(sourceHash());
  });

  const prebuilt = path.join(__dirname, '..', '..', 'native-linux-x64-gnu', 'vaeflow_native.node.br');
  it.skipIf(!(process.platform === 'linux' && process.arch === 'x64'))('the committed prebuilt binary was built from the current sources (else: npm run native:prebuild) [linux-x64 only]', () => {
    expect(platformPackage()).toBe('@vaeflow/native-linux-x64-gnu');
    expect(fs.existsSync(prebuilt)).toBe(true);
    const r = loadBinary(prebuilt, 'prebuilt');
    expect(r.ok ? '' : r.reason).toBe('');
  });

  it.skipIf(!(process.platform === 'linux' && process.arch === 'x64'))('unpacks the compressed prebuilt once, to a file named by its hash, with the exact bytes [linux-x64 only]', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-unpack-'));
    const copy = path.join(dir, 'vaeflow_native.node.br');
    fs.copyFileSync(prebuilt, copy);
    const first = unpackPrebuilt(copy);
    expect(path.dirname(first)).toBe(dir);
    expect(path.basename(first)).toMatch(/^vaeflow_native-[0-9a-f]{16}\.node$/);
    expect(fs.readFileSync(first).equals(zlib.brotliDecompressSync(fs.readFileSync(copy)))).toBe(true);
    const mtime = fs.statSync(first).mtimeMs;
    expect(unpackPrebuilt(copy)).toBe(first);
    expect(fs.statSync(first).mtimeMs).toBe(mtime);
  });

  it('refuses a file that is not a native module, saying why', () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-native-')), 'broken.node');
    fs.writeFileSync(bad, 'not a shared object');
    const r = loadBinary(bad, 'broken');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/^broken failed to load: /);
  });
});

for (const candidate of binaries) {
  describe(`native kernels from ${candidate.source} against the cpu backend`, () => {
    let binding: NativeBinding;
    beforeAll(async () => {
      if (!candidate.load.ok) throw new Error(candidate.load.reason);
      binding = candidate.load.native.binding;
      await tf.setBackend('wasm');
      await tf.ready();
      unregisterNativeKernels();
      registerNativeKernels(binding);
      expect(nativeKernelsRegistered()).toBe(true);
    });
    afterAll(() => unregisterNativeKernels());

    for (const threads of [1, 2]) {
      for (const [ta, tb] of TRANSPOSES) {
        it(`BatchMatMul transposeA=${ta} transposeB=${tb}, ${threads} thread(s), values and gradients`, async () => {
          binding.setThreads(threads);
          const A = values(3 * 37 * 65, 1),
            B = values(3 * 65 * 29, 2);
          const { cpu, native } = await onBoth(() => productAndGradients(tf.tensor3d(A, ta ? [3, 65, 37] : [3, 37, 65]), tf.tensor3d(B, tb ? [3, 29, 65] : [3, 65, 29]), ta, tb));
          expect(maxRelDiff(cpu, native)).toBeLessThan(1e-4);
        });
      }
    }

    it('BatchMatMul below the BLAS cut-off (a loop per shape): matrix-vector, outer, dot and small products in every transpose, with gradients', async () => {
      // [M, K, N]: Sylvester's [32, 32] x [32, 1] and its gradients' shapes, and the loops' edge cases.
      const shapes = [
        [32, 32, 1],
        [32, 1, 32],
        [1, 32, 32],
        [1, 32, 1],
        [20, 3, 9],
        [7, 12, 5],
        [1, 1, 1],
      ];
      for (const [ta, tb] of TRANSPOSES) {
        const { cpu, native } = await onBoth(() =>
          shapes.flatMap(([M, K, N], s) =>
            productAndGradients(tf.tensor3d(values(3 * M * K, 10 + s), ta ? [3, K, M] : [3, M, K]), tf.tensor3d(values(3 * K * N, 20 + s), tb ? [3, N, K] : [3, K, N]), ta, tb),
          ),
        );
        expect(maxRelDiff(cpu, native)).toBeLessThan(1e-5);
      }
    });

    it('BatchMatMul broadcasts a batch of one on either side, and a product large enough to thread', async () => {
      binding.setThreads(2);
      const { cpu, native } = await onBoth(() => {
        const a = tf.tensor3d(values(4 * 5 * 6, 3), [4, 5, 6]);
        const b = tf.tensor3d(values(6 * 7, 4), [1, 6, 7]);
        const big = tf.matMul(tf.tensor2d(values(128 * 784, 5), [128, 784]), tf.tensor2d(values(784 * 512, 6), [784, 512]));
        // Outer shapes [2, 1] and [1, 2] broadcast to [2, 2]: four products, not two.
        const crossed = tf.matMul(tf.tensor4d(values(2 * 3 * 4, 8), [2, 1, 3, 4]), tf.tensor4d(values(2 * 4 * 5, 9), [1, 2, 4, 5]));
        return [tf.matMul(a, b), tf.matMul(b, tf.tensor3d(values(4 * 7 * 3, 7), [4, 7, 3])), big, crossed];
      });
      expect(maxRelDiff(cpu, native)).toBeLessThan(1e-4);
    });

    it('empty products give empty or zero outputs', async () => {
      const { cpu, native } = await onBoth(() => [tf.matMul(tf.zeros([0, 3]), tf.ones([3, 4])), tf.matMul(tf.ones([2, 0]), tf.ones([0, 3]))]);
      expect(native).toEqual(cpu);
    });

    for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'sigmoid', 'elu'] as const) {
      it(`_FusedMatMul with a bias and ${activation} matches, with gradients where tfjs has them`, async () => {
        const { cpu, native } = await onBoth(() => {
          const x = tf.tensor2d(values(9 * 11, 8), [9, 11]);
          const w = tf.tensor2d(values(11 * 5, 9), [11, 5]);
          const bias = tf.tensor1d(values(5, 10));
          const prelu = activation === 'prelu' ? tf.tensor1d([0.1, 0.2, 0.3, 0.4, 0.5]) : undefined;
          const y = tf.fused.matMul({ a: x, b: w, bias, activation, preluActivationWeights: prelu, leakyreluAlpha: 0.15 });
          if (activation !== 'linear' && activation !== 'relu') return [y];
          const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation, transposeB: false })));
          return [y, ...tf.grads(f)([x, w, bias])];
        });
        expect(maxRelDiff(cpu, native)).toBeLessThan(1e-4);
      });
    }

    it('_FusedMatMul with a scalar bias and transposes, and a bias per output element', async () => {
      const { cpu, native } = await onBoth(() => {
        const x = tf.tensor2d(values(11 * 9, 11), [11, 9]);
        const w = tf.tensor2d(values(5 * 11, 12), [5, 11]);
        return [
          tf.fused.matMul({ a: x, b: w, transposeA: true, transposeB: true, bias: tf.scalar(0.25), activation: 'relu' }),
          tf.fused.matMul({ a: x, b: w, transposeA: true, transposeB: true, bias: tf.tensor2d(values(9 * 5, 13), [9, 5]) }),
        ];
      });
      expect(maxRelDiff(cpu, native)).toBeLessThan(1e-4);
    });

    // [stride, padding, in channels, out channels, kernel, dilation]; at most 8 out channels
    // from at least 8 in run direct (no patch matrix): Glow's coupling output, strided, dilated.
    for (const [stride, pad, ci, co, k, dil] of [
      [1, 'same', 64, 4, 3, 1],
      [2, 'valid', 9, 1, 3, 1],
      [1, 'same', 8, 8, 3, 2],
      [1, 'same', 3, 4, 3, 1],
      [2, 'same', 3, 4, 3, 1],
      [2, 'valid', 3, 4, 3, 1],
      [1, 'valid', 1, 16, 3, 1],
      [2, 'same', 16, 8, 4, 1],
      [1, 'valid', 5, 6, 1, 1],
      [1, 'same', 2, 3, 3, 2],
    ] as const) {
      it(`Conv2D ${k}x${k} stride ${stride} ${pad} dilation ${dil}, ${ci} -> ${co} channels, with both backprops`, async () => {
        const X = values(2 * 9 * 9 * ci, 14),
          K = values(k * k * ci * co, 15);
        const { cpu, native } = await onBoth(() => {
          const x = tf.tensor4d(X, [2, 9, 9, ci]);
          const w = tf.tensor4d(K, [k, k, ci, co]);
          const y = tf.conv2d(x, w, stride, pad, 'NHWC', dil);
          if (dil !== 1) return [y];
          const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, stride, pad)));
          return [y, ...tf.grads(f)([x, w])];
        });
        // Sums of k * k * ci products in another order: float32 rounding grows as their square root.
        expect(maxRelDiff(cpu, native)).toBeLessThan(1e-4 * Math.max(1, Math.sqrt((k * k * ci) / 64)));
      });
    }

    it('conv2dTranspose (the conv decoder) forward and gradients', async () => {
      const { cpu, native } = await onBoth(() => {
        const x = tf.tensor4d(values(2 * 7 * 7 * 8, 16), [2, 7, 7, 8]);
        const w = tf.tensor4d(values(4 * 4 * 3 * 8, 17), [4, 4, 3, 8]);
        const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.conv2dTranspose(xx as tf.Tensor4D, ww as tf.Tensor4D, [2, 14, 14, 3], 2, 'same')));
        return [tf.conv2dTranspose(x, w, [2, 14, 14, 3], 2, 'same'), ...tf.grads(f)([x, w])];
      });
      expect(maxRelDiff(cpu, native)).toBeLessThan(1e-4);
    });

    it('Sum over leading, trailing, middle and all axes, with keepDims, and a non-contiguous set (handed to wasm)', async () => {
      const X = values(4 * 5 * 6 * 7, 50);
      const { cpu, native } = await onBoth(() => {
        const x = tf.tensor4d(X, [4, 5, 6, 7]);
        return [
          tf.sum(x, 0),
          tf.sum(x, -1),
          tf.sum(x, [1, 2]),
          tf.sum(x),
          tf.sum(x, [0, 1], true),
          tf.sum(x, [0, 2]),
          tf.sum(tf.tensor2d(values(128 * 512, 51), [128, 512]), 0),
          tf.sum(tf.zeros([3, 0, 2]), 1),
          tf.sum(tf.tensor1d([1, 2, 3], 'int32')),
        ];
      });
      expect(maxRelDiff(cpu, native)).toBeLessThan(1e-5);
    });

    it('Tile along every axis, of rank 1 to 4, float32 and int32, and with zero repeats', async () => {
      const { cpu, native } = await onBoth(() => {
        const x = tf.tensor3d(values(2 * 3 * 4, 52), [2, 3, 4]);
        return [
          tf.tile(x, [1, 1, 1]),
          tf.tile(x, [3, 1, 1]),
          tf.tile(x, [1, 2, 1]),
          tf.tile(x, [1, 1, 5]),
          tf.tile(x, [2, 3, 2]),
          tf.tile(tf.tensor1d([1, 2, 3]), [4]),
          tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 3]),
          tf.tile(tf.tensor4d(values(24, 53), [1, 2, 3, 4]), [2, 1, 2, 1]),
          tf.tile(x, [0, 1, 1]),
          // The IWAE pattern: each row of [B, D] repeated K times, with its gradient (a sum over the copies).
          tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.tile(tf.expandDims(v, 1), [1, 7, 1]))))(tf.tensor2d(values(3 * 10, 54), [3, 10])),
        ];
      });
      expect(maxRelDiff(cpu, native)).toBeLessThan(1e-6);
    });

    it('Softplus over both tails and large tensors (threaded), with its gradient', async () => {
      const X = values(200_000, 55).map((v) => v * 40);
      X.set([0, -100, 100, 15.9, -15.9, 1e-8, -1e-8, 88, -88, 8.3, -8.3, NaN], 0);
      const { cpu, native } = await onBoth(() => {
        const x = tf.tensor1d(X);
        return [tf.softplus(x), tf.grad((v: tf.Tensor) => tf.sum(tf.softplus(v)))(x)];
      });
      expect(maxRelDiff(cpu, native)).toBeLessThan(1e-6);
    });

    it(`${ADAM_KERNEL} follows tf.train.adam on the cpu backend over 5 steps, with a clipping scale`, async () => {
      const shape = [37, 13];
      const grads = [0, 1, 2, 3, 4].map((s) => values(37 * 13, 20 + s));
      const scale = 0.37;
      // Reference: tfjs's Adam on cpu, gradients scaled beforehand.
      await tf.setBackend('cpu');
      const ref = tf.variable(tf.tensor2d(values(37 * 13, 19), shape as [number, number]), true, 'adam-ref');
      const opt = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
      for (const g of grads) tf.tidy(() => opt.applyGradients([{ name: 'adam-ref', tensor: tf.mul(tf.tensor2d(g, shape as [number, number]), scale) }]));
      const expected = Array.from(ref.dataSync());
      ref.dispose();
      opt.dispose();
      // Native: the fused kernel with the scale inside.
      await tf.setBackend('wasm');
      let x = tf.tensor2d(values(37 * 13, 19), shape as [number, number]);
      let m = tf.zeros(shape),
        v = tf.zeros(shape);
      grads.forEach((g, i) => {
        const t = i + 1;
        const gradient = tf.tensor2d(g, shape as [number, number]);
        const [x2, m2, v2] = tf
          .engine()
          .runKernel(
            ADAM_KERNEL,
            { x, gradient, m, v },
            { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, gradScale: scale, oneMinusAccBeta1: 1 - 0.9 ** t, oneMinusAccBeta2: 1 - 0.999 ** t },
          ) as tf.Tensor[];
        // New tensors every step: the inputs are left as they were.
        expect(x2.dataId).not.toBe(x.dataId);
        tf.dispose([x, m, v, gradient]);
        [x, m, v] = [x2, m2, v2] as tf.Tensor2D[];
      });
      const got = Array.from(x.dataSync());
      tf.dispose([x, m, v]);
      expect(maxRelDiff([expected], [got])).toBeLessThan(1e-5);
    });

    it(`${BERNOULLI_LOG_PROB_KERNEL} equals sum(x l - softplus(l)) per row on cpu, threaded over many rows`, async () => {
      const rows = 700,
        dims = 97;
      const X = values(rows * dims, 60).map((v) => (v > 0.4 ? 1 : Math.max(v, 0)));
      const L = values(rows * dims, 61).map((v) => v * 30);
      await tf.setBackend('cpu');
      const expected = tf.tidy(() => Array.from(tf.sum(tf.sub(tf.mul(tf.tensor2d(X, [rows, dims]), tf.tensor2d(L, [rows, dims])), tf.softplus(tf.tensor2d(L, [rows, dims]))), 1).dataSync()));
      await tf.setBackend('wasm');
      const got = tf.tidy(() => Array.from((tf.engine().runKernel(BERNOULLI_LOG_PROB_KERNEL, { x: tf.tensor2d(X, [rows, dims]), logits: tf.tensor2d(L, [rows, dims]) }, {}) as tf.Tensor).dataSync()));
      expect(maxRelDiff([expected], [got])).toBeLessThan(1e-5);
      expect(() => tf.tidy(() => tf.engine().runKernel(BERNOULLI_LOG_PROB_KERNEL, { x: tf.ones([2, 3]), logits: tf.ones([3, 2]) }, {}))).toThrow(/one shape/);
    });

    for (const threads of [1, 2]) {
      it(`flushes subnormal results to zero in every thread of a product (${threads} thread(s)), and only inside the kernels`, async () => {
        binding.setThreads(threads);
        // 1e-20 * 1e-20 = 1e-40, below float's smallest normal (1.2e-38): the cpu backend keeps it.
        await tf.setBackend('cpu');
        const kept = tf.tidy(() => tf.matMul(tf.fill([256, 64], 1e-20), tf.fill([64, 256], 1e-20)).dataSync());
        expect(Math.min(...kept)).toBeGreaterThan(0);
        await tf.setBackend('wasm');
        // Large enough for OpenBLAS to split the product between its threads: every element is 0.
        const flushed = tf.tidy(() => tf.matMul(tf.fill([256, 64], 1e-20), tf.fill([64, 256], 1e-20)).dataSync());
        expect(flushed.every((v) => v === 0)).toBe(true);
        // Subnormal inputs are read as zero too (x * 1 of a subnormal x).
        expect(tf.tidy(() => tf.matMul(tf.fill([8, 8], 1e-40), tf.eye(8)).dataSync()).every((v) => v === 0)).toBe(true);
        // Outside the kernels the mode is restored: the wasm backend's own Multiply and JavaScript keep subnormals.
        expect(tf.tidy(() => tf.mul(tf.scalar(1e-20), tf.scalar(1e-20)).dataSync()[0])).toBeGreaterThan(0);
        expect(new Float32Array([1e-20 * 1e-20])[0]).toBeGreaterThan(0);
      });
    }

    it(`${GLOBAL_NORM_KERNEL} equals sqrt of the summed squares computed on cpu`, async () => {
      const parts = [[5, 7], [1], [300, 11], [0]].map((s, i) => ({
        s,
        v: values(
          s.reduce((a, b) => a * b, 1),
          30 + i,
        ),
      }));
      await tf.setBackend('cpu');
      const expected = tf.tidy(() => tf.sqrt(tf.addN(parts.map((p) => tf.sum(tf.square(tf.tensor(p.v, p.s)))))).dataSync()[0]);
      await tf.setBackend('wasm');
      const got = tf.tidy(() => (tf.engine().runKernel(GLOBAL_NORM_KERNEL, parts.map((p) => tf.tensor(p.v, p.s)) as unknown as tf.NamedTensorMap, {}) as tf.Tensor).dataSync()[0]);
      expect(Math.abs(got - expected) / expected).toBeLessThan(1e-6);
    });

    it('gives identical results on repeated runs (deterministic at a fixed thread count)', async () => {
      binding.setThreads(2);
      await tf.setBackend('wasm');
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(values(8 * 14 * 14 * 16, 40), [8, 14, 14, 16]);
          const w = tf.tensor4d(values(3 * 3 * 16 * 32, 41), [3, 3, 16, 32]);
          const f = (xx: tf.Tensor, ww: tf.Tensor) =>
            tf.sum(tf.square(tf.matMul(tf.reshape(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same'), [8, -1]) as tf.Tensor2D, tf.ones([7 * 7 * 32, 5]))));
          return tf
            .grads(f)([x, w])
            .map((g) => Array.from(g.dataSync()));
        });
      expect(run()).toEqual(run());
    });

    it('leaks no backend memory', async () => {
      await tf.setBackend('wasm');
      const run = () =>
        tf.tidy(() => {
          const a = tf.randomNormal([16, 8]);
          const b = tf.randomNormal([16, 4]);
          tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, true, false)))([a, b]);
          tf.grad((k: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 6, 6, 2]) as tf.Tensor4D, k as tf.Tensor4D, 2, 'same')))(tf.ones([3, 3, 2, 3]));
          tf.engine().runKernel(GLOBAL_NORM_KERNEL, [a, b] as unknown as tf.NamedTensorMap, {});
        });
      expect(dataIdsLeaked(run)).toBe(0);
    });

    it('rejects buffers outside the heap with an error instead of touching memory', () => {
      const heap = new ArrayBuffer(1024);
      expect(() => binding.matmul(heap, 0, 0, 4096, -1, -1, 1, 0, 0, 8, 8, 8, 0, 0, 0, 0, 0, 0)).toThrow(/outside the heap/);
      expect(() => binding.adam(heap, 0, 0, 0, 0, 0, 0, 0, 1e6, 0.1, 0.9, 0.999, 1e-8, 1, 0.1, 0.001)).toThrow(/outside the heap/);
      expect(() => binding.sumSquares(heap, -8, 4)).toThrow(/outside the heap/);
      // a weight past the end, and a batch too large for x
      expect(() => binding.mlp(heap, 0, 64, [128, 2048], [2, 4], 1, 0, 0, 0)).toThrow(/outside the heap/);
      expect(() => binding.mlp(heap, 0, 64, [128, 160], [2, 4], 1000, 0, 0, 0)).toThrow(/outside the heap/);
      expect(() => binding.mlp(heap, 0, 64, [], [], 1, 0, 0, 0)).toThrow(/L >= 1 layers/);
      expect(() => binding.rqSpline(heap, 0, 0, 0, 0, 0, 0, 1000, 8, 3, 1e-3, 1e-3, 0)).toThrow(/outside the heap/);
    });
  });
}
