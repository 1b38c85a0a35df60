import { describe, expect, it } from 'vitest';
import { AutoregressiveFlow, MLPCoupling, Random, alternatingMask, selectBackend, tf } from '@vaeflow/core';
import { describeFlowConformance } from '@vaeflow/core/testing';
import { RationalQuadraticSpline, plugin } from '../src/index.js';

const spline = (bins = 5, bound = 3) => new RationalQuadraticSpline({ bins, bound });
const create = (type: string, o: Record<string, unknown>, dim: number, contextDim: number, rng: Random) =>
  plugin.components.find((c) => c.type === type)!.create({ layers: 2, bins: 5, bound: 3, hidden: [16], direction: 'iaf', ...o }, { latentDim: dim, contextDim, rng } as never) as never;

// Noise of 0.3 on every weight (the kit's default) drives some bins to slopes of 1e-5 and below, where
// float32 cannot invert (an error of one ulp in y is 0.02 in x there) and log-dets differ by 1e-3 between
// autodiff and the formula; 0.15 still gives bins of very different widths, heights and derivatives.
const kit = { perturbScale: 0.15 };
describeFlowConformance('nsf coupling layer', ({ dim, rng }) => new MLPCoupling(dim, rng, spline(), alternatingMask(dim, 1), { hidden: [16] }), kit);
describeFlowConformance('nsf coupling layer, conditional', ({ dim, contextDim, rng }) => new MLPCoupling(dim, rng, spline(), alternatingMask(dim, 0), { hidden: [16], contextDim }), kit);
// bound 1: about a third of N(0, 1) inputs land on the identity tails
describeFlowConformance('nsf coupling layer, tails', ({ dim, rng }) => new MLPCoupling(dim, rng, spline(4, 1), alternatingMask(dim, 0), { hidden: [16] }), kit);
describeFlowConformance(
  'nsf autoregressive (iaf direction, conditional)',
  ({ dim, contextDim, rng }) => new AutoregressiveFlow(dim, rng, spline(), { hidden: [16, 16], contextDim, reverse: false, direction: 'iaf' }),
  kit,
);
describeFlowConformance(
  'nsf autoregressive (maf direction, reversed)',
  ({ dim, rng }) => new AutoregressiveFlow(dim, rng, spline(), { hidden: [16], contextDim: 0, reverse: true, direction: 'maf' }),
  kit,
);
describeFlowConformance('nsf-coupling x 2 (through the plugin)', ({ dim, contextDim, rng }) => create('nsf-coupling', {}, dim, contextDim, rng), { ...kit, dims: [2, 8] });
describeFlowConformance('nsf-ar x 2 (through the plugin)', ({ dim, contextDim, rng }) => create('nsf-ar', {}, dim, contextDim, rng), { ...kit, dims: [2, 8] });

/** Random spline parameters for [B, D] inputs, scaled so the bins and derivatives differ well from the identity. */
function randomTheta(s: RationalQuadraticSpline, rng: Random, B: number, D: number, scale = 1.5): tf.Tensor3D[] {
  return s.groups.map((g) => tf.mul(rng.normal([B, D, g.size]), scale) as tf.Tensor3D);
}

describe('rational-quadratic spline', () => {
  it('has a continuous, positive derivative at every knot, equal to d_k there (1 at the ends, joining the tails)', async () => {
    await selectBackend('cpu', { log: null });
    const rng = new Random('knots');
    const s = spline(6, 2);
    const theta = randomTheta(s, rng, 1, 3);
    const { xKnots, derivatives } = s.knots(theta);
    const xs = xKnots.arraySync()[0];
    const ds = derivatives.arraySync()[0];
    const slope = (x: number[]) => Array.from(tf.exp(s.forward(tf.tensor2d([x]), theta).logAbsDet).dataSync());
    for (let k = 0; k < xs[0].length; k++) {
      const at = xs.map((row) => row[k]);
      // The one-sided derivatives at the knot, by Richardson extrapolation from steps of 1e-4 and 2e-4
      // of the neighbouring bin's width (the slope can change by 100x its value per bin width).
      const oneSided = (side: number) => {
        const step = xs.map((row) => 1e-4 * (side < 0 ? (k > 0 ? row[k] - row[k - 1] : 1) : k + 1 < row.length ? row[k + 1] - row[k] : 1));
        const d1 = slope(at.map((v, i) => v + side * step[i]));
        const d2 = slope(at.map((v, i) => v + 2 * side * step[i]));
        return d1.map((v, i) => 2 * v - d2[i]);
      };
      const left = oneSided(-1);
      const right = oneSided(1);
      for (let i = 0; i < 3; i++) {
        const dk = k === 0 || k === xs[0].length - 1 ? 1 : ds[i][k - 1];
        expect(left[i]).toBeGreaterThan(0);
        expect(Math.abs(left[i] - right[i])).toBeLessThan(0.01 * dk + 1e-4);
        expect(Math.abs((left[i] + right[i]) / 2 - dk)).toBeLessThan(0.01 * dk + 1e-4);
      }
    }
  });

  it('is monotone increasing and maps [-B, B] onto itself; inverse(forward(x)) = x, tails included', async () => {
    await selectBackend('cpu', { log: null });
    const rng = new Random('monotone');
    const s = spline(8, 2);
    const n = 401;
    const grid = Array.from({ length: n }, (_, i) => -3 + (6 * i) / (n - 1));
    const x = tf.tensor2d(grid, [n, 1]);
    const theta = randomTheta(s, rng, 1, 1).map((t) => tf.tile(t, [n, 1, 1]) as tf.Tensor3D);
    const { y } = s.forward(x, theta);
    const ys = Array.from(y.dataSync());
    for (let i = 1; i < n; i++) expect(ys[i]).toBeGreaterThan(ys[i - 1]);
    grid.forEach((g, i) => {
      if (Math.abs(g) >= 2) expect(ys[i]).toBeCloseTo(g, 5); // identity tails
    });
    const back = Array.from(s.inverse(y, theta).x.dataSync());
    back.forEach((v, i) => expect(v).toBeCloseTo(grid[i], 4));
  });

  it("starts as the identity: zero conditioner weights and the groups' biases", async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('identity');
    const layer = new MLPCoupling(4, rng, spline(), alternatingMask(4, 0), { hidden: [8] });
    const z = tf.mul(rng.normal([6, 4]), 2) as tf.Tensor2D;
    const { z: y, logDet } = layer.forwardAndLogDet(z);
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(z.dataSync()[i], 4));
    Array.from(logDet.dataSync()).forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-4));
  });

  it('refuses too few bins, a non-positive bound, and conditional: true without a context', () => {
    expect(() => spline(1)).toThrow(/at least 2 bins/);
    expect(() => spline(4, 0)).toThrow(/bound must be positive/);
    expect(() => create('nsf-coupling', { conditional: true }, 4, 0, new Random('x'))).toThrow(/needs an encoder context h/);
  });
});
