import { describe, expect, it } from 'vitest';
import {
  AFFINE_COUPLING_GRAD_KERNEL,
  AFFINE_COUPLING_KERNEL,
  InverseFlow,
  MLP_GRAD_KERNEL,
  MLP_KERNEL,
  Random,
  createRegistry,
  buildComponent,
  hasKernel,
  nativeKernelsUnavailable,
  selectBackend,
  tf,
  type Prior,
} from '@vaeflow/core';
import { describeFlowConformance } from '@vaeflow/core/testing';
import { BijectionPrior, plugin, realNvp } from '../src/index.js';

// RealNVP starts from random (not identity-like) coupling nets, so a milder perturbation than
// the kit's default keeps the six composed blocks' Lipschitz constant realistic; float32 round
// trips through 12 coupling nets would otherwise lose the 1e-4 the issue asks for.
describeFlowConformance('realnvp (g: z -> z0)', ({ dim, rng }) => realNvp(dim, rng, 6, 64), { perturbScale: 0.05 });
describeFlowConformance('realnvp inverse (g^-1: z0 -> z)', ({ dim, rng }) => new InverseFlow(realNvp(dim, rng, 6, 64)), { perturbScale: 0.05 });

await selectBackend('wasm', { log: null });

describe('decoupled prior', () => {
  it('is a normalised density: log p integrates to 1 in 2-D (grid quadrature)', () => {
    const rng = new Random('dp-norm');
    const prior = new BijectionPrior(realNvp(2, rng, 4, 16));
    for (const v of prior.trainableVariables()) v.assign(tf.add(v, tf.mul(rng.normal(v.shape), 0.2)));
    const h = 0.05;
    const pts: number[][] = [];
    for (let x = -8; x <= 8; x += h) for (let y = -8; y <= 8; y += h) pts.push([x, y]);
    const mass = tf.tidy(() => tf.sum(tf.exp(prior.logProb(tf.tensor2d(pts)))).dataSync()[0] * h * h);
    expect(mass).toBeGreaterThan(0.98);
    expect(mass).toBeLessThan(1.02);
  });

  it('round-trips g^-1(g(z)) = z within 1e-4 and samples through g^-1', () => {
    const rng = new Random('dp-rt');
    const prior = new BijectionPrior(realNvp(8, rng, 6, 64));
    for (const v of prior.trainableVariables()) v.assign(tf.add(v, tf.mul(rng.normal(v.shape), 0.05)));
    const z = rng.normal([16, 8]) as tf.Tensor2D;
    expect(tf.max(tf.abs(tf.sub(prior.fromBase(prior.toBase(z)), z))).dataSync()[0]).toBeLessThan(1e-4);
    const s = prior.sample(5, rng);
    expect(s.shape).toEqual([5, 8]);
  });

  it('builds from a manifest spec, and a flow prior from other flows through the registry', async () => {
    const registry = createRegistry(plugin);
    const ctx = { rng: new Random(1), latentDim: 3, inputShape: [4], inputDim: 4, contextDim: 5, container: registry.createScope() };
    const dp = await buildComponent<Prior>(registry, 'prior', { type: 'decoupled' }, '/model/prior', ctx);
    expect(dp.logProb(tf.zeros([2, 3]) as tf.Tensor2D).shape).toEqual([2]);
    const fp = await buildComponent<Prior>(registry, 'prior', { type: 'flow', flows: [{ type: 'realnvp', blocks: 2 }] }, '/model/prior', ctx);
    expect(fp.sample(4, new Random(2)).shape).toEqual([4, 3]);
    await expect(buildComponent<Prior>(registry, 'prior', { type: 'flow', flows: [{ type: 'maf' }] }, '/model/prior', ctx)).rejects.toThrow(/\/model\/prior\/flows\/0\/type.*@vaeflow\/flows-iaf/);
  });
});

describe.skipIf(nativeKernelsUnavailable() != null)(`the decoupled prior on the native kernels${nativeKernelsUnavailable() ? ` (skipped: ${nativeKernelsUnavailable()})` : ''}`, () => {
  it('uses the fused coupling nets and coupling step, and gives the layer-by-layer log p, samples and gradients on cpu', async () => {
    // log p(z) of a perturbed 6-block prior and its gradient with respect to z and every weight;
    // the sampling direction z = g^-1(z0) and its gradient with respect to z0
    const kernelsUsed = new Set<string>();
    const run = () => {
      const rng = new Random('dp-fused');
      const prior = new BijectionPrior(realNvp(4, rng, 6, 64));
      for (const v of prior.trainableVariables()) v.assign(tf.add(v, tf.mul(rng.normal(v.shape), 0.1)));
      const z = tf.tensor2d(rng.normalArray(128 * 4), [128, 4]);
      const vars = prior.trainableVariables();
      const out = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(prior.logProb(z)) as tf.Scalar, vars);
        const dz = tf.grad((x: tf.Tensor) => tf.sum(prior.logProb(x as tf.Tensor2D)))(z);
        const dz0 = tf.grad((x: tf.Tensor) => tf.sum(tf.sin(prior.fromBase(x as tf.Tensor2D))))(z);
        return [prior.logProb(z), value, dz, prior.fromBase(z), dz0, ...vars.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
      });
      const profiled = tf.profile(() => tf.tidy(() => [tf.grad((x: tf.Tensor) => tf.sum(prior.logProb(x as tf.Tensor2D)))(z), prior.fromBase(z)]));
      return profiled.then((info) => {
        for (const k of info.kernels) kernelsUsed.add(k.name);
        z.dispose();
        prior.dispose();
        return out;
      });
    };
    await selectBackend('cpu', { log: null });
    expect(hasKernel(MLP_KERNEL)).toBe(false);
    const expected = await run();
    expect(kernelsUsed.has(AFFINE_COUPLING_KERNEL)).toBe(false);
    await selectBackend('native', { log: null, threads: 1 });
    expect(hasKernel(MLP_KERNEL)).toBe(true);
    const got = await run();
    for (const k of [MLP_KERNEL, MLP_GRAD_KERNEL, AFFINE_COUPLING_KERNEL, AFFINE_COUPLING_GRAD_KERNEL]) expect(kernelsUsed.has(k), k).toBe(true);
    expected.forEach((arr, k) => {
      const scale = Math.max(1, ...arr.map(Math.abs));
      const worst = Math.max(...arr.map((v, j) => Math.abs(got[k][j] - v) / scale));
      expect(worst, `output ${k}`).toBeLessThan(1e-4);
    });
    await selectBackend('wasm', { log: null });
  });
});
