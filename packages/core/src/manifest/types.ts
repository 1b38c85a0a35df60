import type { BackendRequest } from '../backend/requests.js';
import type { ComponentSpec } from '../registry/plugin.js';

/** A manifest after validation, with every default filled in. */
export interface Manifest {
  $schema?: string;
  name?: string;
  description?: string;
  plugins: string[];
  seed: number;
  backend: BackendRequest;
  data: ComponentSpec;
  model: ModelSpec;
  objective: ComponentSpec;
  /** loggers beside metrics.jsonl (TensorBoard, or a plugin's) */
  loggers: ComponentSpec[];
  training: TrainingOptions;
}

export interface TrainingOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  adam: { beta1: number; beta2: number; epsilon: number };
  optimizer: 'adam' | 'adamw' | 'sgd' | 'rmsprop';
  momentum: number;
  weightDecay: number;
  ema: { decay: number } | null;
  schedule: { warmupSteps: number; decay: 'none' | 'step' | 'cosine' | 'plateau'; factor: number; stepEvery: number; patience: number; minLearningRate: number };
  clipNorm: number | null;
  evalBatchSize: number;
  earlyStopping: { patience: number; minDelta: number } | null;
  maxBadSteps: number;
  samples: number;
  stepsPerEpoch: number | null;
  flowHealthEvery: number | null;
  usageEvery: number | null;
  usageExamples: number;
}

/** The manifest's `model`: a model component spec (type "vae" unless another is named) with its latent size (absent for a flow model, whose latent size is the data's). */
export interface ModelSpec extends ComponentSpec {
  latentDim?: number;
}

/** The options of the standard `vae` model, as validated (defaults filled). */
export interface VaeModelOptions {
  latentDim: number;
  encoder: ComponentSpec;
  posterior: ComponentSpec;
  flows: ComponentSpec[];
  prior: ComponentSpec;
  decoder: ComponentSpec;
  likelihood: ComponentSpec;
  preprocessing: ComponentSpec[];
}

export type VaeModelSpec = VaeModelOptions & { type: 'vae' };
