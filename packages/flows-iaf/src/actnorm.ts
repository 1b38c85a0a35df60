import { BaseFlow, actNormInitialValues, tf } from '@vaeflow/core';

/**
 * ActNorm (Kingma & Dhariwal 2018, arXiv 1807.03039): y = z * exp(logScale) + bias,
 * log|det| = sum(logScale). On its first call the parameters are set from that batch
 * (data-dependent init): so that y has zero mean and unit variance per dimension when the
 * first call is forward, or so that z does when it is the inverse (a flow read in the density
 * direction, as in a MAF prior). A flag variable records it, so checkpoints keep the
 * initialisation.
 */
export class ActNorm extends BaseFlow {
  readonly id = 'actnorm';
  override readonly invertible = true;
  readonly logScale: tf.Variable;
  readonly bias: tf.Variable;
  readonly initialized: tf.Variable;
  constructor(
    dim: number,
    readonly dataInit = true,
  ) {
    super(dim, false);
    this.logScale = this.addParam('logScale', tf.zeros([1, dim]));
    this.bias = this.addParam('bias', tf.zeros([1, dim]));
    this.initialized = this.addParam('initialized', tf.scalar(dataInit ? 0 : 1), false);
  }
  private initFrom(t: tf.Tensor2D, direction: 'forward' | 'inverse'): void {
    if (this.initialized.dataSync()[0] === 1) return;
    tf.tidy(() => {
      const { mean, variance } = tf.moments(t, 0, true);
      const { logScale, bias } = actNormInitialValues(mean, variance, direction);
      this.logScale.assign(logScale);
      this.bias.assign(bias);
      this.initialized.assign(tf.scalar(1));
    });
  }
  protected forward(z: tf.Tensor2D) {
    this.initFrom(z, 'forward');
    const y = tf.add(tf.mul(z, tf.exp(this.logScale)), this.bias) as tf.Tensor2D;
    return { z: y, logDet: tf.mul(tf.ones([z.shape[0]]), tf.sum(this.logScale)) as tf.Tensor1D };
  }
  protected override inverse(y: tf.Tensor2D) {
    this.initFrom(y, 'inverse');
    const z = tf.mul(tf.sub(y, this.bias), tf.exp(tf.neg(this.logScale))) as tf.Tensor2D;
    return { z, logDet: tf.mul(tf.ones([y.shape[0]]), tf.neg(tf.sum(this.logScale))) as tf.Tensor1D };
  }
}
