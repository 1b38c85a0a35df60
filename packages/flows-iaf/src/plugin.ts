import { SequentialFlow, defineComponent, definePlugin, type BuildContext, type Flow } from '@vaeflow/core';
import { ActNorm } from './actnorm.js';
import { IAFStep, MAFStep, type AutoregressiveForm } from './autoregressive.js';
import { VERSION } from './version.js';

interface StackOptions {
  steps: number;
  hidden: number[];
  form: AutoregressiveForm;
  gateBias: number;
  conditional: boolean;
  actnorm: boolean;
}

const stackSchema = (conditionalDefault: boolean) => ({
  properties: {
    steps: { type: 'integer', minimum: 1, default: 2, description: 'number of autoregressive steps; the variable order is reversed between steps' },
    hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, default: [256, 256], description: 'MADE hidden layer widths' },
    form: { enum: ['gated', 'affine'], default: 'gated', description: 'gated: sigma z + (1 - sigma) m (IAF paper); affine: m + exp(s) z (the poster)' },
    gateBias: { type: 'number', default: 2, description: 'initial bias of s, so the gate sigmoid(s) starts near 1' },
    conditional: { type: 'boolean', default: conditionalDefault, description: 'feed the encoder context h to every MADE' },
    actnorm: { type: 'boolean', default: false, description: 'ActNorm (data-dependent init) after every step' },
  },
});

function stack(o: StackOptions, ctx: BuildContext, make: (reverse: boolean, contextDim: number) => Flow, id: string): Flow {
  const contextDim = o.conditional ? ctx.contextDim : 0;
  if (o.conditional && !(contextDim > 0)) throw new Error(`${id} with conditional: true needs an encoder context h`);
  const flows: Flow[] = [];
  for (let t = 0; t < o.steps; t++) {
    flows.push(make(t % 2 === 1, contextDim));
    if (o.actnorm) flows.push(new ActNorm(ctx.latentDim));
  }
  return flows.length === 1 ? flows[0] : new SequentialFlow(flows, id);
}

/** The autoregressive-flow plugin: `iaf`, `maf` and `actnorm`. */
export const plugin = definePlugin({
  name: '@vaeflow/flows-iaf',
  version: VERSION,
  components: [
    defineComponent<Flow, StackOptions>({
      kind: 'flow',
      type: 'iaf',
      description: 'Inverse autoregressive flow (Kingma et al. 2016): MADE steps conditioned on h, fast forward, L-pass inverse.',
      schema: stackSchema(true),
      invertible: true,
      create: (o, ctx) => stack(o, ctx, (reverse, contextDim) => new IAFStep(ctx.latentDim, ctx.rng, { ...o, reverse, contextDim }), 'iaf'),
    }),
    defineComponent<Flow, StackOptions>({
      kind: 'flow',
      type: 'maf',
      description: 'Masked autoregressive flow (Papamakarios et al. 2017), the inverse of IAF: fast inverse (density), L-pass forward (sampling).',
      schema: stackSchema(false),
      invertible: true,
      create: (o, ctx) => stack(o, ctx, (reverse, contextDim) => new MAFStep(ctx.latentDim, ctx.rng, { ...o, reverse, contextDim }), 'maf'),
    }),
    defineComponent<Flow, Record<string, never>>({
      kind: 'flow',
      type: 'actnorm',
      description: 'ActNorm: per-dimension scale and shift with data-dependent initialisation (Kingma & Dhariwal 2018).',
      schema: { properties: {} },
      invertible: true,
      create: (_o, ctx) => new ActNorm(ctx.latentDim),
    }),
  ],
});
export default plugin;
