/**
 * @vaeflow/core/browser — the part of core a web page needs to build and run a trained model:
 * interfaces, components, flows, priors, the component registry and manifests, with no
 * Node-only import (no files, no plugin loading by name, no trainer). `vaeflow export` bundles
 * it, in place of `@vaeflow/core`, with the run's plugins; Node code uses `@vaeflow/core`.
 */
import 'reflect-metadata';
import './backend/gradients.js';
import './backend/chained-ops.js';

/** The TensorFlow.js core this package runs on. Plugins import `tf` from here, so one copy serves the whole tree. */
export * as tf from '@tensorflow/tfjs-core';

export * from './interfaces.js';
export { BACKEND_REQUESTS, type BackendRequest } from './backend/requests.js';
export * from './random.js';
export * from './data.js';
export * from './math.js';
export * from './linalg.js';
export { BaseFlow, SequentialFlow, InverseFlow, NotInvertibleError, FlowShapeError, forwardRepeated } from './flow.js';
export { Module, ModuleList, ModuleDict, stopGradient, frozenModules } from './nn/module.js';
export { MADE, MaskedDense, madeMasks, type MadeHead } from './nn/made.js';
export { actNormInitialValues } from './nn/actnorm-init.js';
export { AffineBijection, type ElementwiseBijection, type ParameterGroup, type AffineForm } from './flows/elementwise.js';
export { AutoregressiveFlow, type AutoregressiveFlowOptions } from './flows/autoregressive.js';
export { CouplingFlow, MLPCoupling, alternatingMask, type MLPCouplingOptions } from './flows/coupling.js';
export { Dense, MLP, Conv2D, Conv2DTranspose, activate, leakyRelu, fanInUniform, MAX_WEIGHTS_PER_TENSOR, ACTIVATIONS, type Activation } from './nn/layers.js';
export {
  ADAM_KERNEL,
  GLOBAL_NORM_KERNEL,
  BERNOULLI_LOG_PROB_KERNEL,
  BJORCK_KERNEL,
  BJORCK_GRAD_KERNEL,
  RQ_SPLINE_KERNEL,
  RQ_SPLINE_GRAD_KERNEL,
  RQ_SPLINE_MAX_BINS,
  MLP_KERNEL,
  MLP_GRAD_KERNEL,
  AFFINE_COUPLING_KERNEL,
  AFFINE_COUPLING_GRAD_KERNEL,
  fusedAffineCoupling,
  hasKernel,
  bernoulliLogProb,
  bjorckOrthogonalise,
  fusedRQSpline,
  fusedMLP,
  type FusedMLPActivation,
  type FusedMLPAttrs,
  type BjorckOptions,
  type RQSplineAttrs,
} from './backend/fused-kernels.js';
export { FusedAdam, createAdam, createOptimizer, setLearningRate, appliesScaledGradients, type ScaledOptimizer, type OptimizerName } from './train/adam.js';
export { learningRateAt, plateauUpdate, DEFAULT_SCHEDULE, type ScheduleOptions, type PlateauState } from './train/schedule.js';
export * from './registry/plugin.js';
export * from './registry/tokens.js';
export { ComponentRegistry, PluginError, isPlugin, pluginOfModule } from './registry/components.js';
export { KNOWN_PROVIDERS } from './registry/known-packages.js';
export * from './manifest/types.js';
export { coreManifestSchema, componentSchema, assembledManifestSchema, MANIFEST_FILLED, MANIFEST_FREE, MANIFEST_SCHEMA, TRAINING_SCHEMA } from './manifest/schema.js';
export { resolveManifest, checkManifest, validateComponentSpec, ManifestError, suggest, type ManifestIssue } from './manifest/validate.js';
export { manifestDifferences, jsonDifferences, canonicalJson } from './manifest/compare.js';
export { MLPEncoder, ConvEncoder, mlpEncoder, convEncoder } from './components/encoders.js';
export { DiagonalGaussianPosterior, FullCovarianceGaussianPosterior, solveLowerTriangular, diagonalGaussianPosterior, fullCovarianceGaussianPosterior } from './components/posteriors.js';
export { MLPDecoder, ConvDecoder, mlpDecoder, convDecoder } from './components/decoders.js';
export { BernoulliLikelihood, GaussianLikelihood, bernoulliLikelihood, gaussianLikelihood } from './components/likelihoods.js';
export { StandardNormalPrior, standardNormalPrior, GaussianMixturePrior, gaussianMixturePrior, ConditionalGaussianPrior, conditionalGaussianPrior } from './components/priors.js';
export { ElboObjective, elboObjective, type ElboOptions } from './components/elbo.js';
export { VAE } from './model/vae.js';
export { checkWarnings, flowHealth, firstNonFiniteLayer, mergeCheckSummaries, type FlowCheckSummary, type FlowLayerHealth } from './model/flow-health.js';
export { Preprocessing, FlowChain } from './model/preprocessing.js';
export { vaeModel, VAE_MODEL_SCHEMA } from './components/vae-model.js';
export { flowModel, type FlowModelOptions } from './components/flow-model.js';
export { FlowModel } from './model/flow-model.js';
export { NllObjective, nllObjective } from './components/nll.js';
export { VampPrior, vampPrior } from './components/vamp-prior.js';
export { ImportanceWeightedObjective, iwaeObjective, type ImportanceWeightedOptions, type GradientEstimator } from './components/iwae.js';
export { buildModel, buildDataset, buildComponent, buildComponentList, buildDataSide, buildFromManifest, checkBuild, buildLoggers, type BuiltModel, type BuildBase } from './model/build.js';
export type { TrainingLogger, StepLog } from './train/loggers.js';
export { UserError, userErrorFromSystem, userErrorFromWasmHeap } from './errors.js';
import { corePlugin } from './plugin.js';
import { ComponentRegistry } from './registry/components.js';
import type { Plugin } from './registry/plugin.js';
export { corePlugin };
export { VERSION } from './version.js';

/** A component registry holding the core components plus the given plugins (the browser's `createRegistry`). */
export function createComponentRegistry(...plugins: Plugin[]): ComponentRegistry {
  const r = new ComponentRegistry().use(corePlugin);
  for (const p of plugins) r.use(p);
  return r;
}
