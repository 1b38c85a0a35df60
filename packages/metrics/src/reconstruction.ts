import { Random, tf, type DataSplit, type LatentModel } from '@vaeflow/core';

/**
 * Reconstruction error of x -> z ~ q(z|x) -> E[x|z], averaged over examples: the mean squared
 * error per dimension, and for binary data the binary cross-entropy per example (nats).
 * `dim` is the row width (a conditional model's rows end in their condition, which is not scored).
 */
export function reconstructionError(
  model: LatentModel,
  split: DataSplit,
  dim: number,
  o: { limit?: number; batchSize?: number; rng?: Random; binary?: boolean } = {},
): { mse: number; bce?: number; n: number } {
  const n = Math.min(split.n, o.limit ?? Infinity);
  const bs = o.batchSize ?? 500;
  const rng = o.rng ?? new Random('reconstruction');
  let se = 0;
  let ce = 0;
  let dataDim = dim;
  for (let from = 0; from < n; from += bs) {
    const to = Math.min(n, from + bs);
    const [s, c] = tf.tidy(() => {
      const rows = tf.tensor2d(split.x.subarray(from * dim, to * dim), [to - from, dim]);
      const recon = model.reconstruct(rows, rng);
      // rows of a conditional model end in their condition; the reconstruction has the data columns only
      const x = recon.shape[1] === dim ? rows : (tf.slice(rows, [0, 0], [-1, recon.shape[1]]) as tf.Tensor2D);
      dataDim = recon.shape[1];
      const sq = tf.sum(tf.square(tf.sub(x, recon)));
      // clipped for the cross-entropy only: data outside [0, 1] (2-D toys) keep their squared error
      const r = tf.clipByValue(recon, 1e-6, 1 - 1e-6);
      const bce = tf.neg(tf.sum(tf.add(tf.mul(x, tf.log(r)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, r))))));
      return [sq.dataSync()[0], bce.dataSync()[0]];
    });
    se += s;
    ce += c;
  }
  return { mse: se / (n * dataDim), ...(o.binary ? { bce: ce / n } : {}), n };
}
