import { InverseFlow, buildComponentList, componentSlotList, SequentialFlow, defineComponent, definePlugin, type ComponentSpec, type Flow, type Prior } from '@vaeflow/core';
import { BijectionPrior, realNvp } from './priors.js';
import { VERSION } from './version.js';

/** The decoupled-prior plugin: priors `decoupled` and `flow`, and the `realnvp` flow. */
export const plugin = definePlugin({
  name: '@vaeflow/priors-dp',
  version: VERSION,
  components: [
    defineComponent<Prior, { blocks: number; hidden: number }>({
      kind: 'prior',
      type: 'decoupled',
      description: 'dpVAE decoupled prior: p(z) = N(g(z); 0, I) |det dg/dz| with g a RealNVP (Bhalodia et al. 2020).',
      schema: {
        properties: {
          blocks: { type: 'integer', minimum: 1, default: 6, description: 'affine coupling blocks, alternating masks' },
          hidden: { type: 'integer', minimum: 1, default: 64, description: 'width of the s and t networks' },
        },
      },
      create: (o, ctx) => new BijectionPrior(realNvp(ctx.latentDim, ctx.rng, o.blocks, o.hidden)),
    }),
    defineComponent<Prior, { flows: ComponentSpec[] }>({
      kind: 'prior',
      type: 'flow',
      description: 'A prior from any invertible flows (e.g. MAF), listed in the sampling direction base -> z; densities use their inverses.',
      schema: {
        properties: { flows: componentSlotList('flow', { minItems: 1, description: 'flows in the sampling direction, base -> z' }) },
        required: ['flows'],
      },
      create: async (o, ctx) => {
        const flows = await buildComponentList<Flow>(ctx, 'flow', o.flows, 'flows', { contextDim: 0 });
        const sampling = flows.length === 1 ? flows[0] : new SequentialFlow(flows, 'flow-prior');
        return new BijectionPrior(new InverseFlow(sampling));
      },
    }),
    defineComponent<Flow, { blocks: number; hidden: number }>({
      kind: 'flow',
      type: 'realnvp',
      description: 'RealNVP: affine coupling blocks with alternating masks and tanh-bounded scales.',
      schema: { properties: { blocks: { type: 'integer', minimum: 1, default: 6 }, hidden: { type: 'integer', minimum: 1, default: 64 } } },
      invertible: true,
      create: (o, ctx) => realNvp(ctx.latentDim, ctx.rng, o.blocks, o.hidden),
    }),
  ],
});
export default plugin;
