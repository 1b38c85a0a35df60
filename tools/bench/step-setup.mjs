// What bench.mjs and profile.mjs share: an example manifest's model on random data of MNIST's
// shape (a step's cost does not depend on pixel values), with its training step ready to run.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const { Random, createRegistry, definePlugin, defineComponent, resolveManifest, buildModel, createTrainStep, createAdam } = require('@vaeflow/core');

export const examples = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../examples');

/** Random binary 28x28x1 "images". */
const randomData = definePlugin({
  name: 'bench-data',
  version: '0.0.0',
  components: [
    defineComponent({
      kind: 'dataset',
      type: 'bench-mnist-shape',
      description: 'random binary 28x28x1 data',
      schema: { properties: {} },
      create: () => {
        const split = (n) => {
          const r = new Random('bench');
          const x = new Float32Array(n * 784);
          for (let i = 0; i < x.length; i++) x[i] = r.next() < 0.13 ? 1 : 0;
          return { x, n };
        };
        return { name: 'bench', inputShape: [28, 28, 1], valueKind: 'binary', train: split(512), val: split(128), test: split(128), prepareTrainBatch: () => undefined };
      },
    }),
  ],
});

export function readExample(file) {
  return JSON.parse(fs.readFileSync(path.join(examples, file), 'utf8'));
}

/**
 * Builds the manifest's model (its plugins loaded, data replaced by random data) with Adam as
 * training uses it on the active backend, and warms the step up. Returns `run()` (one step),
 * the batch size, and the model, objective and optimiser to inspect and dispose.
 */
export async function prepareStep(exampleManifest, warmup = 3) {
  const registry = createRegistry(randomData);
  const manifest = structuredClone(exampleManifest);
  await registry.load(
    manifest.plugins.filter((p) => p !== '@vaeflow/datasets'),
    examples,
  );
  manifest.plugins = [];
  manifest.data = { type: 'bench-mnist-shape' };
  const m = resolveManifest(manifest, registry);
  const dataset = registry.get('dataset', 'bench-mnist-shape').create({}, {});
  const { model, objective } = await buildModel(registry, m, dataset, new Random('bench-init'));
  const optimizer = createAdam(m.training.learningRate, m.training.adam.beta1, m.training.adam.beta2, m.training.adam.epsilon);
  const step = createTrainStep(model, objective, optimizer, m.training.clipNorm);
  const batchSize = m.training.batchSize;
  const batch = dataset.train.x.slice(0, batchSize * 784);
  const rng = new Random('bench-step');
  let i = 0;
  const run = () => step(batch, batchSize, { epoch: 1, step: i++ }, rng);
  for (let w = 0; w < warmup; w++) run();
  return { run, batchSize, model, objective, optimizer };
}
