import { Random, tf, type DataSplit, type LatentModel } from '@vaeflow/core';
import { mixtureLogDensity } from './aggregate-posterior.js';

/** The average KL split into what the code carries about x and how far its aggregate is from the prior. */
export interface ElboSurgery {
  /** E_x[KL(q(z|x) || p(z))], the ELBO's KL term */
  kl: number;
  /** I(x; z) under the empirical data distribution: E_x E_{q(z|x)}[log q(z|x) - log q(z)], at most log n */
  mutualInformation: number;
  /** KL(q(z) || p(z)) of the aggregate posterior q(z) = (1/n) sum_j q(z|x_j): kl - mutualInformation */
  marginalKl: number;
  n: number;
}

/**
 * ELBO surgery (Hoffman and Johnson 2016): E_x[KL(q(z|x) || p(z))] = I(x; z) + KL(q(z) || p(z)),
 * with q(z) the aggregate posterior of the split's first `limit` examples. I(x; z) is estimated
 * with one z ~ q(z|x_i) per example and log q(z_i) = log mean_j q(z_i|x_j) over all n examples
 * (the examples' own empirical aggregate, so the estimate is at most log n); the KL term is the
 * model's (closed form or Monte Carlo). Needs a diagonal-Gaussian posterior without flows, whose
 * density can be evaluated at any z; null for other models.
 */
export function elboSurgery(model: LatentModel, split: DataSplit, dim: number, o: { limit?: number; batchSize?: number; rng?: Random } = {}): ElboSurgery | null {
  const n = Math.min(split.n, o.limit ?? Infinity);
  const bs = o.batchSize ?? 500;
  const rng = o.rng ?? new Random('elbo-surgery');
  const L = model.latentDim;
  const mean = new Float32Array(n * L);
  const logScale = new Float32Array(n * L);
  const z = new Float32Array(n * L);
  const logQzx = new Float64Array(n);
  let klSum = 0;
  let applicable = true;
  for (let from = 0; from < n && applicable; from += bs) {
    const to = Math.min(n, from + bs);
    tf.tidy(() => {
      const t = model.terms(tf.tensor2d(split.x.subarray(from * dim, to * dim), [to - from, dim]), rng, false);
      if (!t.noFlows || !t.posterior?.logScale) {
        applicable = false;
        return;
      }
      mean.set(t.posterior.mean.dataSync(), from * L);
      logScale.set(t.posterior.logScale.dataSync(), from * L);
      z.set(t.z.dataSync(), from * L);
      logQzx.set(t.logQz.dataSync(), from);
      klSum += tf.sum(t.kl).dataSync()[0];
    });
  }
  if (!applicable) return null;
  // log q(z_i) = log (1/n) sum_j q(z_i|x_j), the examples' own mixture
  const logQz = mixtureLogDensity({ mean, logScale }, z, L);
  let miSum = 0;
  for (let i = 0; i < n; i++) miSum += logQzx[i] - logQz[i];
  const kl = klSum / n;
  const mutualInformation = miSum / n;
  return { kl, mutualInformation, marginalKl: kl - mutualInformation, n };
}
