/** @vaeflow/flows-iaf — MADE, IAF, MAF and ActNorm. */
export { plugin, plugin as default } from './plugin.js';
export { MADE, MaskedDense, madeMasks } from './made.js';
export { AutoregressiveTransform, IAFStep, MAFStep, type AutoregressiveForm, type AutoregressiveOptions } from './autoregressive.js';
export { ActNorm } from './actnorm.js';
export { VERSION } from './version.js';
