import { describe, expect, it } from 'vitest';
import { Random, SequentialFlow, tf, selectBackend } from '@vaeflow/core';
import { describeFlowConformance } from '@vaeflow/core/testing';
import { AmortizedPlanarFlow, AmortizedRadialFlow, PlanarFlow, PlanarStack, RadialFlow, correctU, plugin } from '../src/index.js';

describeFlowConformance('planar', ({ dim, rng }) => new PlanarFlow(dim, rng));
describeFlowConformance('planar-amortized', ({ dim, contextDim, rng }) => new AmortizedPlanarFlow(dim, contextDim, rng));
describeFlowConformance(
  'planar x 3 (stacked through the plugin)',
  ({ dim, contextDim, rng }) => plugin.components[0].create({ layers: 3, initScale: 0.1 }, { latentDim: dim, contextDim, rng } as never) as never,
);
describeFlowConformance(
  'planar-amortized x 4 (stacked through the plugin)',
  ({ dim, contextDim, rng }) => plugin.components[1].create({ layers: 4, initScale: 0.3 }, { latentDim: dim, contextDim, rng } as never) as never,
);

describe('planar stack', () => {
  for (const amortized of [false, true]) {
    it(`computes what the same ${amortized ? 'amortised ' : ''}layers give one after another, with the same parameter names`, async () => {
      await selectBackend('wasm', { log: null });
      const rng = new Random(`stack-${amortized}`);
      const layers = Array.from({ length: 12 }, () => (amortized ? new AmortizedPlanarFlow(5, 7, rng, 0.5) : new PlanarFlow(5, rng, 0.8)));
      const stack = new PlanarStack(layers as PlanarFlow[] | AmortizedPlanarFlow[]);
      const sequence = new SequentialFlow(layers, layers[0].id);
      expect([...stack.namedVariables().keys()]).toEqual([...sequence.namedVariables().keys()]);
      const z = rng.normal([9, 5]) as tf.Tensor2D;
      const h = amortized ? (rng.normal([9, 7]) as tf.Tensor2D) : undefined;
      const a = stack.forwardAndLogDet(z, h);
      const b = sequence.forwardAndLogDet(z, h);
      const close = (x: tf.Tensor, y: tf.Tensor) => Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(y.dataSync()[i], 4));
      close(a.z, b.z);
      close(a.logDet, b.logDet);
      // the host op's written-out gradient against autodiff through the layers one after another:
      // with respect to z, h and every parameter, for a loss reading both outputs
      const loss = (f: typeof stack | typeof sequence) => (zz: tf.Tensor, hh?: tf.Tensor) => {
        const r = f.forwardAndLogDet(zz as tf.Tensor2D, hh as tf.Tensor2D | undefined);
        return tf.add(tf.sum(tf.mul(tf.sin(r.z), tf.linspace(0.5, 2, 5))), tf.sum(tf.mul(r.logDet, tf.linspace(-1, 1.5, 9))));
      };
      const inputs = h ? [z, h] : [z];
      const vars = [...stack.namedVariables().values()];
      const grads = (f: typeof stack | typeof sequence) => {
        const g = tf.variableGrads(() => loss(f)(...(inputs as [tf.Tensor, tf.Tensor?])) as tf.Scalar, vars);
        const gi = tf.grads((...xs: tf.Tensor[]) => loss(f)(xs[0], xs[1]))(inputs);
        return [...gi, ...vars.map((v) => g.grads[v.name])];
      };
      const [ga, gb] = [grads(stack), grads(sequence)];
      expect(ga.length).toBe(inputs.length + vars.length);
      ga.forEach((g, i) => {
        const [x, y] = [g.dataSync(), gb[i].dataSync()];
        const scale = Math.max(1, ...Array.from(y, Math.abs));
        for (let j = 0; j < x.length; j++) expect(Math.abs(x[j] - y[j]) / scale).toBeLessThan(1e-4);
      });
    });
  }
});

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

describeFlowConformance('radial', ({ dim, rng }) => new RadialFlow(dim, rng));
describeFlowConformance('radial-amortized', ({ dim, contextDim, rng }) => new AmortizedRadialFlow(dim, contextDim, rng, 0.5));
describeFlowConformance(
  'radial x 3 (through the plugin)',
  ({ dim, contextDim, rng }) => plugin.components.find((c) => c.type === 'radial-amortized')!.create({ layers: 3, initScale: 0.3 }, { latentDim: dim, contextDim, rng } as never) as never,
);

describe('radial flow', () => {
  it("contracts towards z0 at the most beta = -alpha allows and still inverts (the quadratic's root)", async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('radial-edge');
    const f = new RadialFlow(3, rng);
    f.a.assign(tf.tensor2d([[1]]));
    f.b.assign(tf.tensor2d([[-8]])); // softplus(-8) ~ 3e-4: beta ~ -alpha
    const z = rng.normal([10, 3]) as tf.Tensor2D;
    const { z: y, logDet } = f.forwardAndLogDet(z);
    for (const v of logDet.dataSync()) expect(Number.isFinite(v)).toBe(true);
    const back = f.inverseAndLogDet(y).z.dataSync();
    Array.from(z.dataSync()).forEach((v, i) => expect(back[i]).toBeCloseTo(v, 3));
  });
});
