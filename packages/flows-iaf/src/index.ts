/** @vaeflow/flows-iaf — IAF, MAF and ActNorm (MADE and the autoregressive shell live in @vaeflow/core). */
export { plugin, plugin as default } from './plugin.js';
export { MADE, MaskedDense, madeMasks } from '@vaeflow/core';
export { IAFStep, MAFStep, type AutoregressiveForm, type AutoregressiveOptions } from './autoregressive.js';
export { ActNorm } from './actnorm.js';
export { VERSION } from './version.js';
