import { DATASET, defineComponent, definePlugin, type Dataset, type Objective } from '@vaeflow/core';
import { BetaVaeB, BetaVaeH } from './beta-vae.js';
import { BetaTcVae, type TcPriorTerm } from './tcvae.js';
import { FactorVae } from './factor-vae.js';
import { InfoVae } from './info-vae.js';
import { WaeMmd } from './wae.js';
import { Rae } from './rae.js';
import { VERSION } from './version.js';

/** The regularised objectives of dpVAE's table 1; each works with the standard-normal or the decoupled prior. */
export const plugin = definePlugin({
  name: '@vaeflow/regularizers',
  version: VERSION,
  components: [
    defineComponent<Objective, { beta: number }>({
      kind: 'objective',
      type: 'beta-vae-h',
      description: 'beta-VAE (Higgins et al. 2017): rec + beta KL.',
      schema: { properties: { beta: { type: 'number', minimum: 0, default: 5 } } },
      create: (o) => new BetaVaeH(o.beta),
    }),
    defineComponent<Objective, { gamma: number; capacityMax: number; capacitySteps: number }>({
      kind: 'objective',
      type: 'beta-vae-b',
      description: 'beta-VAE with capacity (Burgess et al. 2018): rec + gamma |KL - C(t)|, C rising linearly to C_max.',
      schema: {
        properties: { gamma: { type: 'number', minimum: 0, default: 15 }, capacityMax: { type: 'number', minimum: 0, default: 25 }, capacitySteps: { type: 'integer', minimum: 1, default: 100000 } },
      },
      create: (o) => new BetaVaeB(o.gamma, o.capacityMax, o.capacitySteps),
    }),
    defineComponent<Objective, { alpha: number; beta: number; gamma: number; priorTerm: TcPriorTerm }>({
      kind: 'objective',
      type: 'beta-tcvae',
      description: 'beta-TCVAE (Chen et al. 2018): rec + alpha MI + beta TC + gamma dim-wise KL, minibatch stratified sampling.',
      schema: {
        properties: {
          alpha: { type: 'number', minimum: 0, default: 1 },
          beta: { type: 'number', minimum: 0, default: 4 },
          gamma: { type: 'number', minimum: 0, default: 150, description: 'weight of the dimension-wise KL (150 in the dpVAE configs)' },
          priorTerm: {
            enum: ['density', 'base'],
            default: 'density',
            description:
              "log p(z) in the dimension-wise term: 'density', the prior's density (exact decomposition; with a learned prior that does not factorise the term can go to -TC, so gamma > beta rewards total correlation), or 'base', log N(g(z)) without the log-determinant for the decoupled prior, as the dpVAE authors' code",
          },
        },
      },
      create: (o, ctx) => new BetaTcVae(o.alpha, o.beta, o.gamma, ctx.container.resolve<Dataset>(DATASET).train.n, o.priorTerm),
    }),
    defineComponent<Objective, { gamma: number; width: number; layers: number; learningRate: number }>({
      kind: 'objective',
      type: 'factor-vae',
      description: 'FactorVAE (Kim & Mnih 2018): rec + KL + gamma TC, TC from a discriminator with its own Adam.',
      schema: {
        properties: {
          gamma: { type: 'number', minimum: 0, default: 1000 },
          width: { type: 'integer', minimum: 1, default: 1000 },
          layers: { type: 'integer', minimum: 1, default: 5 },
          learningRate: { type: 'number', exclusiveMinimum: 0, default: 1e-4 },
        },
      },
      create: (o, ctx) => new FactorVae(o.gamma, ctx.latentDim, o.width, o.layers, o.learningRate, ctx.rng.fork()),
    }),
    defineComponent<Objective, { alpha: number; lambda: number }>({
      kind: 'objective',
      type: 'info-vae',
      description: 'InfoVAE-MMD (Zhao et al. 2019): rec + (1 - alpha) KL + (alpha + lambda - 1) MMD(q(z), p(z)).',
      schema: { properties: { alpha: { type: 'number', default: 0 }, lambda: { type: 'number', minimum: 0, default: 1000 } } },
      create: (o) => new InfoVae(o.alpha, o.lambda),
    }),
    defineComponent<Objective, { lambda: number; scales: number[] }>({
      kind: 'objective',
      type: 'wae-mmd',
      description: 'WAE-MMD (Tolstikhin et al. 2018): rec + lambda MMD^2(q(z), p(z)), unbiased, inverse multiquadratic kernel at several scales.',
      schema: {
        properties: {
          lambda: { type: 'number', minimum: 0, default: 10 },
          scales: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1, default: [0.1, 0.2, 0.5, 1, 2, 5, 10], description: 'kernel scales s: C = 2 d s' },
        },
      },
      create: (o) => new WaeMmd(o.lambda, o.scales),
    }),
    defineComponent<Objective, { beta: number; lambda: number }>({
      kind: 'objective',
      type: 'rae',
      description: 'RAE-L2 (Ghosh et al. 2020): a deterministic autoencoder, -log p(x|E(x)) + beta |E(x)|^2 / 2 + lambda |decoder weights|^2; sample with --ex-post-gmm.',
      schema: {
        properties: {
          beta: { type: 'number', minimum: 0, default: 1e-4, description: 'weight of the code norm' },
          lambda: { type: 'number', minimum: 0, default: 1e-7, description: "weight of the decoder weights' squared norm" },
        },
      },
      create: (o) => new Rae(o.beta, o.lambda),
    }),
  ],
});
export default plugin;
