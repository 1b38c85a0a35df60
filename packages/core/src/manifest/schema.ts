import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { SLOT_KIND, componentSlotListType, componentSlotType, type ComponentDefinition, type ComponentKind, type ComponentSpec, type Filled, type JsonSchema } from '../registry/plugin.js';
import type { BackendRequest } from '../backend/requests.js';
import type { ComponentRegistry as Registry } from '../registry/components.js';
import { BACKEND_REQUESTS } from '../backend/requests.js';

/**
 * A nullable value, written as JSON Schema's `type: [t, "null"]` (not an anyOf, so the schema
 * and ajv's messages stay those of the value's own type); its static type is the value's or null.
 */
function Nullable<T extends TSchema>(schema: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'], ...options });
}

/**
 * The manifest's `training` block: the one source of its JSON schema (editors, validation) and of
 * its TypeScript type ({@link TrainingOptions}). Every property has a default, so after
 * validation every key is present.
 */
export const TRAINING_SCHEMA = Type.Object(
  {
    epochs: Type.Optional(Type.Integer({ minimum: 1, default: 10 })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, default: 128 })),
    learningRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1e-3 })),
    adam: Type.Optional(
      Type.Object(
        {
          beta1: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.9 })),
          beta2: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.999 })),
          epsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1e-8 })),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    optimizer: Type.Optional(
      Type.Unsafe<'adam' | 'adamw' | 'sgd' | 'rmsprop'>({
        enum: ['adam', 'adamw', 'sgd', 'rmsprop'],
        default: 'adam',
        description: 'adam; adamw (Adam with decoupled weight decay); sgd (with momentum); rmsprop',
      }),
    ),
    momentum: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'sgd and rmsprop: momentum (0: plain SGD)' })),
    weightDecay: Type.Optional(Type.Number({ minimum: 0, default: 0.01, description: 'adamw: decoupled weight decay lambda, x <- x - lr lambda x each step' })),
    schedule: Type.Optional(
      Type.Object(
        {
          warmupSteps: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'linear warm-up from learningRate / warmupSteps over the first steps' })),
          decay: Type.Optional(
            Type.Unsafe<'none' | 'step' | 'cosine' | 'plateau'>({
              enum: ['none', 'step', 'cosine', 'plateau'],
              default: 'none',
              description: 'none; step (x factor every stepEvery steps); cosine (to minLearningRate at the last step); plateau (x factor after patience epochs without a validation improvement)',
            }),
          ),
          factor: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5, description: 'step and plateau: the multiplier' })),
          stepEvery: Type.Optional(Type.Integer({ minimum: 1, default: 10000, description: 'step: optimisation steps between decays' })),
          patience: Type.Optional(Type.Integer({ minimum: 1, default: 5, description: 'plateau: epochs without improvement before a decay' })),
          minLearningRate: Type.Optional(Type.Number({ minimum: 0, default: 0, description: 'the floor of every decay (cosine ends there)' })),
        },
        { additionalProperties: false, default: {}, description: 'learning-rate schedule: optional linear warm-up, then a decay' },
      ),
    ),
    ema: Type.Optional(
      Nullable(Type.Object({ decay: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.999 })) }, { additionalProperties: false }), {
        default: null,
        description: 'an exponential moving average of the weights, w_ema <- decay w_ema + (1 - decay) w after every step, used for validation, test, samples and by eval (null: off)',
      }),
    ),
    clipNorm: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0 }), { default: 200, description: 'clip gradients to this global L2 norm; null disables' })),
    evalBatchSize: Type.Optional(Type.Integer({ minimum: 1, default: 500 })),
    earlyStopping: Type.Optional(
      Nullable(Type.Object({ patience: Type.Optional(Type.Integer({ minimum: 1, default: 5 })), minDelta: Type.Optional(Type.Number({ minimum: 0, default: 0 })) }, { additionalProperties: false }), {
        default: null,
      }),
    ),
    maxBadSteps: Type.Optional(Type.Integer({ minimum: 1, default: 20, description: 'consecutive steps with a non-finite loss or gradient before training stops' })),
    samples: Type.Optional(Type.Integer({ minimum: 0, default: 64, description: 'size of the sample grid written each epoch (0: none)' })),
    stepsPerEpoch: Type.Optional(Nullable(Type.Integer({ minimum: 1 }), { default: null, description: 'cap on optimisation steps per epoch (for quick runs)' })),
    usageEvery: Type.Optional(
      Nullable(Type.Integer({ minimum: 1 }), {
        default: null,
        description:
          "every N epochs, measure latent usage on the first usageExamples validation examples with @vaeflow/metrics: KL per latent dimension and, for diagonal posteriors without flows, I(x; z) and the aggregate posterior's KL (ELBO surgery); scalars go in the val line of metrics.jsonl, everything in latent-usage.jsonl (null: off)",
      }),
    ),
    usageExamples: Type.Optional(Type.Integer({ minimum: 2, default: 1000, description: 'validation examples latent usage is measured on (ELBO surgery costs O(n^2))' })),
    flowHealthEvery: Type.Optional(
      Nullable(Type.Integer({ minimum: 1 }), {
        default: null,
        description:
          "every N optimisation steps, write each flow layer's log-det mean and spread, finiteness and inverse round-trip error to flow-health.jsonl (a VAE's posterior flows; a flow model's flows from data to base) (null: off); a non-finite step names the first flow layer that went non-finite either way",
      }),
    ),
  },
  { additionalProperties: false, default: {} },
);

/** Top-level keys without a default: absent in the manifest, absent after validation. */
export const MANIFEST_FREE = {
  $schema: Type.Optional(Type.String()),
  name: Type.Optional(
    Type.String({
      pattern: '^(?!\\.+$)[A-Za-z0-9._-]+$',
      maxLength: 200,
      description: 'run name; the default output folder is runs/<name> (letters, digits, . _ -; not "." or "..", so it cannot leave runs/)',
    }),
  ),
  description: Type.Optional(Type.String()),
};

/** Top-level keys validation requires or fills with their defaults, all the way down. */
export const MANIFEST_FILLED = {
  plugins: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'packages or relative paths of plugins this manifest uses' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  backend: Type.Optional(Type.Unsafe<BackendRequest>({ enum: [...BACKEND_REQUESTS], default: 'auto' })),
  data: componentSlotType('dataset'),
  objective: Type.Optional(componentSlotType('objective', { default: { type: 'elbo' } })),
  loggers: Type.Optional(componentSlotListType('logger', { description: 'where training is also logged (e.g. { "type": "tensorboard" } from @vaeflow/tensorboard); metrics.jsonl is always written' })),
  training: Type.Optional(TRAINING_SCHEMA),
};

/** The manifest's `model`: a model component spec (type "vae" unless another is named) with its latent size (absent for a flow model, whose latent size is the data's). */
export interface ModelSpec extends ComponentSpec {
  latentDim?: number;
}

const MODEL_SLOT = Type.Unsafe<ModelSpec>({
  type: 'object',
  properties: {
    type: { type: 'string', default: 'vae', description: 'model component type: "vae" (the default), "flow", or one a plugin provides, e.g. "aef"' },
    latentDim: { type: 'integer', minimum: 1, maximum: 4096, description: 'latent size L (required by the models that have a latent space of their own: vae, aef)' },
  },
  [SLOT_KIND]: 'model',
  description: "the model: its options are checked against the chosen model type's schema",
});

/**
 * The core manifest schema, the one source of the {@link Manifest} type. Component slots are
 * open here; their options are checked against each registered component's own schema (see
 * {@link componentSchema}).
 */
export const MANIFEST_SCHEMA = Type.Object(
  {
    ...MANIFEST_FREE,
    plugins: MANIFEST_FILLED.plugins,
    seed: MANIFEST_FILLED.seed,
    backend: MANIFEST_FILLED.backend,
    data: MANIFEST_FILLED.data,
    model: MODEL_SLOT,
    objective: MANIFEST_FILLED.objective,
    loggers: MANIFEST_FILLED.loggers,
    training: MANIFEST_FILLED.training,
  },
  { title: 'vaeflow model manifest', additionalProperties: false },
);

/** A manifest after validation, with every default filled in (derived from {@link MANIFEST_SCHEMA}). */
export type Manifest = Static<TObject<typeof MANIFEST_FREE>> & Filled<Static<TObject<typeof MANIFEST_FILLED>>> & { model: ModelSpec };

/** The core manifest schema as plain JSON Schema (see {@link MANIFEST_SCHEMA}). */
export function coreManifestSchema(): JsonSchema {
  return MANIFEST_SCHEMA;
}

/** The options schema of one component, closed against unknown keys unless it says otherwise. */
export function componentSchema(def: ComponentDefinition): JsonSchema {
  const s = def.schema ?? {};
  return {
    ...s,
    type: 'object',
    properties: { type: { const: def.type }, ...((s.properties as JsonSchema) ?? {}) },
    required: ['type', ...((s.required as string[]) ?? [])],
    additionalProperties: s.additionalProperties ?? false,
    description: def.description,
  };
}

/**
 * The whole manifest schema for what is installed now (for `vaeflow schema` and editors):
 * each component slot lists the registered types and applies the chosen type's schema.
 */
export function assembledManifestSchema(registry: Registry): JsonSchema {
  const schema = coreManifestSchema();
  const fill = (slot: JsonSchema): JsonSchema => {
    const kind = slot[SLOT_KIND] as ComponentKind;
    const defs = registry.components(kind);
    const { [SLOT_KIND]: _k, ...rest } = slot;
    // A slot whose type has a default (the model's "vae") applies that type's schema when "type" is absent.
    const fallback = ((rest.properties as JsonSchema | undefined)?.type as JsonSchema | undefined)?.default;
    const when = (type: string): JsonSchema => (type === fallback ? { properties: { type: { const: type } } } : { required: ['type'], properties: { type: { const: type } } });
    return {
      ...rest,
      // With nothing installed for this kind, no type is valid (an empty enum is not a valid schema).
      properties: {
        type: defs.length
          ? { enum: defs.map((d) => d.type), description: `${kind} type`, ...(fallback !== undefined ? { default: fallback } : {}) }
          : { not: {}, description: `no ${kind} components are installed` },
      },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keywords
      ...(defs.length ? { allOf: defs.map((d) => ({ if: when(d.type), then: walk(d.type === fallback ? withoutRequiredType(componentSchema(d)) : componentSchema(d)) })) } : {}),
    };
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      const obj = node as JsonSchema;
      if (obj[SLOT_KIND]) return fill(obj);
      return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  return walk(schema) as JsonSchema;
}

/** A component schema that lets "type" be omitted (for the slot's default type). */
function withoutRequiredType(schema: JsonSchema): JsonSchema {
  return { ...schema, required: ((schema.required as string[]) ?? []).filter((k) => k !== 'type') };
}
