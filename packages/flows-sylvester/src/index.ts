/** @vaeflow/flows-sylvester — Sylvester normalizing flows (orthogonal, Householder, triangular). */
export { plugin, plugin as default } from './plugin.js';
export { SylvesterFlow, type SylvesterOptions, type SylvesterVariant } from './sylvester.js';
export { VERSION } from './version.js';
