import { Random, tf, type DataSplit, type LatentModel } from '@vaeflow/core';

/**
 * Averages a likelihood's own reconstruction measures (`Likelihood.metrics`, e.g. a sequence
 * decoder's type accuracies) over a split, decoding z ~ q(z|x). Empty when the likelihood has none.
 */
export function likelihoodMetrics(model: LatentModel, split: DataSplit, dim: number, o: { limit?: number; batchSize?: number; rng?: Random } = {}): Record<string, number> {
  if (!model.reconstructionLikelihood) return {};
  const n = Math.min(split.n, o.limit ?? Infinity);
  const bs = o.batchSize ?? 500;
  const rng = o.rng ?? new Random('likelihood-metrics');
  const sums: Record<string, number> = {};
  for (let from = 0; from < n; from += bs) {
    const to = Math.min(n, from + bs);
    let values: [string, number][] | null = null;
    tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(from * dim, to * dim), [to - from, dim]);
      const lik = model.reconstructionLikelihood!(x, rng);
      if (lik.metrics) values = Object.entries(lik.metrics(x)).map(([k, v]) => [k, v.dataSync()[0]]);
    });
    if (!values) return {};
    for (const [k, v] of values as [string, number][]) sums[k] = (sums[k] ?? 0) + v * (to - from);
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
}

/** The fraction of prior samples (greedy-decoded means) that the dataset's validity check accepts. */
export function sampleValidity(model: LatentModel, validity: (row: Float32Array) => string | null, n: number, rng = new Random('validity')): { valid: number; n: number; rate: number } {
  const x = tf.tidy(() => model.generate(n, rng).dataSync() as Float32Array);
  const dim = x.length / n;
  let valid = 0;
  for (let i = 0; i < n; i++) if (validity(x.subarray(i * dim, (i + 1) * dim)) === null) valid++;
  return { valid, n, rate: valid / n };
}
