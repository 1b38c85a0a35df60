import { actNormInitialValues, tf } from '@vaeflow/core';
import { ImageStep, perExample } from './image-step.js';

/**
 * Channel-wise ActNorm (Kingma & Dhariwal 2018, section 3.1): y = x * exp(s_c) + b_c for every
 * pixel, log|det| = H W sum_c s_c. The first batch it sees sets s and b so that the output of
 * that pass has zero mean and unit variance per channel (data-dependent initialisation); a flag
 * variable keeps the fact in checkpoints.
 */
export class ChannelActNorm extends ImageStep {
  readonly logScale: tf.Variable;
  readonly bias: tf.Variable;
  readonly initialized: tf.Variable;
  constructor(
    readonly channels: number,
    dataInit = true,
  ) {
    super();
    this.logScale = this.addParam('logScale', tf.zeros([channels]));
    this.bias = this.addParam('bias', tf.zeros([channels]));
    this.initialized = this.addParam('initialized', tf.scalar(dataInit ? 0 : 1), false);
  }

  /** Sets s, b from t: so that forward(t) is standardised, or (`inverse`) so that t is what a standard output maps to. */
  private initFrom(t: tf.Tensor4D, direction: 'forward' | 'inverse'): void {
    if (this.initialized.dataSync()[0] === 1) return;
    tf.tidy(() => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      const { logScale, bias } = actNormInitialValues(mean, variance, direction);
      this.logScale.assign(logScale);
      this.bias.assign(bias);
      this.initialized.assign(tf.scalar(1));
    });
  }

  private pixels(x: tf.Tensor4D): number {
    return x.shape[1] * x.shape[2];
  }

  forward(x: tf.Tensor4D) {
    this.initFrom(x, 'forward');
    const y = tf.add(tf.mul(x, tf.exp(this.logScale)), this.bias) as tf.Tensor4D;
    return { y, logDet: perExample(x.shape[0], tf.mul(tf.sum(this.logScale), this.pixels(x)) as tf.Scalar) };
  }

  inverse(y: tf.Tensor4D) {
    this.initFrom(y, 'inverse');
    const x = tf.mul(tf.sub(y, this.bias), tf.exp(tf.neg(this.logScale))) as tf.Tensor4D;
    return { x, logDet: perExample(y.shape[0], tf.mul(tf.sum(this.logScale), -this.pixels(y)) as tf.Scalar) };
  }
}
