/** @vaeflow/flows-planar — Rezende & Mohamed's planar and radial flows, global and amortised. */
export { plugin, plugin as default } from './plugin.js';
export { PlanarFlow, AmortizedPlanarFlow, PlanarStack, planarTransform, correctU } from './planar.js';
export { planarLayers } from './planar-kernel.js';
export { RadialFlow, AmortizedRadialFlow, radialTransform, radialInverse } from './radial.js';
export { VERSION } from './version.js';
