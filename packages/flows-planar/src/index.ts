/** @vaeflow/flows-planar — planar flows, global and amortised. */
export { plugin, plugin as default } from './plugin.js';
export { PlanarFlow, AmortizedPlanarFlow, PlanarStack, planarTransform, correctU } from './planar.js';
export { VERSION } from './version.js';
