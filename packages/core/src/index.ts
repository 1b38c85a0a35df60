/**
 * @vaeflow/core — interfaces, plugin registry, manifests, the standard VAE components, the
 * trainer and checkpoints. See the package README for an example.
 */
import 'reflect-metadata';
import './backend/gradients.js';
import './backend/chained-ops.js';

/** The TensorFlow.js core this package runs on. Plugins import `tf` from here, so one copy serves the whole tree. */
export * as tf from '@tensorflow/tfjs-core';

export * from './interfaces.js';
export * from './random.js';
export * from './data.js';
export * from './math.js';
export * from './linalg.js';
export { BaseFlow, SequentialFlow, InverseFlow, NotInvertibleError, FlowShapeError } from './flow.js';
export { Module, ModuleList, ModuleDict, stopGradient, frozenModules } from './nn/module.js';
export { MADE, MaskedDense, madeMasks, type MadeHead } from './nn/made.js';
export { AffineBijection, type ElementwiseBijection, type ParameterGroup, type AffineForm } from './flows/elementwise.js';
export { AutoregressiveFlow, type AutoregressiveFlowOptions } from './flows/autoregressive.js';
export { CouplingFlow, MLPCoupling, alternatingMask, type MLPCouplingOptions } from './flows/coupling.js';
export { Dense, MLP, Conv2D, Conv2DTranspose, activate, fanInUniform, MAX_WEIGHTS_PER_TENSOR, ACTIVATIONS, type Activation } from './nn/layers.js';
export { BACKEND_REQUESTS, type BackendRequest } from './backend/requests.js';
export { selectBackend, nativeKernelsUnavailable, type BackendChoice, type SelectBackendOptions } from './backend/select.js';
export { installWasmKernels, restoreStockWasmKernels, wasmKernelsTuned } from './backend/wasm-kernels.js';
export { ADAM_KERNEL, GLOBAL_NORM_KERNEL, BERNOULLI_LOG_PROB_KERNEL, hasKernel, bernoulliLogProb } from './backend/fused-kernels.js';
export { FusedAdam, createAdam, createOptimizer, setLearningRate, appliesScaledGradients, type ScaledOptimizer, type OptimizerName } from './train/adam.js';
export { learningRateAt, plateauUpdate, DEFAULT_SCHEDULE, type ScheduleOptions, type PlateauState } from './train/schedule.js';
export * from './registry/plugin.js';
export * from './registry/tokens.js';
export { isPlugin } from './registry/components.js';
export { Registry, ComponentRegistry, PluginError, projectRoot, projectRoots, resolvePlugin, type PluginRules } from './registry/registry.js';
export { createRegistry } from './registry/create.js';
export { KNOWN_PROVIDERS } from './registry/known-packages.js';
export * from './manifest/types.js';
export { coreManifestSchema, componentSchema, assembledManifestSchema } from './manifest/schema.js';
export { resolveManifest, checkManifest, validateComponentSpec, ManifestError, suggest, type ManifestIssue } from './manifest/validate.js';
export { loadAndCheckManifest } from './manifest/load.js';
export { manifestDifferences, jsonDifferences, canonicalJson } from './manifest/compare.js';
export { MLPEncoder, ConvEncoder, mlpEncoder, convEncoder } from './components/encoders.js';
export { DiagonalGaussianPosterior, FullCovarianceGaussianPosterior, solveLowerTriangular, diagonalGaussianPosterior, fullCovarianceGaussianPosterior } from './components/posteriors.js';
export { MLPDecoder, ConvDecoder, mlpDecoder, convDecoder } from './components/decoders.js';
export { BernoulliLikelihood, GaussianLikelihood, bernoulliLikelihood, gaussianLikelihood } from './components/likelihoods.js';
export { StandardNormalPrior, standardNormalPrior, GaussianMixturePrior, gaussianMixturePrior } from './components/priors.js';
export { ElboObjective, elboObjective, type ElboOptions } from './components/elbo.js';
export { VAE } from './model/vae.js';
export { flowHealth, firstNonFiniteLayer, type FlowLayerHealth } from './model/flow-health.js';
export { Preprocessing, FlowChain } from './model/preprocessing.js';
export { vaeModel } from './components/vae-model.js';
export { flowModel, type FlowModelOptions } from './components/flow-model.js';
export { FlowModel } from './model/flow-model.js';
export { NllObjective, nllObjective } from './components/nll.js';
export { VampPrior, vampPrior } from './components/vamp-prior.js';
export { ImportanceWeightedObjective, iwaeObjective, type ImportanceWeightedOptions, type GradientEstimator } from './components/iwae.js';
export { buildModel, buildDataset, buildComponent, buildComponentList, buildDataSide, buildFromManifest, checkBuild, buildLoggers, type BuiltModel, type BuildBase } from './model/build.js';
export { train, evaluateSplit, writeSamples, hasEma, EMA_PREFIX, describeSamples, TrainingDivergedError, type TrainerOptions, type TrainResult, type StepProgress } from './train/trainer.js';
export { createTrainStep, type StepOutcome } from './train/step.js';
export { saveCheckpoint, loadCheckpoint, findCheckpoint, disposeCheckpoint, type TrainingState, type CheckpointContents, type NamedTensor } from './train/checkpoint.js';
export { appendMetrics, readMetrics, type MetricsRecord } from './train/metrics-log.js';
export type { TrainingLogger, StepLog } from './train/loggers.js';
export { EpochProgress } from './train/progress.js';
export { imageGridPng, writeImageGrid, scatterPng, type ScatterOptions } from './image/grid.js';
export { UserError, userErrorFromSystem } from './errors.js';
export { writeFileAtomic, removeStaleTemporaries } from './util/files.js';
export { parseJson, JsonSyntaxError } from './util/json.js';
export { claimRunFolder, pidAlive, RUN_LOCK, RUN_ARTEFACTS, LOCK_STALE_MS, type RunFolderClaim } from './train/run-folder.js';
export { corePlugin } from './plugin.js';
export { VERSION } from './version.js';
