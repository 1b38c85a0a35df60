import { describe, expect, it } from 'vitest';
import { checkWarnings, flowHealth, Random, selectBackend, tf } from '@vaeflow/core';
import { describeFlowConformance } from '@vaeflow/core/testing';
import { SylvesterFlow, plugin } from '../src/index.js';

describeFlowConformance('sylvester orthogonal (M = L)', ({ dim, contextDim, rng }) => new SylvesterFlow(dim, contextDim, rng, { variant: 'orthogonal' }));
describeFlowConformance('sylvester orthogonal (M = L / 2)', ({ dim, contextDim, rng }) => new SylvesterFlow(dim, contextDim, rng, { variant: 'orthogonal', columns: Math.max(1, dim / 2) }));
describeFlowConformance('sylvester householder', ({ dim, contextDim, rng }) => new SylvesterFlow(dim, contextDim, rng, { variant: 'householder', reflections: 3 }));
describeFlowConformance('sylvester triangular (reversed)', ({ dim, contextDim, rng }) => new SylvesterFlow(dim, contextDim, rng, { variant: 'triangular', reverse: true }));
describeFlowConformance(
  'sylvester x 3 (through the plugin)',
  ({ dim, contextDim, rng }) =>
    plugin.components[0].create({ variant: 'triangular', layers: 3, reflections: 4, iterations: 30, initScale: 0.1 }, { latentDim: dim, contextDim, rng } as never) as never,
  // single layers are checked at L = 32 above; three perturbed layers' 32 x 32 Jacobian is ill-conditioned enough that its float32 log-det drifts by 1e-3
  { dims: [2, 8] },
);

describe('sylvester flows', () => {
  it('orthogonalise Q: Q^T Q = I after the iterations, whatever the free matrix', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('orth');
    const f = new SylvesterFlow(12, 5, rng, { variant: 'orthogonal', columns: 6 });
    const q = (f as unknown as { orthogonalise(m: tf.Tensor3D): tf.Tensor3D }).orthogonalise(tf.mul(rng.normal([3, 12, 6]), 4) as tf.Tensor3D);
    const gram = tf.matMul(q, q, true, false).arraySync() as number[][][];
    for (const g of gram) g.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 4)));
  });

  it('orthogonalise a nearly rank-deficient free matrix too, which 30 fixed iterations (the old default) leave far from orthonormal', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('near-singular');
    const make = (o: { iterations?: number; tolerance?: number }) => new SylvesterFlow(8, 5, new Random('f'), { variant: 'orthogonal', columns: 4, ...o });
    // Column 3 = column 2 + 1e-5 noise: a singular value about 1e-5 of the others, which the iteration grows by 1.5x a step.
    const a = rng.normal([1, 8, 4]).arraySync() as number[][][];
    const eps = rng.normal([8]).dataSync();
    for (let i = 0; i < 8; i++) a[0][i][3] = a[0][i][2] + 1e-5 * eps[i];
    const worst = (f: SylvesterFlow) => {
      const q = (f as unknown as { orthogonalise(m: tf.Tensor3D): tf.Tensor3D }).orthogonalise(tf.tensor3d(a));
      const g = tf.matMul(q, q, true, false).arraySync() as number[][][];
      return Math.max(...g[0].flatMap((row, i) => row.map((v, j) => Math.abs(v - (i === j ? 1 : 0)))));
    };
    expect(worst(make({}))).toBeLessThan(1e-4);
    expect(worst(make({ iterations: 30, tolerance: 0 }))).toBeGreaterThan(0.1);
  });

  it('report, as a flow check, the examples whose Q stayed unorthonormal at the iteration cap (flow health and vaeflow eval warn with them)', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('near-singular-check');
    // Two examples through the maps alone (kernel 0, bias = their free Q): a well-conditioned Q, and one whose column 3 is column 2 + 1e-5 noise.
    const D = 8;
    const M = 4;
    const good = rng.normal([D * M]).dataSync();
    const bad = Float32Array.from(rng.normal([D * M]).dataSync());
    const eps = rng.normal([D]).dataSync();
    for (let i = 0; i < D; i++) bad[i * M + 3] = bad[i * M + 2] + 1e-5 * eps[i];
    const summary = (o: { iterations?: number; tolerance?: number }, free: Float32Array) => {
      const f = new SylvesterFlow(D, 5, new Random('f'), { variant: 'orthogonal', columns: M, ...o });
      const head = 2 * M * M + M;
      f.maps.kernel.assign(tf.zerosLike(f.maps.kernel));
      f.maps.bias.assign(tf.concat([tf.zeros([head]), tf.tensor1d(free)]));
      const [layer] = flowHealth([f], tf.zeros([1, D]) as tf.Tensor2D, tf.ones([1, 5]) as tf.Tensor2D);
      f.dispose();
      return layer.checks!.orthogonality;
    };
    expect(summary({}, Float32Array.from(good))).toMatchObject({ over: 0, n: 1, limit: 2e-5 });
    expect(summary({}, bad).over).toBe(0);
    const capped = summary({ iterations: 30, tolerance: 0 }, bad);
    expect(capped).toMatchObject({ over: 1, n: 1, limit: 1e-4 });
    expect(capped.max).toBeGreaterThan(0.01);
    expect(checkWarnings([{ index: 0, id: 'sylvester-orthogonal', checks: { orthogonality: capped } }])[0]).toMatch(
      /^flow 0 \(sylvester-orthogonal\): orthogonality over its limit 0.0001 for 1 of 1 examples .*raise `iterations`/,
    );
    // householder and triangular Q are orthonormal by construction: nothing to check
    expect(new SylvesterFlow(D, 5, rng, { variant: 'householder' }).checks(tf.zeros([1, D]) as tf.Tensor2D, tf.ones([1, 5]) as tf.Tensor2D)).toEqual({});
  });

  it('keep |R~_ii R_ii| < 1 (invertible) however large the maps from h are', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('diag');
    const f = new SylvesterFlow(4, 3, rng, { variant: 'triangular' });
    for (const v of f.trainableVariables()) v.assign(tf.mul(rng.normal(v.shape), 50));
    const { logDet } = f.forwardAndLogDet(rng.normal([16, 4]) as tf.Tensor2D, tf.mul(rng.normal([16, 3]), 10) as tf.Tensor2D);
    for (const v of logDet.dataSync()) expect(Number.isFinite(v)).toBe(true);
  });

  it('compute z + R tanh(R~ z + b) with R, R~ read row-major from the context map, tanh on the diagonal (T-SNF, Q = I): a plain-JavaScript reference', async () => {
    await selectBackend('wasm', { log: null });
    const rng = new Random('pinned');
    const D = 3;
    const f = new SylvesterFlow(D, 2, rng, { variant: 'triangular' });
    for (const v of f.trainableVariables()) v.assign(tf.mul(rng.normal(v.shape), 0.7));
    const z = [0.3, -1.2, 0.8];
    const h = [0.5, -0.4];
    const p = Array.from(f.maps.apply(tf.tensor2d([h])).dataSync()); // [R (D*D), R~ (D*D), b (D)]
    const tri = (o: number) => (i: number, j: number) => (j < i ? 0 : i === j ? Math.tanh(p[o + i * D + i]) : p[o + i * D + j]);
    const R = tri(0),
      Rt = tri(D * D);
    const t = [0, 1, 2].map((i) => Math.tanh([0, 1, 2].reduce((s, j) => s + Rt(i, j) * z[j], 0) + p[2 * D * D + i]));
    const expected = [0, 1, 2].map((i) => z[i] + [0, 1, 2].reduce((s, j) => s + R(i, j) * t[j], 0));
    const expectedLogDet = [0, 1, 2].reduce((s, i) => s + Math.log(Math.abs(1 + (1 - t[i] ** 2) * Rt(i, i) * R(i, i))), 0);
    const { z: out, logDet } = f.forwardAndLogDet(tf.tensor2d([z]), tf.tensor2d([h]));
    Array.from(out.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(logDet.dataSync()[0]).toBeCloseTo(expectedLogDet, 5);
  });

  it('need a context and say so; refuse more columns than the latent size', () => {
    expect(() =>
      plugin.components[0].create({ variant: 'orthogonal', layers: 1, reflections: 4, iterations: 30, initScale: 0.1 }, { latentDim: 4, contextDim: 0, rng: new Random('x') } as never),
    ).toThrow(/need an encoder context h/);
    expect(() => new SylvesterFlow(4, 3, new Random('x'), { variant: 'orthogonal', columns: 5 })).toThrow(/1 <= columns <= 4/);
  });
});
