import type { BackendRequest } from '../backend/requests.js';
import type { Static } from '@sinclair/typebox';
import type { ComponentSpec, Filled } from '../registry/plugin.js';
import type { TRAINING_SCHEMA } from './schema.js';
import type { VaeModelOptions } from '../components/vae-model.js';

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

/** The manifest's `training` block after validation (every default filled), derived from its schema, {@link TRAINING_SCHEMA}. */
export type TrainingOptions = Filled<Static<typeof TRAINING_SCHEMA>>;

/** The manifest's `model`: a model component spec (type "vae" unless another is named) with its latent size (absent for a flow model, whose latent size is the data's). */
export interface ModelSpec extends ComponentSpec {
  latentDim?: number;
}

/** The options of the standard `vae` model, as validated (defaults filled); derived from its schema. */
export type { VaeModelOptions };

export type VaeModelSpec = VaeModelOptions & { type: 'vae' };
