import { Random, standardNormalLogProb, tf, type DataSplit, type VAE } from '@vaeflow/core';
import { mixtureLogDensity, type PosteriorComponents, posteriorComponents } from './aggregate-posterior.js';

/** Distances from each row of X to its k-th nearest row of Y (skipping the row itself when X is Y). */
function kthNeighbourDistances(X: Float32Array, Y: Float32Array, dim: number, k: number, same: boolean): Float64Array {
  const n = X.length / dim;
  const m = Y.length / dim;
  const out = new Float64Array(n);
  const Yt = tf.tensor2d(Y, [m, dim]);
  const yy = tf.reshape(tf.sum(tf.square(Yt), 1), [1, m]);
  for (let from = 0; from < n; from += 512) {
    const to = Math.min(n, from + 512);
    const d = tf.tidy(() => {
      const Xc = tf.tensor2d(X.subarray(from * dim, to * dim), [to - from, dim]);
      const d2 = tf.relu(tf.sub(tf.add(tf.sum(tf.square(Xc), 1, true), yy), tf.mul(2, tf.matMul(Xc, Yt, false, true))));
      // the k (+1 for self) smallest distances per row
      return tf.neg(tf.topk(tf.neg(d2), same ? k + 1 : k).values).arraySync() as number[][];
    });
    for (let i = 0; i < d.length; i++) out[from + i] = Math.sqrt(Math.max(d[i][same ? k : k - 1], 1e-24));
  }
  Yt.dispose();
  yy.dispose();
  return out;
}

/**
 * KL(P || Q) from samples by the k-nearest-neighbour estimator of Wang, Kulkarni & Verdu (2009):
 *   D = (d / n) sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1)),
 * rho_k(i) the distance from x_i to its k-th neighbour among the other P samples, nu_k(i) to
 * its k-th neighbour among the m Q samples.
 */
export function knnKl(p: Float32Array, q: Float32Array, dim: number, k = 1): number {
  const n = p.length / dim;
  const m = q.length / dim;
  const rho = kthNeighbourDistances(p, p, dim, k, true);
  const nu = kthNeighbourDistances(p, q, dim, k, false);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(nu[i] / rho[i]);
  return (dim / n) * s + Math.log(m / (n - 1));
}

/** Symmetric KL, KL(P || Q) + KL(Q || P), by the k-NN estimator. */
export function symmetricKl(p: Float32Array, q: Float32Array, dim: number, k = 1): number {
  return knnKl(p, q, dim, k) + knnKl(q, p, dim, k);
}

interface WithBase {
  toBase?(z: tf.Tensor2D): tf.Tensor2D;
}

/** z0 = h(z): through the prior's bijection for a decoupled prior, the identity otherwise. */
export function toBaseSpace(model: VAE, z: tf.Tensor2D): tf.Tensor2D {
  const p = model.prior as unknown as WithBase;
  return p.toBase ? p.toBase(z) : z;
}

/** n samples of the aggregate posterior q(z) = mean_x q(z|x): one z ~ q(z|x) for each of n examples drawn from the split. */
export function aggregatePosteriorSamples(model: VAE, split: DataSplit, dim: number, n: number, rng: Random): { z: Float32Array; index: Int32Array } {
  const index = Int32Array.from({ length: n }, () => rng.int(split.n));
  const L = model.latentDim;
  const z = new Float32Array(n * L);
  for (let from = 0; from < n; from += 500) {
    const to = Math.min(n, from + 500);
    const x = new Float32Array((to - from) * dim);
    for (let i = from; i < to; i++) x.set(split.x.subarray(index[i] * dim, (index[i] + 1) * dim), (i - from) * dim);
    z.set(
      tf.tidy(() => model.posteriorSample(tf.tensor2d(x, [to - from, dim]), rng).z.dataSync() as Float32Array),
      from * L,
    );
  }
  return { z, index };
}

/** Prior samples z ~ p(z), n x L. */
export function priorSamples(model: VAE, n: number, rng: Random): Float32Array {
  const out = new Float32Array(n * model.latentDim);
  for (let from = 0; from < n; from += 1000) {
    const b = Math.min(1000, n - from);
    out.set(
      tf.tidy(() => model.prior.sample(b, rng).dataSync() as Float32Array),
      from * model.latentDim,
    );
  }
  return out;
}

/** Maps latent samples through h (see {@link toBaseSpace}). */
export function mapToBase(model: VAE, z: Float32Array): Float32Array {
  const L = model.latentDim;
  return tf.tidy(() => toBaseSpace(model, tf.tensor2d(z, [z.length / L, L])).dataSync() as Float32Array);
}

/**
 * Leakage score (seed 004): LS(tau) = E_{z ~ q(z)}[ 1{log p(z) < tau} log(q(z) / N(h(z); 0, I)) ],
 * the aggregate-posterior mass that falls where the prior puts little density, weighted by how
 * much more q has there than the base density; h is the prior's bijection (identity for a
 * standard-normal prior). q is the mixture of the posteriors of the split's first `components`
 * examples (all by default), and the n samples are drawn from that same mixture: a sample's own
 * component must be in the density, or narrow posteriors make log q(z) absurdly low. `posterior`
 * passes components already computed by `posteriorComponents` (then split and `components` are unused).
 */
export function leakageScores(
  model: VAE,
  split: DataSplit,
  dim: number,
  taus: number[],
  o: { n?: number; components?: number; posterior?: PosteriorComponents; rng?: Random } = {},
): { tau: number; score: number }[] {
  const rng = o.rng ?? new Random('leakage');
  const L = model.latentDim;
  const n = o.n ?? 2000;
  const comps = o.posterior ?? posteriorComponents(model, split, dim, o.components ?? split.n);
  const M = comps.mean.length / L;
  const z = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    const j = rng.int(M);
    for (let d = 0; d < L; d++) z[i * L + d] = comps.mean[j * L + d] + Math.exp(comps.logScale[j * L + d]) * rng.nextNormal();
  }
  const logQ = mixtureLogDensity(comps, z, L);
  const { logP, logBase } = tf.tidy(() => {
    const zt = tf.tensor2d(z, [n, L]);
    return { logP: model.prior.logProb(zt).dataSync(), logBase: standardNormalLogProb(toBaseSpace(model, zt)).dataSync() };
  });
  return taus.map((tau) => {
    let s = 0;
    for (let i = 0; i < n; i++) if (logP[i] < tau) s += logQ[i] - logBase[i];
    return { tau, score: s / n };
  });
}
