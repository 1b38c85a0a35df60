import { describe, expect, it } from 'vitest';
import { BernoulliLikelihood, DiagonalGaussianPosterior, MLPDecoder, MLPEncoder, Random, StandardNormalPrior, VAE, selectBackend, tf } from '@vaeflow/core';
import { knnKl, leakageScores, posteriorComponents, symmetricKl } from '../src/index.js';

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

  // Posteriors N(mean_j, e^-18 I) so narrow that the components never overlap: then
  // log q(z) = -log M + log N(z; mean_j, sigma^2 I) at a sample of component j, and with every
  // sample counted (tau = +inf) LS is KL(q || N(0, I)) in closed form:
  //   -log M - L/2 (1 + log 2 pi sigma^2) + L/2 log 2 pi + mean_j(|mean_j|^2 + L sigma^2) / 2.
  const narrow = () => {
    const rng = new Random('ls-narrow');
    const post = new DiagonalGaussianPosterior(rng, 4, 2);
    const k = post.head.kernel.arraySync() as number[][];
    post.head.kernel.assign(tf.tensor2d(k.map((row) => row.map((w, c) => (c < 2 ? 3 * w : 0)))));
    post.head.bias.assign(tf.tensor1d([0, 0, -18, -18]));
    const vae = new VAE(2, new MLPEncoder(rng, 4, [4], 'relu'), post, [], new StandardNormalPrior(2), new MLPDecoder(rng, 2, [4], 4, 'relu', new BernoulliLikelihood()));
    const split = { x: Float32Array.from({ length: 4000 }, () => rng.next()), n: 1000 };
    const closedForm = (M: number) => {
      const mean = tf.tidy(() => vae.posterior.distribution(vae.encoder.encode(tf.tensor2d(split.x.subarray(0, 4 * M), [M, 4]), false)).mean.arraySync() as number[][]);
      const logSigma = -9;
      const meanSq = mean.reduce((s, m) => s + m[0] ** 2 + m[1] ** 2, 0) / M;
      return -Math.log(M) - (1 + Math.log(2 * Math.PI) + 2 * logSigma) + Math.log(2 * Math.PI) + (meanSq + 2 * Math.exp(2 * logSigma)) / 2;
    };
    return { vae, split, closedForm };
  };
  it('equals KL(q || p) in closed form for non-overlapping narrow posteriors, over all examples', () => {
    const { vae, split, closedForm } = narrow();
    const [{ score }] = leakageScores(vae, split, 4, [Infinity], { n: 4000, rng: new Random('a') });
    expect(Math.abs(score - closedForm(1000))).toBeLessThan(0.1);
  });
  it('draws its samples from the same examples whose posteriors make up q(z) when components < the split', () => {
    const { vae, split, closedForm } = narrow();
    const [{ score }] = leakageScores(vae, split, 4, [Infinity], { n: 4000, components: 100, rng: new Random('b') });
    expect(Math.abs(score - closedForm(100))).toBeLessThan(0.1);
  });
  it('gives the same scores from posterior components passed in as from the ones it computes', () => {
    const { vae, split } = narrow();
    const posterior = posteriorComponents(vae, split, 4, 100);
    const own = leakageScores(vae, split, 4, [-3, Infinity], { n: 500, components: 100, rng: new Random('c') });
    const given = leakageScores(vae, split, 4, [-3, Infinity], { n: 500, posterior, rng: new Random('c') });
    expect(given).toEqual(own);
  });
});
