/** @vaeflow/regularizers — beta-VAE-H/B, beta-TCVAE, FactorVAE, InfoVAE-MMD, WAE-MMD and RAE objectives. */
export { plugin, plugin as default } from './plugin.js';
export { BetaVaeH, BetaVaeB } from './beta-vae.js';
export { BetaTcVae, tcDecomposition, stratifiedLogWeights, type TcDecomposition, type TcPriorTerm } from './tcvae.js';
export { FactorVae, Discriminator, permuteDims } from './factor-vae.js';
export { InfoVae, infoVaeKernel, mmd } from './info-vae.js';
export { WaeMmd, imqKernel, mmdUnbiased } from './wae.js';
export { Rae } from './rae.js';
export { VERSION } from './version.js';
