import type { Static } from '@sinclair/typebox';
import type { Filled } from '../registry/plugin.js';
import type { TRAINING_SCHEMA } from './schema.js';
import type { VaeModelOptions } from '../components/vae-model.js';

export type { Manifest, ModelSpec } from './schema.js';

/** The manifest's `training` block after validation (every default filled), derived from its schema, {@link TRAINING_SCHEMA}. */
export type TrainingOptions = Filled<Static<typeof TRAINING_SCHEMA>>;

/** The options of the standard `vae` model, as validated (defaults filled); derived from its schema. */
export type { VaeModelOptions };

export type VaeModelSpec = VaeModelOptions & { type: 'vae' };
