import { SequentialFlow, defineComponent, definePlugin, type Flow } from '@vaeflow/core';
import { AmortizedPlanarFlow, PlanarFlow, PlanarStack } from './planar.js';
import { AmortizedRadialFlow, RadialFlow } from './radial.js';
import { VERSION } from './version.js';

interface PlanarOptions {
  layers: number;
  initScale: number;
}

const schema = {
  properties: {
    layers: { type: 'integer', minimum: 1, default: 1, description: 'number of stacked layers (K)' },
    initScale: { type: 'number', exclusiveMinimum: 0, default: 0.1, description: 'std of the initial parameters (global) or scale of the parameter map (amortised)' },
  },
};

const stack = <F extends PlanarFlow | AmortizedPlanarFlow>(make: () => F, layers: number): Flow =>
  layers === 1 ? make() : new PlanarStack(Array.from({ length: layers }, make) as PlanarFlow[] | AmortizedPlanarFlow[]);

const sequence = (make: () => Flow, layers: number, id: string): Flow => (layers === 1 ? make() : new SequentialFlow(Array.from({ length: layers }, make), id));

/** Rezende & Mohamed's flows: `planar` and `radial`, with global parameters or `-amortized` from the context h. */
export const plugin = definePlugin({
  name: '@vaeflow/flows-planar',
  version: VERSION,
  components: [
    defineComponent<Flow, PlanarOptions>({
      kind: 'flow',
      type: 'planar',
      description: 'Planar flow z + u_hat tanh(w.z + b) with global parameters (Rezende & Mohamed 2015); not invertible in closed form.',
      schema,
      invertible: false,
      create: (o, ctx) => stack(() => new PlanarFlow(ctx.latentDim, ctx.rng, o.initScale), o.layers),
    }),
    defineComponent<Flow, PlanarOptions>({
      kind: 'flow',
      type: 'planar-amortized',
      description: 'Planar flow whose u, w, b are a linear function of the encoder context h, per data point.',
      schema,
      invertible: false,
      create: (o, ctx) => {
        if (!(ctx.contextDim > 0)) throw new Error('planar-amortized needs an encoder context h');
        return stack(() => new AmortizedPlanarFlow(ctx.latentDim, ctx.contextDim, ctx.rng, o.initScale), o.layers);
      },
    }),
    defineComponent<Flow, PlanarOptions>({
      kind: 'flow',
      type: 'radial',
      description: 'Radial flow z + beta (z - z0) / (alpha + |z - z0|) with global parameters (Rezende & Mohamed 2015); inverted in closed form.',
      schema,
      invertible: true,
      create: (o, ctx) => sequence(() => new RadialFlow(ctx.latentDim, ctx.rng, o.initScale), o.layers, 'radial'),
    }),
    defineComponent<Flow, PlanarOptions>({
      kind: 'flow',
      type: 'radial-amortized',
      description: 'Radial flow whose z0, alpha, beta are a linear function of the encoder context h, per data point.',
      schema,
      invertible: true,
      create: (o, ctx) => {
        if (!(ctx.contextDim > 0)) throw new Error('radial-amortized needs an encoder context h');
        return sequence(() => new AmortizedRadialFlow(ctx.latentDim, ctx.contextDim, ctx.rng, o.initScale), o.layers, 'radial-amortized');
      },
    }),
  ],
});
export default plugin;
