#!/usr/bin/env node
// Where one training step's time goes, by kernel: tf.profile over a few steps of a model from
// examples/, on one backend. Usage: node tools/bench/profile.mjs [--model mlp|iaf|conv] [--backend native|wasm] [--threads 2]
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { tf, Random, createRegistry, definePlugin, defineComponent, resolveManifest, buildModel, createTrainStep, createAdam, selectBackend } = require('@vaeflow/core');

const { values: args } = parseArgs({ options: { model: { type: 'string', default: 'mlp' }, backend: { type: 'string', default: 'native' }, threads: { type: 'string', default: '2' }, steps: { type: 'string', default: '5' } } });
const files = { mlp: 'mnist-vae.json', iaf: 'mnist-iaf.json', conv: 'mnist-conv-vae.json', planar: 'mnist-planar.json', pcpmap: 'mnist-pcpmap.json' };
const examples = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../examples');

const data = definePlugin({
  name: 'profile-data', version: '0.0.0',
  components: [defineComponent({
    kind: 'dataset', type: 'profile-mnist-shape', description: 'random binary 28x28x1 data', schema: { properties: {} },
    create: () => {
      const split = (n) => { const r = new Random('profile'); const x = new Float32Array(n * 784); for (let i = 0; i < x.length; i++) x[i] = r.next() < 0.13 ? 1 : 0; return { x, n }; };
      return { name: 'profile', inputShape: [28, 28, 1], valueKind: 'binary', train: split(256), val: split(128), test: split(128), prepareTrainBatch: () => undefined };
    },
  })],
});

const choice = await selectBackend(args.backend, { threads: Number(args.threads) });
const manifest = JSON.parse(fs.readFileSync(path.join(examples, files[args.model]), 'utf8'));
const registry = createRegistry(data);
await registry.load(manifest.plugins.filter((p) => p !== '@vaeflow/datasets'), examples);
manifest.plugins = [];
manifest.data = { type: 'profile-mnist-shape' };
const m = resolveManifest(manifest, registry);
const dataset = registry.get('dataset', 'profile-mnist-shape').create({}, {});
const { model, objective } = await buildModel(registry, m, dataset, new Random('profile-init'));
const step = createTrainStep(model, objective, createAdam(m.training.learningRate), m.training.clipNorm);
const B = m.training.batchSize;
const batch = dataset.train.x.slice(0, B * 784);
const rng = new Random('profile-step');
for (let i = 0; i < 3; i++) step(batch, B, { epoch: 1, step: i }, rng);

const steps = Number(args.steps);
const t0 = performance.now();
for (let i = 0; i < steps; i++) step(batch, B, { epoch: 1, step: i }, rng);
const wall = (performance.now() - t0) / steps;
const info = await tf.profile(() => { for (let i = 0; i < steps; i++) step(batch, B, { epoch: 1, step: i }, rng); });
const byKernel = new Map();
for (const k of info.kernels) {
  const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += k.kernelTimeMs / steps;
  e.calls += 1 / steps;
  byKernel.set(k.name, e);
}
const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
console.log(`${args.model} on ${choice.kind}: ${wall.toFixed(2)} ms a step unprofiled (${Math.round((B * 1000) / wall)} ex/s); kernels ${kernelMs.toFixed(2)} ms, the rest (tfjs bookkeeping, autodiff tape, JavaScript) ${(wall - kernelMs).toFixed(2)} ms`);
console.log('| kernel | calls a step | ms a step | share of the step |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`| ${name} | ${Math.round(e.calls)} | ${e.ms.toFixed(3)} | ${((100 * e.ms) / wall).toFixed(1)}% |`);
