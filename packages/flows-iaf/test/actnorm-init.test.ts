import { describe, expect, it } from 'vitest';
import { Random, selectBackend, tf } from '@vaeflow/core';
import { ActNorm } from '../src/index.js';

describe('ActNorm data-dependent initialisation', () => {
  const data = (seed: string) => tf.add(tf.mul(new Random(seed).normal([256, 3]), tf.tensor1d([0.5, 2, 4])), tf.tensor1d([-1, 3, 10])) as tf.Tensor2D;

  it('standardises its output when the first call is forward', async () => {
    await selectBackend('wasm', { log: null });
    const a = new ActNorm(3);
    const { mean, variance } = tf.moments(a.forwardAndLogDet(data('f')).z, 0);
    for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-4);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 3);
  });

  it('standardises the inverse output when the first call is the inverse (a flow read in the density direction, e.g. a MAF prior)', async () => {
    await selectBackend('wasm', { log: null });
    const a = new ActNorm(3);
    const { mean, variance } = tf.moments(a.inverseAndLogDet(data('i')).z, 0);
    for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-4);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 3);
    // Initialised once: a second batch does not move it.
    const before = a.bias.dataSync().slice();
    a.forwardAndLogDet(data('again'));
    expect(Array.from(a.bias.dataSync())).toEqual(Array.from(before));
  });
});
