import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The kernel tests' shell, kept with @vaeflow/native's tests (core already depends on that package;
// the other way round would make a cycle in the build graph).
import { dataIdsLeaked, maxDiff, onCpuAndWasm, productAndGradients, TRANSPOSES } from '../../native/test/backend-compare';
import { Random, fusedAffineCoupling, installWasmKernels, restoreStockWasmKernels, selectBackend, wasmKernelsTuned } from '../src/index.js';

const onBoth = onCpuAndWasm;
const maxAbsDiff = (a: number[][], b: number[][]) => maxDiff(a, b);

describe('wasm kernel overrides', () => {
  beforeAll(async () => {
    await selectBackend('wasm', { log: null });
  });

  it('are installed and can be swapped back to stock', () => {
    expect(wasmKernelsTuned()).toBe(true);
    restoreStockWasmKernels();
    expect(wasmKernelsTuned()).toBe(false);
    installWasmKernels();
    expect(wasmKernelsTuned()).toBe(true);
  });

  const rng = new Random('kernels');
  const A = rng.normalArray(3 * 5 * 7);
  const B = rng.normalArray(3 * 7 * 4);
  for (const [ta, tb] of TRANSPOSES) {
    it(`BatchMatMul transposeA=${ta} transposeB=${tb} matches cpu, with gradients`, async () => {
      const { cpu, wasm } = await onBoth(() => productAndGradients(tf.tensor3d(A, ta ? [3, 7, 5] : [3, 5, 7]), tf.tensor3d(B, tb ? [3, 4, 7] : [3, 7, 4]), ta, tb));
      expect(maxAbsDiff(cpu, wasm)).toBeLessThan(1e-4);
    });
  }

  it('_FusedMatMul with bias and relu matches cpu, with gradients', async () => {
    const { cpu, wasm } = await onBoth(() => {
      const x = tf.tensor2d(A.subarray(0, 35), [5, 7]);
      const w = tf.tensor2d(B.subarray(0, 28), [7, 4]);
      const bias = tf.tensor1d([0.1, -0.2, 0.3, 0]);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'relu' })));
      return tf.grads(f)([x, w, bias]);
    });
    expect(maxAbsDiff(cpu, wasm)).toBeLessThan(1e-4);
  });

  // [in, out] channels: 3 -> 4 takes the P^T dy path, 1 -> 16 the (dy^T P)^T path.
  for (const [stride, pad, ci, co] of [
    [1, 'same', 3, 4],
    [2, 'same', 3, 4],
    [2, 'valid', 3, 4],
    [1, 'valid', 3, 4],
    [2, 'same', 1, 16],
    [1, 'valid', 1, 16],
  ] as const) {
    it(`Conv2DBackpropFilter and Conv2DBackpropInput (stride ${stride}, ${pad}, ${ci} -> ${co} channels) match cpu`, async () => {
      const X = rng.normalArray(2 * 9 * 9 * ci);
      const K = rng.normalArray(3 * 3 * ci * co);
      const { cpu, wasm } = await onBoth(() => {
        const x = tf.tensor4d(X, [2, 9, 9, ci]);
        const k = tf.tensor4d(K, [3, 3, ci, co]);
        const f = (xx: tf.Tensor, kk: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, kk as tf.Tensor4D, stride, pad)));
        return tf.grads(f)([x, k]);
      });
      expect(maxAbsDiff(cpu, wasm)).toBeLessThan(1e-3);
    });
  }

  it('conv2dTranspose gradients (the conv decoder) match cpu', async () => {
    const X = rng.normalArray(2 * 7 * 7 * 4);
    const K = rng.normalArray(4 * 4 * 3 * 4);
    const { cpu, wasm } = await onBoth(() => {
      const x = tf.tensor4d(X, [2, 7, 7, 4]);
      const k = tf.tensor4d(K, [4, 4, 3, 4]);
      const f = (xx: tf.Tensor, kk: tf.Tensor) => tf.sum(tf.square(tf.conv2dTranspose(xx as tf.Tensor4D, kk as tf.Tensor4D, [2, 14, 14, 3], 2, 'same')));
      return tf.grads(f)([x, k]);
    });
    expect(maxAbsDiff(cpu, wasm)).toBeLessThan(1e-3);
  });

  it('Slice (contiguous, strided, rank 1-5, int32), Unpack and SplitV match cpu, with gradients', async () => {
    const X = rng.normalArray(3 * 4 * 5 * 2 * 3);
    const { cpu, wasm } = await onBoth(() => {
      const x5 = tf.tensor(X, [3, 4, 5, 2, 3]);
      const x3 = tf.reshape(x5, [3, 20, 6]);
      const x2 = tf.reshape(x5, [12, 30]);
      const ints = tf.cast(tf.mul(x2, 10), 'int32');
      const f = (a: tf.Tensor) => {
        const parts = [
          tf.slice(a, [1, 0, 0], [1, -1, -1]), // contiguous
          tf.slice(a, [0, 3, 1], [2, 9, 4]), // strided
          ...tf.unstack(a, 0),
          ...tf.unstack(a, 2),
          ...tf.split(a, [2, 3, 1], 2),
          ...tf.split(a, 4, 1),
        ];
        return tf.addN(parts.map((p, i) => tf.mul(tf.sum(tf.sin(p)), i + 1)));
      };
      return [
        tf.slice(x5, [1, 1, 2, 0, 1], [2, 2, 3, 2, 2]),
        tf.slice(x2, [2, 5], [4, 7]),
        tf.slice(tf.reshape(x5, [360]), [17], [40]),
        tf.cast(tf.slice(ints, [3, 2], [5, 20]), 'float32'),
        tf.stack(tf.unstack(ints, 1).map((t) => tf.cast(t, 'float32'))),
        tf.reshape(tf.slice(x2, [0, 0], [0, 3]), [0]),
        f(x3),
        tf.grad(f)(x3),
      ];
    });
    // The slices are copies, so exactly equal; the last two (sums over them, and gradients)
    // differ by float rounding only.
    expect(maxDiff(cpu.slice(0, 6), wasm.slice(0, 6))).toBe(0);
    expect(maxDiff(cpu.slice(6), wasm.slice(6), true)).toBeLessThan(1e-4);
  });

  it('Concat (any axis, short and long runs, int32, empty parts) matches cpu, with gradients', async () => {
    const X = rng.normalArray(2 * 6 * 5 * 8);
    const Y = rng.normalArray(2 * 6 * 5 * 100);
    const { cpu, wasm } = await onBoth(() => {
      const x = tf.tensor(X, [2, 6, 5, 8]);
      const y = tf.tensor(Y, [2, 6, 5, 100]);
      const ints = tf.cast(tf.mul(x, 10), 'int32');
      // a channel join of NHWC images (runs of 8 and 4), a long-run join, joins on outer axes
      const f = (a: tf.Tensor, b: tf.Tensor) => {
        const [p, q] = tf.split(a, 2, 3);
        const parts = [tf.concat([q, a, p], 3), tf.concat([a, b], 3), tf.concat([a, a], 0), tf.concat([a, tf.slice(a, [0, 0, 0, 0], [2, 3, 5, 8])], 1)];
        return tf.addN(parts.map((t, i) => tf.mul(tf.sum(tf.sin(t)), i + 1)));
      };
      return [
        tf.concat([x, tf.slice(x, [0, 0, 0, 2], [2, 6, 5, 3])], 3),
        tf.concat([y, x], 3),
        tf.concat([x, tf.zeros([2, 6, 0, 8]), x], 2),
        tf.cast(tf.concat([ints, ints], 3), 'float32'),
        f(x, y),
        ...tf.grads(f)([x, y]),
      ];
    });
    expect(maxDiff(cpu.slice(0, 4), wasm.slice(0, 4))).toBe(0);
    expect(maxDiff(cpu.slice(4), wasm.slice(4), true)).toBeLessThan(1e-4);
  });

  it('PadV2 (rank 1-4, before and after, a constant, int32) matches cpu, with the gradient of slices', async () => {
    const X = rng.normalArray(3 * 4 * 5 * 6);
    const { cpu, wasm } = await onBoth(() => {
      const x = tf.tensor(X, [3, 4, 5, 6]);
      const ints = tf.cast(tf.mul(x, 10), 'int32');
      const f = (a: tf.Tensor) => tf.sum(tf.sin(tf.add(tf.slice(a, [1, 0, 2, 1], [2, 3, 3, 5]), tf.slice(a, [0, 1, 0, 0], [2, 3, 3, 5]))));
      return [
        tf.pad(x, [
          [1, 0],
          [0, 2],
          [1, 1],
          [3, 0],
        ]),
        tf.pad(tf.reshape(x, [360]), [[5, 7]], -2.5),
        tf.pad(tf.reshape(x, [12, 30]), [
          [0, 0],
          [2, 40],
        ]),
        tf.cast(
          tf.pad(
            ints,
            [
              [0, 1],
              [1, 0],
              [0, 0],
              [2, 2],
            ],
            7,
          ),
          'float32',
        ),
        tf.grad(f)(x),
      ];
    });
    expect(maxDiff(cpu.slice(0, 4), wasm.slice(0, 4))).toBe(0);
    expect(maxDiff(cpu.slice(4), wasm.slice(4), true)).toBeLessThan(1e-5);
  });

  it('comparisons that broadcast (scalar, rows, columns, middle axes, rank 4, int32, NaN, ties) match cpu exactly', async () => {
    const X = rng.normalArray(4 * 3 * 5 * 2).map((v, i) => (i % 11 === 0 ? 0.5 : v));
    const Y = rng.normalArray(4 * 5).map((v, i) => (i % 3 === 0 ? 0.5 : v));
    const ops = [tf.greater, tf.greaterEqual, tf.less, tf.lessEqual, tf.equal, tf.notEqual];
    const { cpu, wasm } = await onBoth(() => {
      const x = tf.tensor(X, [4, 3, 5, 2]);
      const y = tf.tensor(Y, [4, 1, 5, 1]); // broadcast along axes 1 and 3
      const pairs: [tf.Tensor, tf.Tensor][] = [
        [x, y],
        [y, x],
        [x, tf.scalar(0.5)],
        [tf.reshape(x, [12, 10]), tf.slice(tf.reshape(x, [12, 10]), [0, 0], [1, 10])], // one row against all
        [tf.reshape(x, [12, 10]), tf.slice(tf.reshape(x, [12, 10]), [0, 3], [12, 1])], // one column against all
        [tf.reshape(y, [20, 1]), tf.reshape(y, [1, 20])], // outer comparison
        [tf.tensor([Number.NaN, 1, 2]), tf.tensor([[Number.NaN], [1]])],
        [tf.cast(tf.mul(x, 3), 'int32'), tf.cast(tf.mul(y, 3), 'int32')],
        [tf.reshape(x, [4, 3, 10]), tf.zeros([4, 3, 10])], // equal shapes: the stock kernel
      ];
      return pairs.flatMap(([a, b]) => ops.map((op) => tf.cast(op(a, b), 'float32')));
    });
    expect(maxDiff(cpu, wasm)).toBe(0);
  });

  it('Identity shares the buffer (tf.clone, the tape) and frees it with the last reference', async () => {
    await tf.setBackend('wasm');
    const buffers = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number; has(d: object): boolean } }).dataIdMap;
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const before = buffers.numDataIds();
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(buffers.numDataIds()).toBe(before); // no second buffer
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]); // still alive through the clone
    y.dispose();
    expect(buffers.has(x.dataId)).toBe(false);
    expect(buffers.numDataIds()).toBe(before - 1);
    const A = rng.normalArray(12);
    const { cpu, wasm } = await onBoth(() => {
      const a = tf.tensor(A, [3, 4]);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.clone(t), tf.sin(tf.clone(tf.reshape(t, [4, 3])).reshape([3, 4]))));
      return [f(a), tf.grad(f)(a)];
    });
    expect(maxDiff(cpu, wasm, true)).toBeLessThan(1e-5);
  });

  it('Cast to the same dtype shares the buffer too; a real cast still converts', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1.5, -2.5, 3.25], [3]);
    const same = tf.cast(x, 'float32');
    expect(same.dataId).toBe(x.dataId);
    const ints = tf.cast(x, 'int32');
    expect(ints.dataId).not.toBe(x.dataId);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3]);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.5, 3.25]);
    tf.dispose([same, ints]);
  });

  // The affine coupling step (forward and inverse) against the formula in tfjs ops on cpu, where
  // the fused kernel does not exist: values, log-determinants and the gradients of x, shift and
  // log-scale, with an upstream gradient on both outputs.
  for (const inverse of [false, true])
    for (const [label, mask] of [
      ['alternating', [1, 0, 1, 0, 0]],
      ['none kept', [0, 0, 0, 0, 0]],
      ['all kept', [1, 1, 1, 1, 1]],
    ] as const) {
      it(`the affine coupling step (${inverse ? 'inverse' : 'forward'}, ${label}) is one kernel on wasm and matches the composite on cpu, with gradients`, async () => {
        const [B, D] = [6, 5];
        const [X, T, S, W, V] = ['x', 't', 's', 'w', 'v'].map((k) => new Random(`coupling-${k}`).normalArray(k === 'v' ? B : B * D));
        const used: boolean[] = [];
        const { cpu, wasm } = await onBoth(() => {
          const b = tf.tensor2d([...mask], [1, D]);
          const step = (x: tf.Tensor2D, t: tf.Tensor2D, s: tf.Tensor2D) => {
            const fused = fusedAffineCoupling(x, t, s, b, inverse);
            used.push(fused != null);
            if (fused) return fused;
            const keep = tf.sub(1, b);
            const moved = inverse ? tf.mul(tf.sub(x, t), tf.exp(tf.neg(s))) : tf.add(tf.mul(x, tf.exp(s)), t);
            const logDet = tf.sum(tf.mul(keep, s), 1);
            return { y: tf.add(tf.mul(b, x), tf.mul(keep, moved)) as tf.Tensor2D, logDet: (inverse ? tf.neg(logDet) : logDet) as tf.Tensor1D };
          };
          const [x, t, s] = [X, T, S].map((a) => tf.tensor2d(a, [B, D]));
          const loss = (xx: tf.Tensor, tt: tf.Tensor, ss: tf.Tensor) => {
            const { y, logDet } = step(xx as tf.Tensor2D, tt as tf.Tensor2D, ss as tf.Tensor2D);
            return tf.add(tf.sum(tf.mul(y, tf.tensor2d(W, [B, D]))), tf.sum(tf.mul(logDet, tf.tensor1d(V))));
          };
          const { y, logDet } = step(x, t, s);
          return [y, logDet, ...tf.grads(loss)([x, t, s])];
        });
        expect(used).toEqual([false, false, true, true]);
        expect(maxDiff(cpu, wasm, true)).toBeLessThan(1e-5);
      });
    }

  it('the affine coupling step names what it was given when the shapes do not fit', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([3, 4]) as tf.Tensor2D;
    expect(() => fusedAffineCoupling(x, x, tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([1, 4]), false)).toThrow(/VaeflowAffineCoupling takes .*logScale \[3,2\] float32/);
    expect(() => fusedAffineCoupling(x, x, x, tf.zeros([1, 3]), false)).toThrow(/mask \[1,3\]/);
  });

  it('leak no backend memory', async () => {
    await tf.setBackend('wasm');
    const run = () =>
      tf.tidy(() => {
        const a = tf.randomNormal([16, 8]);
        const b = tf.randomNormal([16, 4]);
        tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, true, false)))([a, b]);
        tf.grad((k: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 6, 6, 2]) as tf.Tensor4D, k as tf.Tensor4D, 2, 'same')))(tf.ones([3, 3, 2, 3]));
        tf.grad((x: tf.Tensor) =>
          tf.addN(
            [
              ...tf.unstack(x),
              ...tf.split(x, 2, 1),
              tf.slice(x, [1, 1], [2, 2]),
              tf.concat([x, x], 1),
              tf.clone(x),
              tf.cast(tf.greaterEqual(x, tf.slice(x, [0, 0], [4, 1])), 'float32'),
              tf.pad(x, [
                [1, 0],
                [0, 2],
              ]),
            ].map((t) => tf.sum(t)),
          ),
        )(tf.ones([4, 4]));
      });
    expect(dataIdsLeaked(run)).toBe(0);
  });
});
