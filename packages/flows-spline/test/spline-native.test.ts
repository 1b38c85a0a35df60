import { describe, expect, it } from 'vitest';
import { RQ_SPLINE_KERNEL, Random, hasKernel, nativeKernelsUnavailable, selectBackend, tf } from '@vaeflow/core';
import { RationalQuadraticSpline } from '../src/index.js';

// The fused spline kernel of @vaeflow/native against the composite of tfjs ops on the cpu
// backend: values and gradients (with respect to the input and all three parameter groups), in
// both directions, at several bin counts, with inputs on the identity tails and on knots' sides.
const unavailable = nativeKernelsUnavailable();

interface Case {
  B: number;
  D: number;
  bins: number;
  bound: number;
  /** spread of the unnormalised parameters: larger gives bins of more unequal sizes */
  spread: number;
}
const CASES: Case[] = [
  { B: 3, D: 5, bins: 2, bound: 1, spread: 1 },
  { B: 6, D: 7, bins: 5, bound: 3, spread: 1.5 },
  { B: 4, D: 9, bins: 8, bound: 6, spread: 2 },
  // 4,096 elements: split across threads when there are two
  { B: 64, D: 64, bins: 8, bound: 4, spread: 1 },
];

/** [y, logAbsDet, dL/dv, dL/dwidths, dL/dheights, dL/dderivatives] for L = sum(a y + b logAbsDet), both directions. */
function spline(c: Case, inverse: boolean): number[][] {
  return tf.tidy(() => {
    const rng = new Random(`spline-native-${c.bins}-${c.D}-${inverse}`);
    const n = c.B * c.D;
    const s = new RationalQuadraticSpline({ bins: c.bins, bound: c.bound });
    // inputs over 1.3 x the range, so some land on the tails
    const v = tf.tensor2d(
      Array.from(rng.uniformArray(n), (u) => (2 * u - 1) * 1.3 * c.bound),
      [c.B, c.D],
    );
    const theta = s.groups.map((g, k) => tf.add(tf.mul(c.spread, tf.tensor3d(rng.normalArray(n * g.size), [c.B, c.D, g.size])), k === 2 ? (g.bias ?? 0) : 0) as tf.Tensor3D);
    const a = tf.tensor2d(rng.normalArray(n), [c.B, c.D]);
    const b = tf.tensor2d(rng.normalArray(n), [c.B, c.D]);
    const run = (x: tf.Tensor2D, t: tf.Tensor3D[]) => (inverse ? (({ x: out, logAbsDet }) => [out, logAbsDet])(s.inverse(x, t)) : (({ y, logAbsDet }) => [y, logAbsDet])(s.forward(x, t)));
    const loss = (x: tf.Tensor, w: tf.Tensor, h: tf.Tensor, d: tf.Tensor) => {
      const [out, lad] = run(x as tf.Tensor2D, [w, h, d] as tf.Tensor3D[]);
      return tf.sum(tf.add(tf.mul(a, out), tf.mul(b, lad))) as tf.Scalar;
    };
    const grads = tf.grads(loss)([v, ...theta]);
    return [...run(v, theta), ...grads].map((t) => Array.from(t.dataSync()));
  });
}

describe.skipIf(unavailable != null)(`the fused spline kernel${unavailable ? ` (skipped: native kernels unavailable: ${unavailable})` : ''}`, () => {
  for (const threads of [1, 2]) {
    for (const inverse of [false, true]) {
      it(`${inverse ? 'inverse' : 'forward'} (${threads} thread(s)): the composite's values and gradients on cpu, K = 2, 5, 8, tails included`, async () => {
        await selectBackend('cpu', { log: null });
        expect(hasKernel(RQ_SPLINE_KERNEL)).toBe(false);
        const expected = CASES.map((c) => spline(c, inverse));
        await selectBackend('native', { log: null, threads });
        expect(hasKernel(RQ_SPLINE_KERNEL)).toBe(true);
        const got = CASES.map((c) => spline(c, inverse));
        const names = ['value', 'log|det|', 'dv', 'dwidths', 'dheights', 'dderivatives'];
        expected.forEach((arrays, c) =>
          arrays.forEach((arr, k) => {
            const scale = Math.max(1, ...arr.map(Math.abs));
            const worst = Math.max(...arr.map((v, j) => Math.abs(got[c][k][j] - v) / scale));
            expect(worst, `case ${c} ${names[k]}`).toBeLessThan(2e-4);
          }),
        );
      });
    }
  }

  it('leaves no tensors behind, forward and backward', async () => {
    await selectBackend('native', { log: null });
    const c = CASES[1];
    spline(c, true);
    const before = tf.memory().numTensors;
    spline(c, false);
    spline(c, true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
