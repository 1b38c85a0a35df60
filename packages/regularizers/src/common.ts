import { tf, type LatentTerms } from '@vaeflow/core';

/** -E[log p(x|z)] and E[KL] over the batch, the two terms every objective here starts from. */
export function recAndKl(t: LatentTerms): { rec: tf.Scalar; kl: tf.Scalar; elbo: tf.Scalar } {
  const rec = tf.neg(tf.mean(t.logPx)) as tf.Scalar;
  const kl = tf.mean(t.kl) as tf.Scalar;
  return { rec, kl, elbo: tf.neg(tf.add(rec, kl)) as tf.Scalar };
}
