/** @vaeflow/flows-spline — neural spline flows (rational-quadratic splines, coupling and autoregressive). */
export { plugin, plugin as default } from './plugin.js';
export { RationalQuadraticSpline, type SplineOptions } from './spline.js';
export { VERSION } from './version.js';
