/**
 * @vaeflow/core — interfaces, plugin registry, manifests, the standard VAE components, the
 * trainer and checkpoints. See the package README for an example. Everything a browser can run
 * is in `./browser.js` (published as `@vaeflow/core/browser`); this entry adds what needs Node:
 * backend selection, plugin loading, the trainer, checkpoints, files and images.
 */
export * from './browser.js';
export { backendNumerics, selectBackend, nativeKernelsUnavailable, type BackendChoice, type SelectBackendOptions } from './backend/select.js';
export { installWasmKernels, restoreStockWasmKernels, wasmKernelsTuned } from './backend/wasm-kernels.js';
export { Registry, projectRoot, projectRoots, resolvePlugin, type PluginRules } from './registry/registry.js';
export { createRegistry } from './registry/create.js';
export { loadAndCheckManifest } from './manifest/load.js';
export { train, evaluateSplit, writeSamples, hasEma, EMA_PREFIX, describeSamples, TrainingDivergedError, type TrainerOptions, type TrainResult, type StepProgress } from './train/trainer.js';
export { createTrainStep, type StepOutcome } from './train/step.js';
export { saveCheckpoint, loadCheckpoint, findCheckpoint, disposeCheckpoint, type TrainingState, type CheckpointContents, type NamedTensor } from './train/checkpoint.js';
export { appendMetrics, readJsonLines, readMetrics, type MetricsRecord } from './train/metrics-log.js';
export { EpochProgress } from './train/progress.js';
export { imageGridPng, writeImageGrid, scatterPng, type ScatterOptions } from './image/grid.js';
export { writeFileAtomic, removeStaleTemporaries } from './util/files.js';
export { parseJson, JsonSyntaxError } from './util/json.js';
export { claimRunFolder, RUN_LOCK, RUN_ARTEFACTS, type RunFolderClaim } from './train/run-folder.js';
export { pidAlive, lockHolder, tryLock, LOCK_STALE_MS, HEARTBEAT_MS, type HeldLock, type LockOwner } from './util/lock-file.js';
