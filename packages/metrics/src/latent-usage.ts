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
    // Each draw in its own tidy, only the running sums kept: S draws of a large model (Glow's
    // convolutions on 500 images) held at once overran the wasm heap.
    const x = tf.tensor2d(split.x.subarray(from * dim, to * dim), [b, dim]);
    let acc: tf.Tensor2D | null = null;
    let accSq: tf.Tensor2D | null = null;
    try {
      for (let s = 0; s < S; s++) {
        const next = tf.tidy(() => {
          const t = model.terms(x, rng, false);
          if (s === 0) {
            kl = t.klPerDim ? (tf.sum(t.klPerDim, 0).dataSync() as Float32Array) : null;
            if (t.noFlows) {
              means = t.mean.dataSync() as Float32Array;
              return [];
            }
          }
          const z = t.z as tf.Tensor2D;
          return [acc ? tf.add(acc, z) : tf.clone(z), accSq ? tf.add(accSq, tf.square(z)) : tf.square(z)] as tf.Tensor2D[];
        });
        acc?.dispose();
        accSq?.dispose();
        if (!next.length) break;
        [acc, accSq] = next;
      }
      if (acc && accSq) {
        const [sums, sumsSq] = [acc, accSq];
        tf.tidy(() => {
          const m = tf.div(sums, S);
          // unbiased per-example variance of the draws, divided by S: the noise in their mean
          const v = tf.div(tf.sub(sumsSq, tf.mul(S, tf.square(m))), (S - 1) * S);
          means = m.dataSync() as Float32Array;
          spread = tf.sum(v, 0).dataSync() as Float32Array;
        });
      }
    } finally {
      x.dispose();
      acc?.dispose();
      accSq?.dispose();
    }
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
