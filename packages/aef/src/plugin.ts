import {
  buildComponentList,
  buildDataSide,
  componentSlot,
  componentSlotList,
  defineComponent,
  definePlugin,
  type ComponentSpec,
  type Decoder,
  type Flow,
  type LatentModel,
  type Prior,
} from '@vaeflow/core';
import { AEF, type AefCore } from './aef.js';
import { LogitFlow } from './logit.js';
import { VERSION } from './version.js';

interface AefOptions {
  latentDim: number;
  core: AefCore;
  encoder: ComponentSpec;
  decoder: ComponentSpec;
  likelihood: ComponentSpec;
  coreFlows: ComponentSpec[];
  prior: ComponentSpec;
  preprocessing: ComponentSpec[];
  scaleEpsilon: number;
  importanceScale: number;
}

/** The AEF plugin: the `aef` model and the `logit` preprocessing flow. */
export const plugin = definePlugin({
  name: '@vaeflow/aef',
  version: VERSION,
  components: [
    defineComponent<LatentModel, AefOptions>({
      kind: 'model',
      type: 'aef',
      description: 'Autoencoder within flows (Silvestri et al.): a deterministic autoencoder as a bijection, trained by exact likelihood ("objective": { "type": "nll" }).',
      schema: {
        required: ['latentDim', 'encoder', 'decoder'],
        properties: {
          latentDim: { type: 'integer', minimum: 1, maximum: 4096, description: 'latent size L (= number of core variables)' },
          core: {
            enum: ['linear', 'centre', 'corner'],
            default: 'linear',
            description: 'linear: learned features w = h(x) in the expanded space (eq. 9); centre/corner: L pixels of the image as core (eq. 4)',
          },
          encoder: componentSlot('encoder', { description: 'features for g_m and g_s (sees the whole image for linear, the shell for a partition)' }),
          decoder: componentSlot('decoder'),
          likelihood: componentSlot('likelihood', { default: { type: 'gaussian' }, description: 'the residual distribution r (Gaussian with a learned per-pixel scale)' }),
          coreFlows: componentSlotList('flow', {
            description: 'the core encoder n^-1, applied forward (core -> noise); unconditional and invertible, e.g. iaf with "conditional": false; empty: identity',
          }),
          prior: componentSlot('prior', { default: { type: 'standard-normal' }, description: 'p0, e.g. a MAF flow prior; standard normal for the ablation' }),
          preprocessing: componentSlotList('flow', { description: 'data bijections applied first, e.g. [{ "type": "logit" }, { "type": "actnorm" }]; counted in the likelihood' }),
          scaleEpsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-5, description: 'g_s = softplus(.) + scaleEpsilon' },
          importanceScale: {
            type: 'number',
            exclusiveMinimum: 0,
            default: 0.01,
            description: 'linear AEF: std of q(w) for the importance-sampled marginal likelihood; vaeflow eval tunes it on validation data',
          },
        },
      },
      create: async (o, ctx) => {
        const { preprocessing, encoder } = await buildDataSide(ctx, o);
        const coreFlows = await buildComponentList<Flow>(ctx, 'flow', o.coreFlows, 'coreFlows', { contextDim: 0 });
        const prior = await ctx.build<Prior>('prior', o.prior, `${ctx.path}/prior`, { contextDim: 0 });
        const decoder = await ctx.build<Decoder>('decoder', o.decoder, `${ctx.path}/decoder`);
        return new AEF(
          { latentDim: o.latentDim, inputShape: ctx.inputShape, core: o.core, preprocessing, encoder, coreFlows, prior, decoder, scaleEpsilon: o.scaleEpsilon, importanceScale: o.importanceScale },
          ctx.rng,
        );
      },
    }),
    defineComponent<Flow, { alpha: number }>({
      kind: 'flow',
      type: 'logit',
      description: 'Logit preprocessing y = logit(a + (1 - 2a) x) for data in (0, 1), with its log-determinant.',
      schema: { properties: { alpha: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 0.5, default: 1e-6 } } },
      invertible: true,
      create: (o, ctx) => new LogitFlow(ctx.latentDim, o.alpha),
    }),
  ],
});
export default plugin;
