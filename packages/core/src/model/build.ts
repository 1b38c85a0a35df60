import type { DependencyContainer } from 'tsyringe';
import type { Dataset } from '../data.js';
import { inputDimOf } from '../data.js';
import type { Encoder, Flow, LatentModel, LikelihoodModel, Objective } from '../interfaces.js';
import type { Manifest } from '../manifest/types.js';
import { ManifestError, validateComponentSpec, type ManifestIssue } from '../manifest/validate.js';
import type { BuildContext, ComponentKind, ComponentSpec } from '../registry/plugin.js';
import type { ComponentRegistry as Registry } from '../registry/components.js';
import { DATASET, LIKELIHOOD, RANDOM } from '../registry/tokens.js';
import { Random } from '../random.js';
import { UserError } from '../errors.js';
import type { TrainingLogger } from '../train/loggers.js';

/** What building a component needs besides its spec: the build context without `build` and `path`. */
export type BuildBase = Omit<BuildContext, 'build' | 'path'>;

/** Builds one component through the registry: options validated (defaults filled), factory called, errors located. */
export async function buildComponent<T>(registry: Registry, kind: ComponentKind, spec: ComponentSpec, path: string, base: BuildBase): Promise<T> {
  const { spec: resolved, issues } = validateComponentSpec(registry, kind, spec, path);
  if (issues.length) throw new ManifestError(issues);
  const def = registry.get(kind, resolved.type)!;
  const { type: _t, ...options } = resolved;
  const ctx: BuildContext = {
    ...base,
    path,
    build: (k, s, p, overrides = {}) => buildComponent(registry, k, s, p, { ...base, ...overrides }),
  };
  try {
    return (await def.create(options, ctx)) as T;
  } catch (e) {
    // A problem with the data or the machine (a damaged file) is not a problem of the manifest.
    if (e instanceof ManifestError || e instanceof UserError) throw e;
    throw new ManifestError([{ path, message: `${kind} "${resolved.type}" could not be built: ${(e as Error).message}` }]);
  }
}

/**
 * Builds a list of component specs found at `<ctx.path>/<key>` (e.g. a model's `flows`), in
 * order, each located as `<ctx.path>/<key>/<i>`, with `overrides` for the nested context.
 */
export async function buildComponentList<T>(ctx: BuildContext, kind: ComponentKind, specs: ComponentSpec[], key: string, overrides: Partial<Omit<BuildContext, 'build'>> = {}): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < specs.length; i++) out.push(await ctx.build<T>(kind, specs[i], `${ctx.path}/${key}/${i}`, overrides));
  return out;
}

/**
 * The data side of an autoencoder-shaped model, built in this order (which fixes the draws from
 * the initialisation generator): the `preprocessing` flows in data space, the `likelihood`
 * (registered as LIKELIHOOD, from which the decoder sizes its output) and the `encoder`.
 */
export async function buildDataSide(
  ctx: BuildContext,
  spec: { preprocessing: ComponentSpec[]; likelihood: ComponentSpec; encoder: ComponentSpec },
): Promise<{ preprocessing: Flow[]; likelihood: LikelihoodModel; encoder: Encoder }> {
  const preprocessing = await buildComponentList<Flow>(ctx, 'flow', spec.preprocessing, 'preprocessing', { latentDim: ctx.inputDim, contextDim: 0 });
  const likelihood = await ctx.build<LikelihoodModel>('likelihood', spec.likelihood, `${ctx.path}/likelihood`);
  ctx.container.register(LIKELIHOOD, { useValue: likelihood });
  // With a condition, the encoder receives rows [x, c]: one input per data value and condition column.
  const encoder = await ctx.build<Encoder>('encoder', spec.encoder, `${ctx.path}/encoder`, ctx.conditionDim ? { inputDim: ctx.inputDim + ctx.conditionDim } : {});
  return { preprocessing, likelihood, encoder };
}

/** Loads the manifest's dataset. */
export async function buildDataset(registry: Registry, manifest: Manifest, rng: Random): Promise<Dataset> {
  const container = registry.createScope();
  return buildComponent<Dataset>(registry, 'dataset', manifest.data, '/data', { rng, latentDim: manifest.model.latentDim ?? 0, inputShape: [], inputDim: 0, contextDim: 0, container });
}

export interface BuiltModel {
  model: LatentModel;
  objective: Objective;
  /** What the objective says about this model (located at /objective); the model builds all the same. */
  warnings: ManifestIssue[];
  /** The model's own child container (RANDOM, DATASET, LIKELIHOOD registered in it). */
  container: DependencyContainer;
}

/**
 * Assembles a model in a fresh child container: the `/model` component (the standard VAE by
 * default; it builds its own parts through the registry), then the objective, which the model
 * may refuse (an AEF is trained by its exact likelihood). Initial weights come from `rng`.
 */
export async function buildModel(registry: Registry, manifest: Manifest, dataset: Dataset, rng: Random): Promise<BuiltModel> {
  const container = registry.createScope();
  container.register(RANDOM, { useValue: rng });
  container.register(DATASET, { useValue: dataset });
  const conditionDim = dataset.conditionDim ?? 0;
  const base: BuildBase = { rng, latentDim: manifest.model.latentDim ?? 0, inputShape: dataset.inputShape, inputDim: inputDimOf(dataset), contextDim: 0, conditionDim, container };
  const model = await buildComponent<LatentModel>(registry, 'model', manifest.model, '/model', base);
  if ((model.conditionDim ?? 0) !== conditionDim) {
    model.dispose();
    throw new ManifestError([
      {
        path: '/model/type',
        message: `the ${model.kind} model does not read the condition the data carry (${dataset.name} rows end in ${conditionDim} condition columns); use the "vae" model or drop the dataset's condition`,
      },
    ]);
  }
  const objective = await buildComponent<Objective>(registry, 'objective', manifest.objective, '/objective', base);
  const problem = model.objectiveProblem?.(objective);
  if (problem) throw new ManifestError([{ path: '/objective/type', message: problem }]);
  const warnings = (objective.modelWarnings?.(model) ?? []).map((message) => ({ path: '/objective', message }));
  return { model, objective, container, warnings };
}

/** The manifest's loggers (`/loggers/i`), built through the registry like any component. */
export async function buildLoggers(registry: Registry, manifest: Manifest): Promise<TrainingLogger[]> {
  const base: BuildBase = { rng: new Random(`${manifest.seed}:loggers`), latentDim: manifest.model.latentDim ?? 0, inputShape: [], inputDim: 0, contextDim: 0, container: registry.createScope() };
  const out: TrainingLogger[] = [];
  for (const [i, spec] of (manifest.loggers ?? []).entries()) out.push(await buildComponent<TrainingLogger>(registry, 'logger', spec, `/loggers/${i}`, base));
  return out;
}

/**
 * Builds the model a manifest describes, as `train` would but without loading the data when the
 * dataset can give its shape from its options (`dataShape`), and returns what went wrong, located
 * (no issues when the model builds) and what the objective warns about: components that cannot work together (a flow that is
 * not invertible where an inverse is needed, an objective the model refuses, a convolutional
 * encoder on vector data), sizes too large to allocate. The built model is disposed.
 */
export async function checkBuild(registry: Registry, manifest: Manifest): Promise<{ issues: ManifestIssue[]; warnings: ManifestIssue[] }> {
  try {
    const { spec, issues } = validateComponentSpec(registry, 'dataset', manifest.data, '/data');
    if (issues.length) return { issues, warnings: [] };
    const { type, ...options } = spec;
    const shapeOf = registry.get('dataset', type)?.dataShape;
    let dataset: Dataset;
    if (shapeOf) {
      const empty = { x: new Float32Array(0), n: 0 };
      dataset = { name: type, ...shapeOf(options), train: empty, val: empty, test: empty, prepareTrainBatch: () => undefined };
    } else dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
    const built = await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`));
    built.model.dispose();
    return { issues: [], warnings: built.warnings };
  } catch (e) {
    if (e instanceof ManifestError) return { issues: e.issues, warnings: [] };
    if (e instanceof UserError) return { issues: [{ path: '/data', message: e.message }], warnings: [] };
    throw e;
  }
}

/**
 * The dataset and model a manifest describes, built with the run's conventional seeds
 * (`<seed>:data`, `<seed>:init`), so training and reloading a run build the same thing.
 */
export async function buildFromManifest(registry: Registry, manifest: Manifest): Promise<BuiltModel & { dataset: Dataset }> {
  const dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
  return { dataset, ...(await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`))) };
}
