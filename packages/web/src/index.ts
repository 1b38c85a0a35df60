/**
 * @vaeflow/web — a trained run as a static page where the model computes live in the browser
 * (TensorFlow.js: WebGL where present, wasm otherwise). `vaeflow export <run>` calls
 * {@link exportPage}; the page's own code is in `page/`, bundled at export time.
 */
export { exportPage, pagePlugins, type ExportInput, type ExportSummary } from './export.js';
export { servePage } from './serve.js';
export { PAGE_FORMAT, type ExportedModel, type ExportedTensor, type ExportedExamples } from './format.js';
export { VERSION } from './version.js';
