import { AutoregressiveFlow, MLPCoupling, SequentialFlow, alternatingMask, defineComponent, definePlugin, type BuildContext, type Flow } from '@vaeflow/core';
import { RationalQuadraticSpline } from './spline.js';
import { VERSION } from './version.js';

interface SplineFlowOptions {
  layers: number;
  bins: number;
  bound: number;
  hidden: number[];
  conditional?: boolean;
}
interface AutoregressiveSplineOptions extends SplineFlowOptions {
  direction: 'iaf' | 'maf';
}

const splineProperties = {
  layers: { type: 'integer', minimum: 1, default: 4, description: 'number of spline layers; masks alternate (coupling) or the variable order reverses (autoregressive) between layers' },
  bins: { type: 'integer', minimum: 2, default: 8, description: 'spline bins K' },
  bound: { type: 'number', exclusiveMinimum: 0, default: 3, description: 'the splines act on [-bound, bound]; outside they are the identity' },
  hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, default: [64, 64], description: 'hidden widths of each conditioner (MLP or MADE)' },
  conditional: { type: 'boolean', description: 'feed the context h to the conditioners (default: when the slot has one, as posterior flows do; priors have none)' },
};

/** The context width the flows read: the slot's, unless `conditional: false`; `conditional: true` without one is an error. */
function contextWidth(o: SplineFlowOptions, ctx: BuildContext, type: string): number {
  if (o.conditional === true && !(ctx.contextDim > 0)) throw new Error(`${type} with conditional: true needs an encoder context h, which this slot does not give`);
  return o.conditional === false ? 0 : Math.max(0, ctx.contextDim ?? 0);
}

const spline = (o: SplineFlowOptions) => new RationalQuadraticSpline({ bins: o.bins, bound: o.bound });
const stack = (flows: Flow[], id: string): Flow => (flows.length === 1 ? flows[0] : new SequentialFlow(flows, id));

/** The neural-spline-flow plugin: `nsf-coupling` and `nsf-ar`. */
export const plugin = definePlugin({
  name: '@vaeflow/flows-spline',
  version: VERSION,
  components: [
    defineComponent<Flow, SplineFlowOptions>({
      kind: 'flow',
      type: 'nsf-coupling',
      description: 'Neural spline flow, coupling form (Durkan et al. 2019): rational-quadratic splines on half the coordinates, parameters from an MLP of the other half (and h); fast both ways.',
      schema: { properties: splineProperties },
      invertible: true,
      create: (o, ctx) => {
        const contextDim = contextWidth(o, ctx, 'nsf-coupling');
        const layers = Array.from(
          { length: o.layers },
          (_, k) => new MLPCoupling(ctx.latentDim, ctx.rng, spline(o), alternatingMask(ctx.latentDim, k), { hidden: o.hidden, contextDim, id: 'nsf-coupling' }),
        );
        return stack(layers, 'nsf-coupling');
      },
    }),
    defineComponent<Flow, AutoregressiveSplineOptions>({
      kind: 'flow',
      type: 'nsf-ar',
      description:
        "Neural spline flow, autoregressive form (Durkan et al. 2019): each coordinate's spline from MADE(z_<i, h). direction iaf: one pass to sample (posteriors); maf: one pass for densities (priors).",
      schema: {
        properties: {
          ...splineProperties,
          layers: { ...splineProperties.layers, default: 2 },
          direction: {
            enum: ['iaf', 'maf'],
            default: 'iaf',
            description: 'iaf: sampling takes one MADE pass and the inverse L (posterior flows); maf: the inverse, the density direction, takes one (flow priors)',
          },
        },
      },
      invertible: true,
      create: (o, ctx) => {
        const contextDim = contextWidth(o, ctx, 'nsf-ar');
        const layers = Array.from(
          { length: o.layers },
          (_, k) => new AutoregressiveFlow(ctx.latentDim, ctx.rng, spline(o), { hidden: o.hidden, contextDim, reverse: k % 2 === 1, direction: o.direction, id: 'nsf-ar' }),
        );
        return stack(layers, 'nsf-ar');
      },
    }),
  ],
});
export default plugin;
