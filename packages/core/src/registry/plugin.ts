import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { DependencyContainer } from 'tsyringe';
import type { Random } from '../random.js';

/** The kinds of component a manifest can name. */
export type ComponentKind = 'dataset' | 'model' | 'encoder' | 'posterior' | 'flow' | 'prior' | 'decoder' | 'likelihood' | 'objective' | 'logger';
export const COMPONENT_KINDS: readonly ComponentKind[] = ['dataset', 'model', 'encoder', 'posterior', 'flow', 'prior', 'decoder', 'likelihood', 'objective', 'logger'];

/** A JSON schema fragment (draft 2020-12 / draft-07 keywords as ajv understands them). */
export type JsonSchema = Record<string, unknown>;

/** The schema marker of a nested component slot; validation and `vaeflow schema` look for it. */
export const SLOT_KIND = 'x-vaeflow-kind';

/**
 * A component slot in a schema, `{ "type": string, ...options }`, whose options are checked
 * against the chosen type's own schema. A component's options may contain slots too (a model
 * names its encoder, a flow prior its flows): validation recurses into them with located paths.
 */
export function componentSlot(kind: ComponentKind, extra: JsonSchema = {}): JsonSchema {
  return {
    type: 'object',
    required: ['type'],
    properties: { type: { type: 'string', description: `${kind} component type` } },
    [SLOT_KIND]: kind,
    ...extra,
  };
}

/** An array of component slots (e.g. a chain of flows), in order. */
export function componentSlotList(kind: ComponentKind, extra: JsonSchema = {}): JsonSchema {
  return { type: 'array', items: componentSlot(kind), default: [], ...extra };
}

/**
 * {@link componentSlot} and {@link componentSlotList} as typed schemas (TypeBox), for options
 * written once as a TypeBox object whose type is derived with {@link OptionsOf}.
 */
export function componentSlotType(kind: ComponentKind, extra: JsonSchema = {}) {
  return Type.Unsafe<ComponentSpec>(componentSlot(kind, extra));
}
export function componentSlotListType(kind: ComponentKind, extra: JsonSchema = {}) {
  return Type.Unsafe<ComponentSpec[]>(componentSlotList(kind, extra));
}

/**
 * A component's options as its factory receives them, from the options schema written once with
 * TypeBox: `defineComponent<Flow, OptionsOf<typeof schema>>({ schema, ... })`. Every property
 * must be required or have a default, since validation fills defaults before the factory runs.
 */
export type OptionsOf<S extends TSchema> = Filled<Static<S>>;

/** A schema's static type after validation filled its defaults: every key present, all the way down (nulls stay). */
export type Filled<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]-?: Filled<T[K]> } : T;

/** A component spec as it appears in a manifest: `{ "type": "...", ...options }`. */
export interface ComponentSpec {
  type: string;
  [option: string]: unknown;
}

/** What a factory receives besides its options. */
export interface BuildContext {
  /** The seeded generator for initialisation; draw from it, never from Math.random. */
  rng: Random;
  /** Latent size L. */
  latentDim: number;
  /** Per-example data shape, e.g. [28, 28, 1] or [2]. */
  inputShape: number[];
  /** Product of inputShape. */
  inputDim: number;
  /** Width of the encoder features h (the context of conditional flows); 0 before the encoder exists. */
  contextDim: number;
  /**
   * Condition columns after the data in each row (a one-hot label), from the dataset; 0 or absent
   * when unconditional. An encoder built with it receives rows [x, c] (`inputDim` counts the data only).
   */
  conditionDim?: number;
  /** JSON pointer of this component in the manifest, for error messages. */
  path: string;
  /** The model's own child container (tsyringe); never the global one. */
  container: DependencyContainer;
  /** Builds a nested component (e.g. a flow used as a prior) through the registry. */
  build<T>(kind: ComponentKind, spec: ComponentSpec, path: string, overrides?: Partial<Omit<BuildContext, 'build'>>): Promise<T>;
}

/**
 * A component a plugin provides. `schema` describes its options (everything in the spec but
 * `type`) as a JSON-schema object with `properties`; unknown keys are rejected unless the
 * schema sets `additionalProperties` itself. Defaults in the schema are filled in.
 */
export interface ComponentDefinition<T = unknown, O = Record<string, unknown>> {
  kind: ComponentKind;
  type: string;
  description: string;
  schema: JsonSchema;
  create(options: O, ctx: BuildContext): T | Promise<T>;
  /** Flows: whether the built flow can be inverted (listed by `vaeflow plugins`). */
  invertible?: boolean;
  /** Options that name files: a relative path is resolved from the manifest's folder, not the working directory. */
  pathOptions?: string[];
  /**
   * Datasets: the shape and kind of the data from the options alone, without loading it, so
   * `vaeflow validate` can build the model and report what `train` would.
   */
  dataShape?(options: O): { inputShape: number[]; valueKind: 'binary' | 'continuous'; conditionDim?: number };
  /**
   * Datasets whose examples are not images: a module (resolved from the plugin's own package,
   * e.g. `@vaeflow/datasets/architecture`) with no Node-only import that exports
   * `pageDescriber = { describe(row, inputShape): string, validity?(row, inputShape): string | null }`;
   * the page `vaeflow export` writes shows examples as its text.
   */
  pageDescriber?: string;
}

/** A plugin: a plain object; importing its package registers nothing by itself. */
export interface Plugin {
  name: string;
  version: string;
  // biome-ignore lint/suspicious/noExplicitAny: each component has its own instance and options types
  components: ComponentDefinition<any, any>[];
}

/** Identity helper that keeps a plugin's component types checked. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

/** Identity helper that types a component's options. */
export function defineComponent<T, O = Record<string, unknown>>(def: ComponentDefinition<T, O>): ComponentDefinition<T, O> {
  return def;
}
