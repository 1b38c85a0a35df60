import { describe, expect, it } from 'vitest';
import { Random, logAbsDet, selectBackend, tf, type Flow } from '@vaeflow/core';
import { describeFlowConformance } from '@vaeflow/core/testing';
import { ChannelActNorm, ConvAffineCoupling, Glow, InvertibleConv1x1, plugin, squeeze, unsqueeze } from '../src/index.js';

/**
 * The kit's noise on every weight, but 0.05 on the triangular factors of the 1x1 convolutions:
 * the inverse of a triangular matrix with random entries of size 0.3 grows exponentially with its
 * size (24 channels here), so float32 could not invert it; training starts from a rotation and
 * keeps W well conditioned.
 */
const kit = {
  perturb: (flow: Flow, rng: Random) => {
    for (const [name, v] of flow.namedVariables()) if (v.trainable) v.assign(tf.add(v, tf.mul(rng.normal(v.shape), /\/(lower|upper)$/.test(name) ? 0.05 : 0.3)));
  },
};

/** Image shapes for the kit's sizes: 16 = 4x4x1, 32 = 4x4x2, 48 = 4x4x3. */
const shapeOf = (dim: number): [number, number, number] => [4, 4, dim / 16];
describeFlowConformance('glow, 1 level, 1 step', ({ dim, rng }) => new Glow(dim, rng, { shape: shapeOf(dim), levels: 1, steps: 1, hidden: 8 }), { ...kit, dims: [16, 32, 48] });
describeFlowConformance('glow, 2 levels (squeeze, split), 2 steps', ({ dim, rng }) => new Glow(dim, rng, { shape: shapeOf(dim), levels: 2, steps: 2, hidden: 8 }), { ...kit, dims: [16, 48] });
describeFlowConformance(
  'glow through the plugin (shape from the data)',
  ({ dim, rng }) => plugin.components[0].create({ levels: 2, steps: 1, hidden: 8 }, { latentDim: dim, contextDim: 0, inputShape: shapeOf(dim), inputDim: dim, rng } as never) as never,
  { ...kit, dims: [16] },
);

describe('glow pieces', () => {
  it("squeeze puts each 2x2 block of pixels into one pixel's channels, and unsqueeze undoes it", async () => {
    await selectBackend('cpu', { log: null });
    // one channel, 4x4, values 0..15 in row-major order
    const x = tf.reshape(tf.range(0, 16), [1, 4, 4, 1]) as tf.Tensor4D;
    const s = squeeze(x);
    expect(s.shape).toEqual([1, 2, 2, 4]);
    // the top-left block holds pixels (0,0), (0,1), (1,0), (1,1) = 0, 1, 4, 5
    expect(Array.from(s.slice([0, 0, 0, 0], [1, 1, 1, 4]).dataSync())).toEqual([0, 1, 4, 5]);
    expect(Array.from(unsqueeze(s).dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it('the 1x1 convolution starts as a rotation, its log-determinant is H W log|det W|, and its inverse undoes it', async () => {
    await selectBackend('cpu', { log: null });
    const conv = new InvertibleConv1x1(6, new Random('lu'));
    const w = conv.weight();
    const wwt = tf.matMul(w, w, false, true).arraySync() as number[][];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(wwt[i][j]).toBeCloseTo(i === j ? 1 : 0, 5);
    // move the parameters off the rotation, then compare with a float64 determinant
    for (const v of conv.trainableVariables()) v.assign(tf.add(v, tf.mul(new Random('move').normal(v.shape), 0.2)));
    const x = new Random('x').normal([2, 3, 5, 6]) as tf.Tensor4D;
    const { y, logDet } = conv.forward(x);
    expect(logDet.dataSync()[0]).toBeCloseTo(15 * logAbsDet(conv.weight().arraySync() as number[][]), 3);
    const back = conv.inverse(y);
    expect(tf.max(tf.abs(tf.sub(back.x, x))).dataSync()[0]).toBeLessThan(1e-4);
    expect(back.logDet.dataSync()[0]).toBeCloseTo(-logDet.dataSync()[0], 4);
  });

  it('ActNorm standardises each channel of its first batch; the coupling starts near the identity', async () => {
    await selectBackend('cpu', { log: null });
    const rng = new Random('an');
    const x = tf.add(tf.mul(rng.normal([8, 4, 4, 2]), tf.tensor1d([3, 0.5])), tf.tensor1d([1, -2])) as tf.Tensor4D;
    const { y } = new ChannelActNorm(2).forward(x);
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    for (const m of mean.dataSync()) expect(m).toBeCloseTo(0, 4);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 3);
    const c = new ConvAffineCoupling(4, 8, 0, rng);
    const z = rng.normal([2, 4, 4, 4]) as tf.Tensor4D;
    const r = c.forward(z);
    // zero last conv: t = 0 and s = sigmoid(2) on the transformed half, the other half unchanged
    expect(tf.max(tf.abs(tf.sub(r.y.slice([0, 0, 0, 0], [2, 4, 4, 2]), z.slice([0, 0, 0, 0], [2, 4, 4, 2])))).dataSync()[0]).toBe(0);
    expect(r.logDet.dataSync()[0]).toBeCloseTo(32 * Math.log(1 / (1 + Math.exp(-2))), 4);
    expect(() => new ConvAffineCoupling(3, 8, 0, rng)).toThrow(/even number/);
  });

  it('says what is wrong with a shape it cannot squeeze, or a missing one', () => {
    const rng = new Random('bad');
    expect(() => new Glow(7 * 7, rng, { shape: [7, 7, 1], levels: 1, steps: 1, hidden: 4 })).toThrow(/multiples of 2; \[7, 7\]/);
    expect(() => new Glow(28 * 28, rng, { shape: [28, 28, 1], levels: 3, steps: 1, hidden: 4 })).toThrow(/multiples of 8/);
    const create = plugin.components[0].create;
    expect(() => create({ levels: 2, steps: 1, hidden: 4 }, { latentDim: 32, contextDim: 0, inputShape: [784], inputDim: 784, rng } as never)).toThrow(/give "shape"/);
    expect(() => create({ levels: 1, steps: 1, hidden: 4, shape: [4, 4, 2] }, { latentDim: 32, contextDim: 10, inputShape: [784], inputDim: 784, rng } as never)).toThrow(/unconditional/);
  });
});
