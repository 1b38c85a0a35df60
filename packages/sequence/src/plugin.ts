import { DATASET, defineComponent, definePlugin, type Dataset, type Decoder } from '@vaeflow/core';
import { SequenceDecoder, type SequenceDecoderOptions } from './decoder.js';
import { VERSION } from './version.js';

/** The sequence plugin: decoder `lstm` for data shaped [T, K + 1] (one-hot type + feature per step). */
export const plugin = definePlugin({
  name: '@vaeflow/sequence',
  version: VERSION,
  components: [
    defineComponent<Decoder, SequenceDecoderOptions>({
      kind: 'decoder',
      type: 'lstm',
      description:
        "LSTM sequence decoder (seed 002, sec. 4.1): z -> (x0, h, c); teacher forcing in training, greedy decoding at inference; categorical types and a Gaussian (or Bernoulli) feature. It carries its own likelihood; the manifest's likelihood slot is not used.",
      schema: {
        properties: {
          hidden: { type: 'integer', minimum: 1, default: 128 },
          feature: { enum: ['gaussian', 'bernoulli'], default: 'gaussian' },
          featureScale: { type: 'number', exclusiveMinimum: 0, default: 0.05 },
        },
      },
      create: (o, ctx) => {
        const ds = ctx.container.resolve<Dataset>(DATASET);
        if (ds.inputShape.length !== 2 || ds.inputShape[1] < 2) throw new Error(`the lstm decoder needs sequence data shaped [T, K + 1]; ${ds.name} has [${ds.inputShape}]`);
        return new SequenceDecoder(ctx.rng, ctx.latentDim, ds.inputShape[0], ds.inputShape[1] - 1, o);
      },
    }),
  ],
});
export default plugin;
