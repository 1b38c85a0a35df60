/** @vaeflow/priors-dp — decoupled priors (dpVAE) and flow priors. */
export { plugin, plugin as default } from './plugin.js';
export { AffineCoupling, CouplingNet } from './realnvp.js';
export { BijectionPrior, realNvp } from './priors.js';
export { VERSION } from './version.js';
