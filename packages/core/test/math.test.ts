import { describe, expect, it } from 'vitest';
import { leakyRelu, logMeanExp, logSumExp, tf } from '../src/index.js';
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
