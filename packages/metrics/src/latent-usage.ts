import { Random, tf, type DataSplit, type LatentModel } from '@vaeflow/core';

/** How much of the latent space a model uses, over a data split. */
export interface LatentUsage {
  /** A_u = Var_x(E_{q(z|x)}[z_u]) per latent dimension u (the z the decoder reads, after any posterior flows) */
  variance: number[];
  /** dimensions with A_u above `threshold` */
  activeUnits: number;
  threshold: number;
  /** E_x[KL(q(z_u|x) || N(0, 1))] per dimension, where the KL splits by dimension (diagonal posterior, no flows, standard-normal prior) */
  klPerDim?: number[];
  n: number;
  /** posterior draws per example behind E_q[z] (1: the posterior's own mean, no flows) */
  samples: number;
}

/**
 * Active units (Burda, Grosse and Salakhutdinov 2016, sec. 5.2): a latent dimension u is active
 * when A_u = Cov_x(E_{u ~ q(u|x)}[u]) > 0.01, i.e. its posterior mean moves with the data.
 * E_q[z|x] is the posterior mean where z is the base posterior's draw (no flows); with flows it is
 * the average of `samples` draws of the flow's output, and the variance over x is corrected for
 * the draws' own noise (Var_x(mean of S draws) = A_u + E_x[Var(z_u|x)] / S, the second term
 * estimated from the draws), so a dead dimension is not counted for its sampling noise. Taken
 * over the split's first `limit` examples. Also reports each dimension's KL where the KL splits by
 * dimension.
 */
export function latentUsage(model: LatentModel, split: DataSplit, dim: number, o: { limit?: number; batchSize?: number; samples?: number; threshold?: number; rng?: Random } = {}): LatentUsage {
  const n = Math.min(split.n, o.limit ?? Infinity);
  if (n < 2) throw new Error('active units need at least two examples');
  const bs = o.batchSize ?? 500;
  const S = o.samples ?? 10;
  if (S < 2) throw new Error('latentUsage needs at least 2 samples per example');
  const threshold = o.threshold ?? 0.01;
  const rng = o.rng ?? new Random('latent-usage');
  const L = model.latentDim;
  const sum = new Float64Array(L);
  const sumSq = new Float64Array(L);
  const noise = new Float64Array(L); // sum over examples of Var(z_u|x) / S, from the draws
  let klSum: Float64Array | null = new Float64Array(L);
  let draws = 1;
  for (let from = 0; from < n; from += bs) {
    const to = Math.min(n, from + bs);
    const b = to - from;
    let means: Float32Array = new Float32Array(0);
    let spread: Float32Array | null = null;
    let kl: Float32Array | null = null;
    tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(from * dim, to * dim), [b, dim]);
      const first = model.terms(x, rng, false);
      kl = first.klPerDim ? (tf.sum(first.klPerDim, 0).dataSync() as Float32Array) : null;
      if (first.noFlows) {
        means = first.mean.dataSync() as Float32Array;
        return;
      }
      let acc = first.z as tf.Tensor2D;
      let accSq = tf.square(first.z) as tf.Tensor2D;
      for (let s = 1; s < S; s++) {
        const z = model.terms(x, rng, false).z;
        acc = tf.add(acc, z) as tf.Tensor2D;
        accSq = tf.add(accSq, tf.square(z)) as tf.Tensor2D;
      }
      const m = tf.div(acc, S);
      // unbiased per-example variance of the draws, divided by S: the noise in their mean
      const v = tf.div(tf.sub(accSq, tf.mul(S, tf.square(m))), (S - 1) * S);
      means = m.dataSync() as Float32Array;
      spread = tf.sum(v, 0).dataSync() as Float32Array;
    });
    if (spread) {
      draws = S;
      for (let u = 0; u < L; u++) noise[u] += spread[u];
    }
    for (let i = 0; i < b; i++) {
      for (let u = 0; u < L; u++) {
        const v = means[i * L + u];
        sum[u] += v;
        sumSq[u] += v * v;
      }
    }
    if (kl && klSum) for (let u = 0; u < L; u++) klSum[u] += kl[u];
    else klSum = null;
  }
  const variance = Array.from(sum, (s, u) => Math.max(0, (sumSq[u] - (s * s) / n) / (n - 1) - noise[u] / n));
  return {
    variance,
    activeUnits: variance.filter((v) => v > threshold).length,
    threshold,
    ...(klSum ? { klPerDim: Array.from(klSum, (k) => k / n) } : {}),
    n,
    samples: draws,
  };
}
