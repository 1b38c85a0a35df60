import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import type { Random } from '../random.js';

export type Activation = 'relu' | 'tanh' | 'elu' | 'sigmoid' | 'leaky_relu' | 'softplus' | 'linear';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'elu', 'sigmoid', 'leaky_relu', 'softplus', 'linear'];

export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'elu':
      return tf.elu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'leaky_relu':
      return leakyRelu(x, 0.2);
    case 'softplus':
      return tf.softplus(x);
    case 'linear':
      return x;
  }
}

/**
 * LeakyReLU, x for x > 0 and alpha x otherwise, as x * step(x, alpha) (tf.step is 1 where x > 0,
 * else alpha), with the step kept for the gradient dy * step(x, alpha). The same values as
 * tf.leakyRelu, bit for bit; three fast kernels in all where tfjs takes its LeakyRelu kernel
 * (slow on wasm: 6 ns a value) and Greater, Select and Multiply for the gradient.
 */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha: number): T {
  const f = tf.customGrad((input, saveFn) => {
    const slope = tf.step(input as tf.Tensor, alpha);
    (saveFn as tf.GradSaveFunc)([slope]);
    return { value: tf.mul(input as tf.Tensor, slope), gradFunc: (dy, saved) => tf.mul(dy as tf.Tensor, (saved as tf.Tensor[])[0]) };
  });
  return f(x) as T;
}

export function activate2d(x: tf.Tensor2D, act: Activation): tf.Tensor2D {
  return activate(x, act) as tf.Tensor2D;
}

/** The most values one weight tensor may hold (2^28 float32 values, 1 GiB). */
export const MAX_WEIGHTS_PER_TENSOR = 2 ** 28;

/** U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the default initialisation of torch.nn.Linear and Conv2d. */
export function fanInUniform(rng: Random, shape: number[], fanIn: number, scale = 1): tf.Tensor {
  const bound = scale / Math.sqrt(fanIn);
  const n = shape.reduce((a, b) => a * b, 1);
  // A typo such as hidden: [1e9] must be an error, not an allocation that takes the machine down.
  if (!(n <= MAX_WEIGHTS_PER_TENSOR))
    throw new Error(`a weight tensor of shape [${shape.join(', ')}] would hold ${n.toExponential(2)} values; the limit is ${MAX_WEIGHTS_PER_TENSOR.toExponential(2)} (1 GiB): check the layer sizes`);
  const data = rng.uniformArray(n);
  for (let i = 0; i < n; i++) data[i] = (2 * data[i] - 1) * bound;
  return tf.tensor(data, shape, 'float32');
}

/** y = act(x W + b), one fused kernel for relu and linear. */
export class Dense extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  constructor(
    rng: Random,
    readonly inputDim: number,
    readonly outputDim: number,
    readonly activation: Activation = 'linear',
    opts: { initScale?: number; biasInit?: number } = {},
  ) {
    super();
    this.kernel = this.addParam('kernel', fanInUniform(rng, [inputDim, outputDim], inputDim, opts.initScale ?? 1));
    this.bias = this.addParam('bias', opts.biasInit !== undefined ? tf.fill([outputDim], opts.biasInit) : fanInUniform(rng, [outputDim], inputDim, opts.initScale ?? 1));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    // tfjs can differentiate fused linear and relu only.
    const fused = this.activation === 'relu' ? 'relu' : 'linear';
    const y = tf.fused.matMul({ a: x, b: this.kernel as tf.Tensor2D, bias: this.bias, activation: fused }) as tf.Tensor2D;
    return fused === this.activation ? y : activate2d(y, this.activation);
  }
}

/** A stack of Dense layers: hidden layers use `activation`, the last uses `outputActivation`. */
export class MLP extends Module {
  readonly layers: Dense[] = [];
  constructor(
    rng: Random,
    readonly sizes: number[],
    activation: Activation,
    outputActivation: Activation = 'linear',
  ) {
    super();
    for (let i = 0; i + 1 < sizes.length; i++) {
      const act = i + 2 === sizes.length ? outputActivation : activation;
      this.layers.push(this.addChild(String(i), new Dense(rng, sizes[i], sizes[i + 1], act)));
    }
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    for (const l of this.layers) h = l.apply(h);
    return h;
  }
  get outputDim(): number {
    return this.sizes[this.sizes.length - 1];
  }
}

/** 2-D convolution, NHWC, filter [kh, kw, in, out]. */
export class Conv2D extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  constructor(
    rng: Random,
    inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly stride: number,
    readonly padding: 'same' | 'valid',
    readonly activation: Activation = 'linear',
  ) {
    super();
    const fanIn = inChannels * kernelSize * kernelSize;
    this.kernel = this.addParam('kernel', fanInUniform(rng, [kernelSize, kernelSize, inChannels, outChannels], fanIn));
    this.bias = this.addParam('bias', fanInUniform(rng, [outChannels], fanIn));
  }
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const y = tf.add(tf.conv2d(x, this.kernel as tf.Tensor4D, this.stride, this.padding), this.bias) as tf.Tensor4D;
    return activate(y, this.activation) as tf.Tensor4D;
  }
}

/** Transposed 2-D convolution (the gradient of Conv2D with respect to its input), NHWC. */
export class Conv2DTranspose extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  constructor(
    rng: Random,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly stride: number,
    readonly padding: 'same' | 'valid',
    readonly activation: Activation = 'linear',
  ) {
    super();
    const fanIn = outChannels * kernelSize * kernelSize;
    // tfjs stores a transposed-conv filter as [kh, kw, out, in].
    this.kernel = this.addParam('kernel', fanInUniform(rng, [kernelSize, kernelSize, outChannels, inChannels], fanIn));
    this.bias = this.addParam('bias', fanInUniform(rng, [outChannels], fanIn));
  }
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w] = x.shape;
    const outH = this.padding === 'same' ? h * this.stride : (h - 1) * this.stride + this.kernelSize;
    const outW = this.padding === 'same' ? w * this.stride : (w - 1) * this.stride + this.kernelSize;
    const y = tf.add(tf.conv2dTranspose(x, this.kernel as tf.Tensor4D, [b, outH, outW, this.outChannels], this.stride, this.padding), this.bias) as tf.Tensor4D;
    return activate(y, this.activation) as tf.Tensor4D;
  }
}
