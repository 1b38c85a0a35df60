/** tsyringe tokens. Components are registered under COMPONENT; plugins under PLUGIN. */
export const COMPONENT = Symbol.for('vaeflow.component');
export const PLUGIN = Symbol.for('vaeflow.plugin');
/** Per-model services registered in a model's child container. */
export const RANDOM = Symbol.for('vaeflow.random');
export const MANIFEST = Symbol.for('vaeflow.manifest');
/** The model's likelihood family, registered before the decoder is built (the decoder sizes its output from it). */
export const LIKELIHOOD = Symbol.for('vaeflow.likelihood');
/** The model's dataset, registered before the networks are built. */
export const DATASET = Symbol.for('vaeflow.dataset');
/** The VAE's encoder and base posterior, registered before its prior is built (the VampPrior reads them). */
export const ENCODER = Symbol.for('vaeflow.encoder');
export const POSTERIOR = Symbol.for('vaeflow.posterior');
