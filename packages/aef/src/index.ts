/** @vaeflow/aef — autoencoders within flows (AEF): partition and linear, with logit preprocessing. */
export { plugin, plugin as default } from './plugin.js';
export { AEF, IMPORTANCE_SCALES, MAX_WIDENING, type AefCore, type AefParts } from './aef.js';
export { LogitFlow } from './logit.js';
export { coreIndices, type CorePartition } from './masks.js';
export { VERSION } from './version.js';
