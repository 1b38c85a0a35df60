import { definePlugin } from './registry/plugin.js';
import { convEncoder, mlpEncoder } from './components/encoders.js';
import { diagonalGaussianPosterior, fullCovarianceGaussianPosterior } from './components/posteriors.js';
import { convDecoder, mlpDecoder } from './components/decoders.js';
import { bernoulliLikelihood, gaussianLikelihood } from './components/likelihoods.js';
import { conditionalGaussianPrior, gaussianMixturePrior, standardNormalPrior } from './components/priors.js';
import { elboObjective } from './components/elbo.js';
import { nllObjective } from './components/nll.js';
import { iwaeObjective } from './components/iwae.js';
import { vampPrior } from './components/vamp-prior.js';
import { vaeModel } from './components/vae-model.js';
import { flowModel } from './components/flow-model.js';
import { VERSION } from './version.js';

/** The standard components; every {@link Registry} starts with them. */
export const corePlugin = definePlugin({
  name: '@vaeflow/core',
  version: VERSION,
  components: [
    vaeModel,
    flowModel,
    mlpEncoder,
    convEncoder,
    diagonalGaussianPosterior,
    fullCovarianceGaussianPosterior,
    mlpDecoder,
    convDecoder,
    bernoulliLikelihood,
    gaussianLikelihood,
    standardNormalPrior,
    gaussianMixturePrior,
    conditionalGaussianPrior,
    vampPrior,
    elboObjective,
    iwaeObjective,
    nllObjective,
  ],
});
