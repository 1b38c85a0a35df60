import { SequentialFlow, defineComponent, definePlugin, type Flow } from '@vaeflow/core';
import { SylvesterFlow, type SylvesterVariant } from './sylvester.js';
import { VERSION } from './version.js';

interface SylvesterPluginOptions {
  variant: SylvesterVariant;
  layers: number;
  columns?: number;
  reflections: number;
  iterations: number;
  tolerance: number;
  initScale: number;
}

/** The Sylvester-flow plugin: `sylvester` (orthogonal, Householder or triangular), amortised on h. */
export const plugin = definePlugin({
  name: '@vaeflow/flows-sylvester',
  version: VERSION,
  components: [
    defineComponent<Flow, SylvesterPluginOptions>({
      kind: 'flow',
      type: 'sylvester',
      description:
        'Sylvester flow z + Q R tanh(R~ Q^T z + b) (van den Berg et al. 2018), every parameter a linear map of the encoder context h; Q orthogonalised (O-SNF), Householder (H-SNF) or a permutation (T-SNF). Not invertible in closed form.',
      schema: {
        properties: {
          variant: {
            enum: ['orthogonal', 'householder', 'triangular'],
            default: 'orthogonal',
            description: 'how Q is made: iterative orthogonalisation (O-SNF), Householder reflections (H-SNF), identity/reversal alternating between layers (T-SNF)',
          },
          layers: { type: 'integer', minimum: 1, default: 4, description: 'stacked Sylvester layers' },
          columns: { type: 'integer', minimum: 1, description: 'orthogonal: M, the columns of Q (default: the latent size)' },
          reflections: { type: 'integer', minimum: 1, default: 4, description: 'householder: reflections per layer' },
          iterations: { type: 'integer', minimum: 1, default: 100, description: 'orthogonal: the most orthogonalisation iterations per example (van den Berg et al. use 100)' },
          tolerance: {
            type: 'number',
            minimum: 0,
            default: 1e-5,
            description: 'orthogonal: an example stops iterating once |Q^T Q - I|_F <= tolerance sqrt(M) (float32 reaches about 1e-7); 0 makes every example take all `iterations`',
          },
          initScale: { type: 'number', exclusiveMinimum: 0, default: 0.1, description: 'scale of the initial weights of the maps from h' },
        },
      },
      invertible: false,
      create: (o, ctx) => {
        if (!(ctx.contextDim > 0)) throw new Error('sylvester flows are amortised: they need an encoder context h (use them as posterior flows)');
        const layers = Array.from({ length: o.layers }, (_, k) => new SylvesterFlow(ctx.latentDim, ctx.contextDim, ctx.rng, { ...o, reverse: k % 2 === 1 }));
        return layers.length === 1 ? layers[0] : new SequentialFlow(layers, `sylvester-${o.variant}`);
      },
    }),
  ],
});
export default plugin;
