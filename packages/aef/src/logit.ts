import { BaseFlow, tf } from '@vaeflow/core';

/**
 * The logit preprocessing bijection on (0, 1) (Papamakarios et al. 2017; AEF appendix D.3):
 *   y = logit(p),  p = a + (1 - 2a) x,
 *   log|dy/dx| = sum_d [log(1 - 2a) - log p_d - log(1 - p_d)].
 * `a` keeps p away from 0 and 1 (1e-6 for MNIST-like data); the inverse is x = (sigmoid(y) - a) / (1 - 2a).
 */
export class LogitFlow extends BaseFlow {
  readonly id = 'logit';
  override readonly invertible = true;
  constructor(
    dim: number,
    readonly alpha = 1e-6,
  ) {
    super(dim, false);
    if (!(alpha > 0 && alpha < 0.5)) throw new Error(`logit: alpha must be in (0, 0.5), got ${alpha}`);
  }
  protected forward(x: tf.Tensor2D) {
    const a = this.alpha;
    const p = tf.add(a, tf.mul(1 - 2 * a, x));
    const y = tf.sub(tf.log(p), tf.log1p(tf.neg(p))) as tf.Tensor2D;
    const logDet = tf.sub(this.dim * Math.log(1 - 2 * a), tf.sum(tf.add(tf.log(p), tf.log1p(tf.neg(p))), 1)) as tf.Tensor1D;
    return { z: y, logDet };
  }
  protected override inverse(y: tf.Tensor2D) {
    const a = this.alpha;
    const x = tf.div(tf.sub(tf.sigmoid(y), a), 1 - 2 * a) as tf.Tensor2D;
    // log|dx/dy| = sum_d [log s_d + log(1 - s_d) - log(1 - 2a)], s = sigmoid(y); log s = -softplus(-y), log(1 - s) = -softplus(y).
    const logDet = tf.sub(tf.neg(tf.sum(tf.add(tf.softplus(tf.neg(y)), tf.softplus(y)), 1)), this.dim * Math.log(1 - 2 * a)) as tf.Tensor1D;
    return { z: x, logDet };
  }
}
