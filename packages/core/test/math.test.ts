import { describe, expect, it } from 'vitest';
import { bjorckOrthogonalise, leakyRelu, logMeanExp, logSumExp, Random, tf } from '../src/index.js';
import { useWasm } from './helpers.js';

await useWasm();

describe('logSumExp', () => {
  const x = tf.tensor3d(
    Array.from({ length: 3 * 4 * 5 }, (_, i) => Math.sin(i * 1.7) * 30 + (i % 7 === 0 ? 1e4 : 0)),
    [3, 4, 5],
  );

  for (const axis of [0, 1, 2, -1]) {
    it(`has tf.logSumExp's values exactly and its gradient (softmax) along axis ${axis}`, () => {
      const ours = logSumExp(x, axis);
      const theirs = tf.logSumExp(x, axis);
      expect(ours.shape).toEqual(theirs.shape);
      expect(Array.from(ours.dataSync())).toEqual(Array.from(theirs.dataSync()));
      // A weighted sum, so every output's gradient is checked with a different cotangent.
      const w = tf.randomNormal(theirs.shape, 0, 1, 'float32', 3);
      const gOurs = tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(logSumExp(v, axis), w)))(x)
        .dataSync();
      const gTheirs = tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.logSumExp(v, axis), w)))(x)
        .dataSync();
      for (let i = 0; i < gOurs.length; i++) expect(Math.abs(gOurs[i] - gTheirs[i])).toBeLessThan(2e-6 * Math.max(1, Math.abs(gTheirs[i])));
    });
  }

  it('keeps -inf entries out of the sum and gives them zero gradient; logMeanExp subtracts log K', () => {
    const v = tf.tensor2d([[0, -Infinity, Math.log(3)]]);
    expect(logSumExp(v, 1).dataSync()[0]).toBeCloseTo(Math.log(4), 6);
    expect(logMeanExp(v, 1).dataSync()[0]).toBeCloseTo(Math.log(4 / 3), 6);
    expect(
      Array.from(
        tf
          .grad((t: tf.Tensor) => tf.sum(logSumExp(t, 1)))(v)
          .dataSync(),
      ),
    ).toEqual([0.25, 0, 0.75].map((p) => expect.closeTo(p, 6)));
  });
});

describe('leakyRelu', () => {
  it("has tf.leakyRelu's values and gradient (alpha at and below 0, 1 above)", () => {
    const x = tf.tensor1d([-3, -0.5, 0, 1e-8, 2, -1e-30]);
    for (const alpha of [0.01, 0.2]) {
      expect(Array.from(leakyRelu(x, alpha).dataSync())).toEqual(Array.from(tf.leakyRelu(x, alpha).dataSync()));
      const w = tf.tensor1d([1, 2, 3, 4, 5, 6]);
      const ours = tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(leakyRelu(v, alpha), w)))(x)
        .dataSync();
      const theirs = tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, alpha), w)))(x)
        .dataSync();
      expect(Array.from(ours)).toEqual(Array.from(theirs));
      expect(Array.from(ours)).toEqual([alpha, 2 * alpha, 3 * alpha, 4, 5, 6 * alpha].map((v) => Math.fround(v)));
    }
  });
});

describe("ReLU's gradient", () => {
  it('is dy * step(x) as tfjs defines it, exactly, without a Cast of its own', async () => {
    const x = tf.tensor2d([-2, -0, 0, 1e-30, 3, -1e-30, 7, -5], [2, 4]);
    const w = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const casts = async (f: (v: tf.Tensor) => tf.Tensor) => {
      let g: number[] = [];
      const info = await tf.profile(() => {
        g = Array.from(tf.grad(f)(x).dataSync());
      });
      return { g, casts: info.kernels.filter((k) => k.name === 'Cast').length };
    };
    const withRelu = await casts((v) => tf.sum(tf.mul(tf.relu(v), w)));
    const without = await casts((v) => tf.sum(tf.mul(v, w))); // the sum's own gradient has one
    expect(withRelu.g).toEqual(Array.from(tf.mul(w, tf.cast(tf.step(x), 'float32')).dataSync()));
    expect(withRelu.casts).toBe(without.casts);
  });
});

describe("Tile's gradient (one reduction over the repetitions)", () => {
  const cases: [number[], number[]][] = [
    [[5], [3]],
    [
      [2, 3],
      [4, 1],
    ],
    [
      [2, 3],
      [2, 3],
    ],
    [
      [4, 1, 3],
      [1, 7, 1],
    ], // the IWAE's repeated rows
    [
      [2, 2, 3],
      [3, 1, 2],
    ],
    [
      [1, 2, 1, 2, 2],
      [2, 1, 3, 1, 2],
    ], // rank 5, beyond tfjs's own (which stops at 4)
    [
      [3, 2],
      [1, 1],
    ],
  ];
  for (const [shape, reps] of cases) {
    it(`sums dy over the copies: x [${shape}], reps [${reps}]`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const outShape = shape.map((s, d) => s * reps[d]);
      const m = outShape.reduce((a, b) => a * b, 1);
      const w = Array.from({ length: m }, (_, i) => Math.sin(i + 1));
      const got = tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.tile(v, reps), tf.tensor(w, outShape))))(tf.zeros(shape))
        .dataSync();
      // Expected: each output element's weight added to the input element it copies.
      const expected = new Array(n).fill(0);
      for (let i = 0; i < m; i++) {
        let rest = i;
        let src = 0;
        let stride = 1;
        for (let d = outShape.length - 1; d >= 0; d--) {
          const coord = rest % outShape[d];
          rest = Math.floor(rest / outShape[d]);
          src += (coord % shape[d]) * stride;
          stride *= shape[d];
        }
        expected[src] += w[i];
      }
      Array.from(got).forEach((g, i) => expect(g).toBeCloseTo(expected[i], 5));
    });
  }
});

describe('bjorckOrthogonalise (the composite: no kernel on plain wasm)', () => {
  /** Björck's iteration in float64 on one D x M matrix (rows of columns), the same stopping rule. */
  function bjorck64(q0: number[][], maxIterations: number, tolerance: number): number[][] {
    const M = q0[0].length;
    let q = q0.map((r) => r.slice());
    for (let k = 0; k < maxIterations; k++) {
      const g = Array.from({ length: M }, (_, i) => Array.from({ length: M }, (_, j) => q.reduce((s, r) => s + r[i] * r[j], 0)));
      const err = g.reduce((s, r, i) => s + r.reduce((t, v, j) => t + (v - (i === j ? 1 : 0)) ** 2, 0), 0);
      if (err <= tolerance * tolerance * M) break;
      q = q.map((r) => r.map((v, j) => 1.5 * v - 0.5 * r.reduce((s, u, i) => s + u * g[i][j], 0)));
    }
    return q;
  }
  const B = 5,
    D = 6,
    M = 4;
  // Frobenius-normalised, as O-SNF starts, so every singular value lies in (0, 1].
  const raw = new Random('bjorck').normalArray(B * D * M);
  const q0 = tf.tidy(() => {
    const a = tf.tensor3d(raw, [B, D, M]);
    return tf.div(a, tf.sqrt(tf.sum(tf.square(a), [1, 2], true))) as tf.Tensor3D;
  });
  const rows = (flat: ArrayLike<number>, b: number) => Array.from({ length: D }, (_, i) => Array.from({ length: M }, (_, j) => flat[(b * D + i) * M + j]));

  it('gives orthonormal columns, the polar factor of the input (Q^T A symmetric), as float64 does', () => {
    const q = bjorckOrthogonalise(q0, { maxIterations: 100, tolerance: 1e-5 });
    const gram = tf.matMul(q, q, true, false).arraySync() as number[][][];
    const h = tf.matMul(q, q0, true, false).arraySync() as number[][][];
    const qs = q.dataSync(),
      inputs = q0.dataSync();
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < M; j++) {
          // |Q^T Q - I|_F <= tolerance sqrt(M) bounds every entry
          expect(Math.abs(gram[b][i][j] - (i === j ? 1 : 0))).toBeLessThan(1e-5 * Math.sqrt(M));
          expect(Math.abs(h[b][i][j] - h[b][j][i])).toBeLessThan(1e-5);
        }
      }
      const ref = bjorck64(rows(inputs, b), 100, 1e-5);
      rows(qs, b).forEach((r, i) => r.forEach((v, j) => expect(Math.abs(v - ref[i][j])).toBeLessThan(1e-5)));
    }
  });

  it('stops each matrix on its own: a matrix gives the same result alone as in a batch', () => {
    const all = bjorckOrthogonalise(q0, { maxIterations: 100, tolerance: 1e-5 }).dataSync();
    for (const b of [0, 3]) {
      const alone = bjorckOrthogonalise(tf.slice(q0, [b, 0, 0], [1, D, M]), { maxIterations: 100, tolerance: 1e-5 }).dataSync();
      alone.forEach((v, i) => expect(v).toBeCloseTo(all[b * D * M + i], 6));
    }
  });

  it('with tolerance 0 makes exactly maxIterations updates, Q (1.5 I - 0.5 Q^T Q) each', () => {
    let q = q0 as tf.Tensor3D;
    for (let k = 0; k < 3; k++) q = tf.sub(tf.mul(1.5, q), tf.mul(0.5, tf.matMul(q, tf.matMul(q, q, true, false)))) as tf.Tensor3D;
    const got = bjorckOrthogonalise(q0, { maxIterations: 3, tolerance: 0 }).dataSync();
    q.dataSync().forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-6));
    expect(Array.from(bjorckOrthogonalise(q0, { maxIterations: 0, tolerance: 0 }).dataSync())).toEqual(Array.from(q0.dataSync()));
    expect(() => bjorckOrthogonalise(tf.zeros([1, 2, 3]) as tf.Tensor3D, { maxIterations: 1, tolerance: 0 })).toThrow(/M <= D/);
  });

  for (const [maxIterations, tolerance] of [
    [4, 0],
    [100, 1e-5],
  ] as const) {
    it(`has the gradient of the iterations it ran (central differences in float64; at most ${maxIterations}, tolerance ${tolerance})`, () => {
      const w = new Random('bjorck-w').normalArray(B * D * M);
      const g = tf
        .grad((x: tf.Tensor) => tf.sum(tf.mul(bjorckOrthogonalise(x as tf.Tensor3D, { maxIterations, tolerance }), tf.tensor3d(w, [B, D, M]))))(q0)
        .dataSync();
      const inputs = q0.dataSync();
      const h = 1e-6;
      for (const b of [0, 2]) {
        const f = (x: number[][]) => bjorck64(x, maxIterations, tolerance).reduce((s, r, i) => s + r.reduce((t, v, j) => t + v * w[(b * D + i) * M + j], 0), 0);
        for (const [i, j] of [
          [0, 0],
          [2, 3],
          [5, 1],
        ]) {
          const plus = rows(inputs, b),
            minus = rows(inputs, b);
          plus[i][j] += h;
          minus[i][j] -= h;
          const numeric = (f(plus) - f(minus)) / (2 * h);
          expect(Math.abs(g[(b * D + i) * M + j] - numeric)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
        }
      }
    });
  }
});
