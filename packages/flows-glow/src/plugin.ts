import { defineComponent, definePlugin, type Flow } from '@vaeflow/core';
import { Glow } from './glow.js';
import { VERSION } from './version.js';

interface GlowComponentOptions {
  shape?: number[];
  levels: number;
  steps: number;
  hidden: number;
}

/** The Glow plugin: the `glow` flow (multi-scale, on image-shaped vectors). */
export const plugin = definePlugin({
  name: '@vaeflow/flows-glow',
  version: VERSION,
  components: [
    defineComponent<Flow, GlowComponentOptions>({
      kind: 'flow',
      type: 'glow',
      description:
        'Glow (Kingma & Dhariwal 2018): L levels of squeeze, K steps (channel ActNorm, LU 1x1 convolution, affine coupling with a conv conditioner) and a split, on [H, W, C] images flattened; unconditional.',
      schema: {
        properties: {
          shape: {
            type: 'array',
            items: { type: 'integer', minimum: 1 },
            minItems: 3,
            maxItems: 3,
            description: '[H, W, C] of the vectors it acts on (default: the data shape, in a flow model on images)',
          },
          levels: { type: 'integer', minimum: 1, maximum: 6, default: 2, description: 'L levels; height and width must be multiples of 2^L' },
          steps: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'K steps per level' },
          hidden: { type: 'integer', minimum: 1, default: 64, description: 'channels of each coupling conditioner' },
        },
      },
      create: (o, ctx) => {
        const shape = o.shape ?? (ctx.inputShape.length === 3 && ctx.inputDim === ctx.latentDim ? ctx.inputShape : null);
        if (!shape) throw new Error(`glow needs the image shape [H, W, C] of the ${ctx.latentDim} values it acts on: give "shape" (the data here are [${ctx.inputShape.join(', ')}])`);
        if (ctx.contextDim > 0) throw new Error('glow is unconditional: it reads no encoder context, so it cannot be a posterior flow here (use it in a flow model or as a prior)');
        return new Glow(ctx.latentDim, ctx.rng, { shape: shape as [number, number, number], levels: o.levels, steps: o.steps, hidden: o.hidden });
      },
    }),
  ],
});
