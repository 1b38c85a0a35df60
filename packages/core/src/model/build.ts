import type { DependencyContainer } from 'tsyringe';
import type { Dataset } from '../data.js';
import { inputDimOf } from '../data.js';
import type { Decoder, Encoder, Flow, LikelihoodModel, Objective, Posterior, Prior } from '../interfaces.js';
import type { Manifest } from '../manifest/types.js';
import { ManifestError, validateComponentSpec } from '../manifest/validate.js';
import type { BuildContext, ComponentKind, ComponentSpec } from '../registry/plugin.js';
import type { Registry } from '../registry/registry.js';
import { DATASET, LIKELIHOOD, RANDOM } from '../registry/tokens.js';
import { Random } from '../random.js';
import { VAE } from './vae.js';

type Base = Omit<BuildContext, 'build' | 'path'>;

/** Builds one component through the registry: options validated (defaults filled), factory called, errors located. */
export async function buildComponent<T>(registry: Registry, kind: ComponentKind, spec: ComponentSpec, path: string, base: Base): Promise<T> {
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
    if (e instanceof ManifestError) throw e;
    throw new ManifestError([{ path, message: `${kind} "${resolved.type}" could not be built: ${(e as Error).message}` }]);
  }
}

/** Loads the manifest's dataset. */
export async function buildDataset(registry: Registry, manifest: Manifest, rng: Random): Promise<Dataset> {
  const container = registry.createScope();
  return buildComponent<Dataset>(registry, 'dataset', manifest.data, '/data', { rng, latentDim: manifest.model.latentDim, inputShape: [], inputDim: 0, contextDim: 0, container });
}

export interface BuiltModel {
  model: VAE;
  objective: Objective;
  /** The model's own child container (RANDOM, DATASET, LIKELIHOOD registered in it). */
  container: DependencyContainer;
}

/**
 * Assembles a model in a fresh child container: likelihood, encoder, posterior head, flows
 * (in manifest order), prior, decoder, objective. Initial weights come from `rng`.
 */
export async function buildModel(registry: Registry, manifest: Manifest, dataset: Dataset, rng: Random): Promise<BuiltModel> {
  const container = registry.createScope();
  container.register(RANDOM, { useValue: rng });
  container.register(DATASET, { useValue: dataset });
  const m = manifest.model;
  const base: Base = { rng, latentDim: m.latentDim, inputShape: dataset.inputShape, inputDim: inputDimOf(dataset), contextDim: 0, container };
  const likelihood = await buildComponent<LikelihoodModel>(registry, 'likelihood', m.likelihood, '/model/likelihood', base);
  container.register(LIKELIHOOD, { useValue: likelihood });
  const encoder = await buildComponent<Encoder>(registry, 'encoder', m.encoder, '/model/encoder', base);
  const withContext: Base = { ...base, contextDim: encoder.featureDim };
  const posterior = await buildComponent<Posterior>(registry, 'posterior', m.posterior, '/model/posterior', withContext);
  const flows: Flow[] = [];
  for (let i = 0; i < m.flows.length; i++) flows.push(await buildComponent<Flow>(registry, 'flow', m.flows[i], `/model/flows/${i}`, withContext));
  const prior = await buildComponent<Prior>(registry, 'prior', m.prior, '/model/prior', withContext);
  const decoder = await buildComponent<Decoder>(registry, 'decoder', m.decoder, '/model/decoder', withContext);
  const objective = await buildComponent<Objective>(registry, 'objective', manifest.objective, '/objective', withContext);
  return { model: new VAE(m.latentDim, encoder, posterior, flows, prior, decoder), objective, container };
}

/**
 * The dataset and model a manifest describes, built with the run's conventional seeds
 * (`<seed>:data`, `<seed>:init`), so training and reloading a run build the same thing.
 */
export async function buildFromManifest(registry: Registry, manifest: Manifest): Promise<BuiltModel & { dataset: Dataset }> {
  const dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
  return { dataset, ...(await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`))) };
}
