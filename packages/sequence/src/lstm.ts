import { Module, fanInUniform, tf, type Random } from '@vaeflow/core';

/**
 * One LSTM cell (Hochreiter & Schmidhuber 1997), gates in the order i, f, g, o:
 *   [i, f, g, o] = [x, h] W + b,  c' = sigmoid(f) c + sigmoid(i) tanh(g),  h' = sigmoid(o) tanh(c').
 * The forget-gate bias starts at 1.
 */
export class LSTMCell extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  constructor(
    rng: Random,
    readonly inputDim: number,
    readonly hidden: number,
  ) {
    super();
    this.kernel = this.addParam('kernel', fanInUniform(rng, [inputDim + hidden, 4 * hidden], hidden));
    const b = new Float32Array(4 * hidden);
    b.fill(1, hidden, 2 * hidden);
    this.bias = this.addParam('bias', tf.tensor1d(b));
  }
  step(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } {
    const gates = tf.add(tf.matMul(tf.concat([x, h], 1), this.kernel as tf.Tensor2D), this.bias);
    const [i, f, g, o] = tf.split(gates, 4, 1);
    const c2 = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    return { h: tf.mul(tf.sigmoid(o), tf.tanh(c2)) as tf.Tensor2D, c: c2 };
  }
}
