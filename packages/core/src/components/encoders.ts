import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { Encoder } from '../interfaces.js';
import { ACTIVATIONS, Conv2D, Dense, MLP, type Activation } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import type { Random } from '../random.js';

/** x [B, D] -> MLP -> h [B, hidden.at(-1)]. */
export class MLPEncoder extends Module implements Encoder {
  readonly net: MLP;
  constructor(rng: Random, inputDim: number, hidden: number[], activation: Activation) {
    super();
    if (hidden.length === 0) throw new Error('an MLP encoder needs at least one hidden layer');
    this.net = this.addChild('net', new MLP(rng, [inputDim, ...hidden], activation, activation));
  }
  get featureDim(): number {
    return this.net.outputDim;
  }
  encode(x: tf.Tensor2D): tf.Tensor2D {
    return this.net.apply(x);
  }
}

/**
 * Convolutional encoder (AEF appendix D.1 for MNIST: 3x3 stride-2 convolutions with 64 and
 * 128 channels), flattened, then optional dense layers. x [B, H*W*C] is folded to NHWC. With a
 * condition (rows [x, c]), c joins the flattened convolution features before the dense layers.
 */
export class ConvEncoder extends Module implements Encoder {
  readonly convs: Conv2D[] = [];
  readonly dense: Dense[] = [];
  readonly featureDim: number;
  constructor(
    rng: Random,
    readonly inputShape: number[],
    channels: number[],
    kernelSize: number,
    hidden: number[],
    activation: Activation,
    readonly conditionDim = 0,
  ) {
    super();
    if (inputShape.length !== 3) throw new Error(`a conv encoder needs image data [H, W, C]; this dataset has shape [${inputShape}]`);
    let [h, w, c] = inputShape;
    channels.forEach((ch, i) => {
      this.convs.push(this.addChild(`conv${i}`, new Conv2D(rng, c, ch, kernelSize, 2, 'same', activation)));
      [h, w, c] = [Math.ceil(h / 2), Math.ceil(w / 2), ch];
    });
    let dim = h * w * c + conditionDim;
    hidden.forEach((units, i) => {
      this.dense.push(this.addChild(`dense${i}`, new Dense(rng, dim, units, activation)));
      dim = units;
    });
    this.featureDim = dim;
  }
  encode(rows: tf.Tensor2D): tf.Tensor2D {
    const C = this.conditionDim;
    const [x, cond] = C ? (tf.split(rows, [rows.shape[1] - C, C], 1) as [tf.Tensor2D, tf.Tensor2D]) : [rows, null];
    const folded: tf.Tensor = tf.reshape(x, [x.shape[0], ...this.inputShape]);
    let y = folded as tf.Tensor4D;
    for (const c of this.convs) y = c.apply(y);
    let f = tf.reshape(y, [x.shape[0], -1]) as tf.Tensor2D;
    if (cond) f = tf.concat([f, cond], 1) as tf.Tensor2D;
    for (const d of this.dense) f = d.apply(f);
    return f;
  }
}

const activationSchema = { enum: [...ACTIVATIONS], default: 'relu' };

export const mlpEncoder = defineComponent<Encoder, { hidden: number[]; activation: Activation }>({
  kind: 'encoder',
  type: 'mlp',
  description: 'Fully connected encoder: x -> hidden layers -> features h.',
  schema: {
    properties: {
      hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, default: [512, 256] },
      activation: activationSchema,
    },
  },
  create: (o, ctx) => new MLPEncoder(ctx.rng, ctx.inputDim, o.hidden, o.activation),
});

export const convEncoder = defineComponent<Encoder, { channels: number[]; kernelSize: number; hidden: number[]; activation: Activation }>({
  kind: 'encoder',
  type: 'conv',
  description: 'Convolutional encoder: stride-2 convolutions, flatten, optional dense layers (AEF appendix D.1).',
  schema: {
    properties: {
      channels: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, default: [64, 128] },
      kernelSize: { type: 'integer', minimum: 1, default: 3 },
      hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [] },
      activation: activationSchema,
    },
  },
  create: (o, ctx) => new ConvEncoder(ctx.rng, ctx.inputShape, o.channels, o.kernelSize, o.hidden, o.activation, ctx.conditionDim ?? 0),
});
