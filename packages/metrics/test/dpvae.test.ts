import { describe, expect, it } from 'vitest';
import { BernoulliLikelihood, DiagonalGaussianPosterior, MLPDecoder, MLPEncoder, Random, StandardNormalPrior, VAE, selectBackend, tf } from '@vaeflow/core';
import { knnKl, leakageScores, symmetricKl } from '../src/index.js';

await selectBackend('wasm', { log: null });

const gaussian = (n: number, mean: number[], rng: Random) => Float32Array.from({ length: n * mean.length }, (_, i) => mean[i % mean.length] + rng.nextNormal());

describe('k-nearest-neighbour KL', () => {
  const rng = new Random('knn');
  it('estimates KL(N(0, I) || N(mu, I)) = |mu|^2 / 2 in 2-D', () => {
    const kl = knnKl(gaussian(4000, [0, 0], rng), gaussian(4000, [1, 0], rng), 2, 5);
    expect(Math.abs(kl - 0.5)).toBeLessThan(0.08);
  });
  it('gives a symmetric KL near 0 for one distribution and near |mu|^2 for shifted ones', () => {
    expect(Math.abs(symmetricKl(gaussian(3000, [0, 0], rng), gaussian(3000, [0, 0], rng), 2, 5))).toBeLessThan(0.06);
    expect(Math.abs(symmetricKl(gaussian(3000, [0, 0], rng), gaussian(3000, [1.5, 0], rng), 2, 5) - 2.25)).toBeLessThan(0.25);
  });
});

describe('leakage score', () => {
  it('is 0 when every posterior equals the standard-normal prior', () => {
    const rng = new Random('ls');
    const post = new DiagonalGaussianPosterior(rng, 4, 2);
    post.head.kernel.assign(tf.zeros(post.head.kernel.shape));
    post.head.bias.assign(tf.zeros(post.head.bias.shape));
    const vae = new VAE(2, new MLPEncoder(rng, 4, [4], 'relu'), post, [], new StandardNormalPrior(2), new MLPDecoder(rng, 2, [4], 4, 'relu', new BernoulliLikelihood()));
    const split = { x: Float32Array.from({ length: 400 }, () => rng.next()), n: 100 };
    for (const { score } of leakageScores(vae, split, 4, [-3, -5, 0], { n: 500, components: 100 })) expect(Math.abs(score)).toBeLessThan(1e-4);
  });
});
