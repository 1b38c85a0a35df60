import { describe, expect, it } from 'vitest';
import { Random, selectBackend, tf } from '@vaeflow/core';
import { batchJacobian, describeFlowConformance } from '@vaeflow/core/testing';
import { ActNorm, IAFStep, MADE, MAFStep, plugin } from '../src/index.js';

const opts = (contextDim: number, form: 'gated' | 'affine' = 'gated', reverse = false) => ({ hidden: [16, 16], contextDim, form, gateBias: 2, reverse });

describeFlowConformance('iaf (gated, conditional)', ({ dim, contextDim, rng }) => new IAFStep(dim, rng, opts(contextDim)));
describeFlowConformance('iaf (affine, reversed order)', ({ dim, contextDim, rng }) => new IAFStep(dim, rng, opts(contextDim, 'affine', true)));
describeFlowConformance('maf', ({ dim, rng }) => new MAFStep(dim, rng, opts(0)));
describeFlowConformance('actnorm', ({ dim }) => new ActNorm(dim));
describeFlowConformance(
  'iaf x 2 with actnorm (through the plugin)',
  ({ dim, contextDim, rng }) =>
    plugin.components[0].create({ steps: 2, hidden: [16], form: 'gated', gateBias: 2, conditional: true, actnorm: true }, { latentDim: dim, contextDim, rng } as never) as never,
);

describe('MADE', () => {
  for (const reverse of [false, true]) {
    it(`is autoregressive: its Jacobian is strictly triangular in the variable order (reverse=${reverse})`, async () => {
      await selectBackend('wasm', { log: null });
      const L = 6;
      const rng = new Random('made');
      const order = Array.from({ length: L }, (_, i) => (reverse ? L - i : i + 1));
      const made = new MADE(rng, order, [20, 20], 3, [
        { name: 'shift', size: 1 },
        { name: 'scale', size: 2 },
      ]);
      for (const v of made.trainableVariables()) v.assign(tf.mul(rng.normal(v.shape), 0.5));
      const z = rng.normal([2, L]) as tf.Tensor2D;
      const h = rng.normal([2, 3]) as tf.Tensor2D;
      // a head of size 2 gives two outputs per dimension (columns 2i, 2i + 1), both autoregressive in dimension i
      const perDim = (t: tf.Tensor2D, p: number) => tf.reshape(tf.slice(tf.reshape(t, [2, L, 2]), [0, 0, p], [2, L, 1]), [2, L]) as tf.Tensor2D;
      const heads = [(x: tf.Tensor2D) => made.apply(x, h).shift, (x: tf.Tensor2D) => perDim(made.apply(x, h).scale, 0), (x: tf.Tensor2D) => perDim(made.apply(x, h).scale, 1)];
      for (const head of heads) {
        const J = batchJacobian(head, z);
        for (const Jb of J) {
          for (let i = 0; i < L; i++) {
            for (let j = 0; j < L; j++) {
              // output i may depend on input j only if j comes strictly before i in the order
              if (order[j] >= order[i]) expect(Math.abs(Jb[i][j])).toBe(0);
            }
          }
          // and it does depend on earlier inputs (the masks are not all zero)
          const below = Jb.flatMap((row, i) => row.filter((_, j) => order[j] < order[i]));
          expect(below.some((v) => Math.abs(v) > 1e-6)).toBe(true);
        }
      }
    });
  }
});

describe('IAF initialisation', () => {
  it('starts with the gates near sigmoid(2), close to the identity', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('init');
    const f = new IAFStep(4, rng, opts(0));
    const { logDet } = f.forwardAndLogDet(rng.normal([8, 4]) as tf.Tensor2D);
    const mean = tf.mean(logDet).dataSync()[0];
    expect(mean / 4).toBeGreaterThan(Math.log(1 / (1 + Math.exp(-2))) - 0.1);
    expect(mean / 4).toBeLessThan(0);
  });
});
