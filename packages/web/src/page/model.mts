import {
  Random,
  StandardNormalPrior,
  buildModel,
  createComponentRegistry,
  inputDimOf,
  oneHotRows,
  pluginOfModule,
  tf,
  type Dataset,
  type LatentModel,
  type Manifest,
  type Plugin,
} from '@vaeflow/core/browser';
import { PAGE_FORMAT, type ExportedModel } from '../format.js';

/** A trained model rebuilt in the page, with the test examples exported beside it. */
export interface PageModel {
  meta: ExportedModel;
  model: LatentModel;
  /** test examples, [n, D] in data space */
  examples: Float32Array;
  labels: Uint8Array | null;
  inputDim: number;
  /** true when the prior is N(0, I), so a temperature T samples z = T * eps */
  standardNormalPrior: boolean;
  /** a conditional model's classes (0 for an unconditional model), their names, and the class the page decodes for */
  conditionDim: number;
  conditionNames: readonly string[];
  selectedClass: number;
}

/** The plugin object a bundled module exports (default, `plugin`, or any plugin-shaped export). */
export function pluginOf(mod: Record<string, unknown>): Plugin {
  const plugin = pluginOfModule(mod);
  if (!plugin) throw new Error('a bundled plugin module exports no vaeflow plugin');
  return plugin;
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
  return r;
}

/**
 * Builds the run's model exactly as training did (same manifest, same registry components, the
 * `<seed>:init` generator) with an empty dataset of the run's shape, then loads the exported
 * weights by name: the page computes with the code `vaeflow eval` measures.
 */
export async function loadPageModel(base: URL, plugins: Plugin[]): Promise<PageModel> {
  const meta = (await (await fetchOk(new URL('model.json', base).href)).json()) as ExportedModel;
  if (meta.format !== PAGE_FORMAT) throw new Error(`model.json is ${meta.format}, this page reads ${PAGE_FORMAT}: export the run again`);
  const [weightBytes, exampleBytes] = await Promise.all([
    fetchOk(new URL('weights.bin', base).href).then((r) => r.arrayBuffer()),
    fetchOk(new URL('examples.bin', base).href).then((r) => r.arrayBuffer()),
  ]);
  const registry = createComponentRegistry(...plugins);
  const empty = { x: new Float32Array(0), n: 0 };
  const dataset: Dataset = {
    name: meta.dataset.name,
    inputShape: meta.dataset.inputShape,
    valueKind: meta.dataset.valueKind,
    conditionDim: meta.dataset.conditionDim ?? 0,
    train: empty,
    val: empty,
    test: empty,
    prepareTrainBatch: () => undefined,
  };
  const { model } = await buildModel(registry, meta.manifest as unknown as Manifest, dataset, new Random(`${meta.manifest.seed}:init`));
  const all = new Float32Array(weightBytes);
  const named = new Map<string, tf.Tensor>();
  for (const w of meta.weights) named.set(w.name, tf.tensor(all.subarray(w.offset, w.offset + w.shape.reduce((a, b) => a * b, 1)), w.shape));
  const expected = [...model.namedVariables().keys()].filter((k) => !named.has(k));
  if (expected.length) throw new Error(`weights.bin lacks ${expected.slice(0, 3).join(', ')}${expected.length > 3 ? ` and ${expected.length - 3} more` : ''}: export the run again with this vaeflow`);
  model.loadWeights(named);
  for (const t of named.values()) t.dispose();
  const inputDim = inputDimOf(meta.dataset);
  const ex = meta.examples;
  const examples = ex.encoding === 'uint8' ? Float32Array.from(new Uint8Array(exampleBytes, 0, ex.valueBytes), (v) => v / 255) : new Float32Array(exampleBytes.slice(0, ex.valueBytes));
  const labels = ex.labelled ? new Uint8Array(exampleBytes, ex.valueBytes, ex.n) : null;
  const conditionDim = meta.dataset.conditionDim ?? 0;
  const conditionNames = meta.dataset.conditionNames?.length === conditionDim ? meta.dataset.conditionNames : Array.from({ length: conditionDim }, (_, c) => String(c));
  return { meta, model, examples, labels, inputDim, standardNormalPrior: model.prior instanceof StandardNormalPrior, conditionDim, conditionNames, selectedClass: 0 };
}

/** One-hot condition rows [n, C] of a conditional model: the given classes, else the selected one for every row; undefined when unconditional. */
function conditionRows(pm: PageModel, n: number, classes?: ArrayLike<number> | null): tf.Tensor2D | undefined {
  if (!pm.conditionDim) return undefined;
  return tf.tensor2d(oneHotRows(classes ?? new Array<number>(n).fill(pm.selectedClass), pm.conditionDim), [n, pm.conditionDim]);
}

/** Decodes latents [n, L] to the decoder's mean in data space, [n, D]. */
export function decode(pm: PageModel, z: Float32Array, n: number): Float32Array {
  return tf
    .tidy(() => {
      const zt = tf.tensor2d(z, [n, pm.model.latentDim]);
      const x = pm.model.decodeMean ? pm.model.decodeMean(zt, conditionRows(pm, n)) : null;
      if (!x) throw new Error(`a ${pm.model.kind} model has no decoder mean to show`);
      return x.dataSync() as Float32Array;
    })
    .slice();
}

/** Encodes rows [n, D] to their posterior means [n, L]; a conditional model reads each row's class (`classes`, else the selected class). */
export function encode(pm: PageModel, x: Float32Array, n: number, classes?: ArrayLike<number> | null): Float32Array {
  return tf
    .tidy(() => {
      const data = tf.tensor2d(x, [n, pm.inputDim]);
      const c = conditionRows(pm, n, classes);
      return pm.model.encodeMean(c ? (tf.concat([data, c], 1) as tf.Tensor2D) : data).dataSync() as Float32Array;
    })
    .slice();
}

/**
 * n latents from the prior. With a N(0, I) prior, a temperature T draws z = T * eps (T = 1 is the
 * prior itself); other priors are sampled as they are.
 */
export function samplePrior(pm: PageModel, n: number, rng: Random, temperature: number): Float32Array {
  return tf
    .tidy(() => {
      const c = pm.model.prior.conditional ? conditionRows(pm, n) : undefined;
      const z = c ? pm.model.prior.sample(n, rng, c) : pm.model.prior.sample(n, rng);
      return (pm.standardNormalPrior ? z.mul(temperature) : z).dataSync() as Float32Array;
    })
    .slice();
}

/**
 * Per latent dimension, the variance over the examples of the posterior mean, Cov_x(E[z|x]):
 * the active-units statistic (Burda et al. 2016; a dimension is active above 0.01).
 */
export function latentActivity(codes: Float32Array, n: number, L: number): Float64Array {
  const mean = new Float64Array(L);
  const v = new Float64Array(L);
  for (let i = 0; i < n; i++) for (let d = 0; d < L; d++) mean[d] += codes[i * L + d] / n;
  for (let i = 0; i < n; i++) for (let d = 0; d < L; d++) v[d] += (codes[i * L + d] - mean[d]) ** 2 / n;
  return v;
}
