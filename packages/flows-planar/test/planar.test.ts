import { describe, expect, it } from 'vitest';
import { Random, tf, selectBackend } from '@vaeflow/core';
import { describeFlowConformance } from '@vaeflow/core/testing';
import { AmortizedPlanarFlow, PlanarFlow, correctU, plugin } from '../src/index.js';

describeFlowConformance('planar', ({ dim, rng }) => new PlanarFlow(dim, rng));
describeFlowConformance('planar-amortized', ({ dim, contextDim, rng }) => new AmortizedPlanarFlow(dim, contextDim, rng));
describeFlowConformance('planar x 3 (stacked through the plugin)', ({ dim, contextDim, rng }) =>
  plugin.components[0].create({ layers: 3, initScale: 0.1 }, { latentDim: dim, contextDim, rng } as never) as never,
);

describe('planar invertibility correction', () => {
  it('keeps w.u_hat >= -1 however u and w are set', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('uhat');
    const u = tf.mul(rng.normal([64, 5]), 10) as tf.Tensor2D;
    const w = tf.mul(rng.normal([64, 5]), 10) as tf.Tensor2D;
    const wu = tf.sum(tf.mul(w, correctU(u, w)), 1).arraySync() as number[];
    for (const v of wu) expect(v).toBeGreaterThanOrEqual(-1 - 1e-4);
  });
});
