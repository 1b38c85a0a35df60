import { Type } from '@sinclair/typebox';
import { defineComponent, componentSlotListType, componentSlotType, type OptionsOf } from '../registry/plugin.js';
import type { Decoder, Flow, LatentModel, Posterior, Prior } from '../interfaces.js';
import { VAE } from '../model/vae.js';
import { buildComponentList, buildDataSide } from '../model/build.js';
import { ENCODER, POSTERIOR } from '../registry/tokens.js';

/**
 * The standard model (`"type": "vae"`, the default): likelihood, optional data preprocessing,
 * encoder, posterior head, posterior flows in manifest order, prior and decoder, each a
 * component built through the registry. On a dataset whose rows carry a condition (a one-hot
 * label, `"condition": "label"`), the encoder reads [x, c], the decoder [z, c] and the prior
 * may be conditional (`conditional-gaussian`): the conditional VAE.
 */
/** The options schema of the `vae` model (TypeBox): the source of its JSON schema and of {@link VaeModelOptions}. */
export const VAE_MODEL_SCHEMA = Type.Object({
  latentDim: Type.Integer({ minimum: 1, maximum: 4096, description: 'latent size L' }),
  encoder: componentSlotType('encoder'),
  posterior: Type.Optional(componentSlotType('posterior', { default: { type: 'diagonal-gaussian' } })),
  flows: Type.Optional(componentSlotListType('flow', { description: 'posterior flows, applied in this order after the base posterior' })),
  prior: Type.Optional(componentSlotType('prior', { default: { type: 'standard-normal' } })),
  decoder: componentSlotType('decoder'),
  likelihood: Type.Optional(componentSlotType('likelihood', { default: { type: 'bernoulli' } })),
  preprocessing: Type.Optional(componentSlotListType('flow', { description: 'invertible maps applied to the data first (e.g. logit, actnorm); their log-determinants are counted in log p(x)' })),
});

/** The options of the standard `vae` model, as validated (defaults filled). */
export type VaeModelOptions = OptionsOf<typeof VAE_MODEL_SCHEMA>;

export const vaeModel = defineComponent<LatentModel, VaeModelOptions>({
  kind: 'model',
  type: 'vae',
  description: 'Variational autoencoder: encoder, posterior (optionally with flows), prior, decoder and likelihood.',
  schema: VAE_MODEL_SCHEMA,
  create: async (m, ctx) => {
    const { preprocessing, encoder } = await buildDataSide(ctx, m);
    const withContext = { contextDim: encoder.featureDim };
    const posterior = await ctx.build<Posterior>('posterior', m.posterior, `${ctx.path}/posterior`, withContext);
    const flows = await buildComponentList<Flow>(ctx, 'flow', m.flows, 'flows', withContext);
    ctx.container.register(ENCODER, { useValue: encoder });
    ctx.container.register(POSTERIOR, { useValue: posterior });
    const prior = await ctx.build<Prior>('prior', m.prior, `${ctx.path}/prior`, withContext);
    const C = ctx.conditionDim ?? 0;
    // A conditional decoder reads [z, c].
    const decoder = await ctx.build<Decoder>('decoder', m.decoder, `${ctx.path}/decoder`, { ...withContext, latentDim: m.latentDim + C });
    return new VAE(m.latentDim, encoder, posterior, flows, prior, decoder, preprocessing, C);
  },
});
