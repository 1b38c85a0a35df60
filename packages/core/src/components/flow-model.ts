import { defineComponent, componentSlot, componentSlotList } from '../registry/plugin.js';
import type { Flow, LatentModel, Prior } from '../interfaces.js';
import type { ComponentSpec } from '../registry/plugin.js';
import { FlowModel } from '../model/flow-model.js';
import { buildComponentList } from '../model/build.js';

/** The options of the `flow` model, as validated. */
export interface FlowModelOptions {
  flows: ComponentSpec[];
  base: ComponentSpec;
  preprocessing: ComponentSpec[];
  latentDim?: number;
}

/**
 * `"type": "flow"`: a normalizing flow fitted to the data by maximum likelihood (train with the
 * `nll` objective). Its flows and base act on the data's own size, so `latentDim` is not needed.
 */
export const flowModel = defineComponent<LatentModel, FlowModelOptions>({
  kind: 'model',
  type: 'flow',
  description:
    'Normalizing flow as a density model of the data: base distribution, invertible flows listed in the sampling direction (base -> data), optional preprocessing (e.g. logit); exact log-likelihood.',
  schema: {
    required: ['flows'],
    properties: {
      flows: componentSlotList('flow', { minItems: 1, description: 'invertible flows in the sampling direction, base -> data; densities use their inverses' }),
      base: componentSlot('prior', { default: { type: 'standard-normal' }, description: 'the base distribution (a prior component, e.g. standard-normal or gaussian-mixture)' }),
      preprocessing: componentSlotList('flow', { description: 'invertible maps applied to the data first (e.g. logit); their log-determinants are counted in log p(x)' }),
      latentDim: { type: 'integer', minimum: 1, description: 'optional: the data size, checked (flows act on the data, so it is the latent size)' },
    },
  },
  create: async (m, ctx) => {
    if (m.latentDim !== undefined && m.latentDim !== ctx.inputDim) throw new Error(`a flow model's latent size is the data's (${ctx.inputDim}); latentDim ${m.latentDim} does not match`);
    const onData = { latentDim: ctx.inputDim, contextDim: 0 };
    const preprocessing = await buildComponentList<Flow>(ctx, 'flow', m.preprocessing, 'preprocessing', onData);
    const flows = await buildComponentList<Flow>(ctx, 'flow', m.flows, 'flows', onData);
    const base = await ctx.build<Prior>('prior', m.base, `${ctx.path}/base`, onData);
    return new FlowModel(flows, base, preprocessing);
  },
});
