import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { type BaseFlow, DiagonalGaussianPosterior, GaussianLikelihood, MLPDecoder, MLPEncoder, Random, StandardNormalPrior, VAE, checkManifest, createRegistry } from '../src/index.js';
import { DoubleFlow as Double, testDataPlugin, tinyManifest, useWasm } from './helpers.js';

function vae(preprocessing: BaseFlow[]): VAE {
  const rng = new Random('same-weights');
  const D = 6;
  const enc = new MLPEncoder(rng, D, [8], 'tanh');
  return new VAE(
    2,
    enc,
    new DiagonalGaussianPosterior(rng, 8, 2),
    [],
    new StandardNormalPrior(2),
    new MLPDecoder(rng, 2, [8], D, 'tanh', new GaussianLikelihood(D, 'learned', 1e-3, 1)),
    preprocessing,
  );
}

describe('VAE data preprocessing', () => {
  it('models y = T(x) and counts log|det dT/dx| in log p(x|z), the importance weights and the way back', async () => {
    await useWasm();
    const plain = vae([]);
    const pre = vae([new Double(6, false)]);
    const x = new Random('x').normal([3, 6]) as tf.Tensor2D;
    const tPlain = plain.terms(tf.mul(x, 2) as tf.Tensor2D, new Random('eps'), false);
    const tPre = pre.terms(x, new Random('eps'), false);
    const diff = tf.sub(tPre.logPx, tPlain.logPx).dataSync();
    for (const d of diff) expect(d).toBeCloseTo(6 * Math.log(2), 3);
    expect(Array.from(tPre.kl.dataSync())).toEqual(Array.from(tPlain.kl.dataSync()));
    const lw = tf.sub(pre.logWeights(x, 4, new Random('k')), plain.logWeights(tf.mul(x, 2) as tf.Tensor2D, 4, new Random('k'))).dataSync();
    for (const d of lw) expect(d).toBeCloseTo(6 * Math.log(2), 3);
    const g = tf.max(tf.abs(tf.sub(tf.mul(pre.generate(5, new Random('g')), 2), plain.generate(5, new Random('g'))))).dataSync()[0];
    expect(g).toBeLessThan(1e-6);
    // Plain VAEs keep their checkpoint layout: no preprocessing weights appear.
    expect([...plain.namedVariables().keys()].some((k) => k.startsWith('preprocessing'))).toBe(false);
  });

  it('validates a model type that is not installed by naming its package, and defaults the type to "vae"', () => {
    const registry = createRegistry(testDataPlugin);
    const ok = checkManifest(tinyManifest(), registry);
    expect(ok.manifest?.model.type).toBe('vae');
    const m = tinyManifest();
    (m.model as Record<string, unknown>).type = 'aef';
    const { issues } = checkManifest(m, registry);
    expect(issues[0].path).toBe('/model/type');
    expect(issues[0].message).toMatch(/@vaeflow\/aef/);
  });
});
