import { defineComponent, definePlugin, type Flow } from '@vaeflow/core';
import { PcpMapFlow, type PcpMapOptions } from './pcpmap.js';
import { VERSION } from './version.js';

/** The PCP-Map plugin: flow type `pcpmap`. */
export const plugin = definePlugin({
  name: '@vaeflow/flows-pcpmap',
  version: VERSION,
  components: [
    defineComponent<Flow, PcpMapOptions & { conditional: boolean }>({
      kind: 'flow',
      type: 'pcpmap',
      description: 'PCP-Map (Wang et al. 2023): z = grad_z0 G(z0, h) of a PICNN-based strongly convex potential; exact Hessian log-det by Cholesky; inverse by a Newton solver.',
      schema: {
        properties: {
          hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, default: [128, 128], description: 'PICNN convex-path widths (the authors: width 128, 2 layers)' },
          contextWidth: { type: 'integer', minimum: 1, default: 128 },
          conditional: { type: 'boolean', default: true, description: 'condition the potential on the encoder context h' },
          g1: { type: 'number', default: 0 },
          g2: { type: 'number', default: 0.1 },
          g3: { type: 'number', default: 0.1 },
          inverseTolerance: { type: 'number', exclusiveMinimum: 0, default: 1e-5 },
          inverseIterations: { type: 'integer', minimum: 1, default: 50 },
        },
      },
      invertible: true,
      create: (o, ctx) => {
        const contextDim = o.conditional ? ctx.contextDim : 0;
        if (o.conditional && !(contextDim > 0)) throw new Error('pcpmap with conditional: true needs an encoder context h');
        return new PcpMapFlow(ctx.latentDim, contextDim, ctx.rng, o);
      },
    }),
  ],
});
export default plugin;
