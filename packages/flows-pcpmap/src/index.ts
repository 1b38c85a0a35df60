/** @vaeflow/flows-pcpmap — PICNN and the PCP-Map gradient flow. */
export { plugin, plugin as default } from './plugin.js';
export { PICNN, type PicnnEvaluation } from './picnn.js';
export { PcpMapFlow, type PcpMapOptions } from './pcpmap.js';
export { choleskyLogDet, choleskyFactor, choleskyF64, choleskySolve } from './cholesky.js';
export { VERSION } from './version.js';
