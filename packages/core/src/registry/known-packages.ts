import type { ComponentKind } from './plugin.js';

/**
 * Which first-party package provides a component type, so that an unknown type can name the
 * package to install. Third-party types are not listed; their error lists what is installed.
 */
export const KNOWN_PROVIDERS: Partial<Record<ComponentKind, Record<string, string>>> = {
  dataset: {
    mnist: '@vaeflow/datasets',
    'fashion-mnist': '@vaeflow/datasets',
    'two-moons': '@vaeflow/datasets',
    rings: '@vaeflow/datasets',
    checkerboard: '@vaeflow/datasets',
    'arch-seq': '@vaeflow/datasets',
  },
  model: { aef: '@vaeflow/aef' },
  flow: {
    logit: '@vaeflow/aef',
    planar: '@vaeflow/flows-planar',
    'planar-amortized': '@vaeflow/flows-planar',
    radial: '@vaeflow/flows-planar',
    'radial-amortized': '@vaeflow/flows-planar',
    iaf: '@vaeflow/flows-iaf',
    maf: '@vaeflow/flows-iaf',
    actnorm: '@vaeflow/flows-iaf',
    pcpmap: '@vaeflow/flows-pcpmap',
    realnvp: '@vaeflow/priors-dp',
    'nsf-coupling': '@vaeflow/flows-spline',
    'nsf-ar': '@vaeflow/flows-spline',
    sylvester: '@vaeflow/flows-sylvester',
    glow: '@vaeflow/flows-glow',
  },
  prior: { decoupled: '@vaeflow/priors-dp', flow: '@vaeflow/priors-dp' },
  objective: {
    'beta-vae-h': '@vaeflow/regularizers',
    'beta-vae-b': '@vaeflow/regularizers',
    'beta-tcvae': '@vaeflow/regularizers',
    'factor-vae': '@vaeflow/regularizers',
    'info-vae': '@vaeflow/regularizers',
    'wae-mmd': '@vaeflow/regularizers',
    rae: '@vaeflow/regularizers',
  },
  decoder: { lstm: '@vaeflow/sequence' },
  logger: { tensorboard: '@vaeflow/tensorboard' },
};
