import * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { Decoder, Likelihood, LikelihoodModel } from '../interfaces.js';
import { ACTIVATIONS, Conv2DTranspose, Dense, MLP, type Activation } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import type { Random } from '../random.js';
import { LIKELIHOOD } from '../registry/tokens.js';

/** z -> MLP -> likelihood parameters [B, D * paramsPerDim]. */
export class MLPDecoder extends Module implements Decoder {
  readonly net: MLP;
  constructor(
    rng: Random,
    latentDim: number,
    hidden: number[],
    outputDim: number,
    activation: Activation,
    readonly likelihood: LikelihoodModel,
  ) {
    super();
    this.net = this.addChild('net', new MLP(rng, [latentDim, ...hidden, outputDim * likelihood.paramsPerDim], activation, 'linear'));
    this.addChild('likelihood', likelihood);
  }
  decode(z: tf.Tensor2D): Likelihood {
    return this.likelihood.distribution(this.net.apply(z));
  }
}

/**
 * Transposed-convolution decoder (AEF appendix D.1 for MNIST): z -> Linear -> [H/2^k, W/2^k, C0]
 * -> k transposed convs (4x4, stride 2), the last one emitting the likelihood parameters.
 */
export class ConvDecoder extends Module implements Decoder {
  readonly fc: Dense;
  readonly deconvs: Conv2DTranspose[] = [];
  private readonly start: [number, number, number];
  constructor(
    rng: Random,
    latentDim: number,
    readonly inputShape: number[],
    channels: number[],
    kernelSize: number,
    activation: Activation,
    readonly likelihood: LikelihoodModel,
  ) {
    super();
    if (inputShape.length !== 3) throw new Error(`a conv decoder needs image data [H, W, C]; this dataset has shape [${inputShape}]`);
    const [H, W, C] = inputShape;
    const k = channels.length;
    const f = 2 ** k;
    if (H % f || W % f) throw new Error(`a conv decoder with ${k} stride-2 layers needs H and W divisible by ${f}; got ${H}x${W}`);
    this.start = [H / f, W / f, channels[0]];
    this.fc = this.addChild('fc', new Dense(rng, latentDim, this.start[0] * this.start[1] * this.start[2], activation));
    const outs = [...channels.slice(1), C * likelihood.paramsPerDim];
    channels.forEach((ch, i) => {
      const last = i === channels.length - 1;
      this.deconvs.push(this.addChild(`deconv${i}`, new Conv2DTranspose(rng, ch, outs[i], kernelSize, 2, 'same', last ? 'linear' : activation)));
    });
    this.addChild('likelihood', likelihood);
  }
  decode(z: tf.Tensor2D): Likelihood {
    let y = tf.reshape(this.fc.apply(z), [z.shape[0], ...this.start]) as tf.Tensor4D;
    for (const d of this.deconvs) y = d.apply(y);
    return this.likelihood.distribution(tf.reshape(y, [z.shape[0], -1]) as tf.Tensor2D);
  }
}

export const mlpDecoder = defineComponent<Decoder, { hidden: number[]; activation: Activation }>({
  kind: 'decoder',
  type: 'mlp',
  description: 'Fully connected decoder: z -> hidden layers -> likelihood parameters.',
  schema: {
    properties: {
      hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [256, 512] },
      activation: { enum: [...ACTIVATIONS], default: 'relu' },
    },
  },
  create: (o, ctx) => new MLPDecoder(ctx.rng, ctx.latentDim, o.hidden, ctx.inputDim, o.activation, ctx.container.resolve<LikelihoodModel>(LIKELIHOOD)),
});

export const convDecoder = defineComponent<Decoder, { channels: number[]; kernelSize: number; activation: Activation }>({
  kind: 'decoder',
  type: 'conv',
  description: 'Linear then stride-2 transposed convolutions to the image (AEF appendix D.1).',
  schema: {
    properties: {
      channels: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, default: [128, 64] },
      kernelSize: { type: 'integer', minimum: 1, default: 4 },
      activation: { enum: [...ACTIVATIONS], default: 'relu' },
    },
  },
  create: (o, ctx) => new ConvDecoder(ctx.rng, ctx.latentDim, ctx.inputShape, o.channels, o.kernelSize, o.activation, ctx.container.resolve<LikelihoodModel>(LIKELIHOOD)),
});
