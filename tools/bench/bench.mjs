#!/usr/bin/env node
// Training-step throughput of vaeflow models on the active backends, stock and tuned wasm
// kernels side by side in the same process (timings on shared machines are noisy: compare
// ratios from one run). Usage: npm run bench [-- --repeats 5 --steps 10 --only mlp,conv --cpu]
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const core = require('@vaeflow/core');
const { tf, Random, createRegistry, definePlugin, defineComponent, resolveManifest, buildModel, createTrainStep, selectBackend, installWasmKernels, restoreStockWasmKernels } = core;

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    steps: { type: 'string', default: '10' },
    only: { type: 'string', default: '' },
    cpu: { type: 'boolean', default: false },
    json: { type: 'string', default: '' },
  },
});
const repeats = Number(args.repeats);
const stepsPerRepeat = Number(args.steps);

/** Random binary 28x28 "images": the step's cost does not depend on the pixel values. */
const benchData = definePlugin({
  name: 'bench-data',
  version: '0.0.0',
  components: [defineComponent({
    kind: 'dataset', type: 'bench-mnist-shape', description: 'random binary 28x28x1 data', schema: { properties: {} },
    create: () => {
      const split = (n) => { const r = new Random('bench'); const x = new Float32Array(n * 784); for (let i = 0; i < x.length; i++) x[i] = r.next() < 0.13 ? 1 : 0; return { x, n }; };
      return { name: 'bench', inputShape: [28, 28, 1], valueKind: 'binary', train: split(512), val: split(128), test: split(128), prepareTrainBatch: () => undefined };
    },
  })],
});

const examples = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../examples');
const fromExample = (file) => {
  const m = JSON.parse(fs.readFileSync(path.join(examples, file), 'utf8'));
  return { ...m, plugins: [], data: { type: 'bench-mnist-shape' } };
};

/** Configurations measured: name -> manifest (data replaced by random data of MNIST's shape). */
const configs = {
  mlp: { label: 'reference VAE (examples/mnist-vae.json)', manifest: fromExample('mnist-vae.json') },
  conv: { label: 'conv VAE (examples/mnist-conv-vae.json)', manifest: fromExample('mnist-conv-vae.json') },
};
for (const [key, file, label] of [['planar', 'mnist-planar.json', 'planar flow VAE'], ['iaf', 'mnist-iaf.json', 'IAF VAE'], ['pcpmap', 'mnist-pcpmap.json', 'PCP-Map VAE'], ['aef', 'mnist-aef-linear.json', 'linear AEF'], ['aef-vae', 'mnist-vae-aef-baseline.json', 'VAE matched to the AEF']]) {
  if (fs.existsSync(path.join(examples, file))) configs[key] = { label: `${label} (examples/${file})`, manifest: JSON.parse(fs.readFileSync(path.join(examples, file), 'utf8')), needsPlugins: true };
}

async function measure(config) {
  const registry = createRegistry(benchData);
  const manifest = structuredClone(config.manifest);
  if (config.needsPlugins) {
    await registry.load(manifest.plugins.filter((p) => p !== '@vaeflow/datasets'), examples);
    manifest.plugins = [];
    manifest.data = { type: 'bench-mnist-shape' };
  }
  const m = resolveManifest(manifest, registry);
  const dataset = registry.get('dataset', 'bench-mnist-shape').create({}, {});
  const { model, objective } = await buildModel(registry, m, dataset, new Random('bench-init'));
  const optimizer = tf.train.adam(m.training.learningRate);
  const step = createTrainStep(model, objective, optimizer, m.training.clipNorm);
  const B = m.training.batchSize;
  const batch = dataset.train.x.slice(0, B * 784);
  const rng = new Random('bench-step');
  for (let i = 0; i < 3; i++) step(batch, B, { epoch: 1, step: i }, rng); // warm-up
  const rates = [];
  let peakRss = process.memoryUsage().rss;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < stepsPerRepeat; i++) step(batch, B, { epoch: 1, step: i }, rng);
    rates.push((B * stepsPerRepeat) / ((performance.now() - t0) / 1000));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const tensorsMiB = tf.memory().numBytes / 2 ** 20;
  optimizer.dispose();
  model.dispose();
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)], min: rates[0], max: rates.at(-1), peakRssMiB: peakRss / 2 ** 20, tensorsMiB, params: 0 };
}

const rows = [];
const chosen = Object.entries(configs).filter(([k]) => !args.only || args.only.split(',').includes(k));
await selectBackend('wasm', { log: null });
console.log(`vaeflow bench: ${repeats} repeats x ${stepsPerRepeat} steps after 3 warm-up steps; median examples/s of one training step (Adam, batch from the manifest)`);
console.log(`machine: ${require('node:os').cpus().length} cores, ${require('node:os').cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, tfjs ${tf.version_core}`);
for (const [key, config] of chosen) {
  restoreStockWasmKernels();
  const stock = await measure(config);
  installWasmKernels();
  const tuned = await measure(config);
  rows.push({ key, label: config.label, backend: 'wasm', stock, tuned });
}
if (args.cpu) {
  for (const [key, config] of chosen.filter(([k]) => k === 'mlp')) {
    await selectBackend('cpu', { log: null });
    rows.push({ key, label: config.label, backend: 'cpu', stock: await measure(config), tuned: null });
  }
}

const fmt = (v) => (v == null ? '-' : Math.round(v).toLocaleString('en-US'));
console.log('');
console.log('| model | backend | stock ex/s | tuned ex/s | speed-up | peak RSS MiB | tensors MiB |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const speedup = r.tuned ? `${(r.tuned.median / r.stock.median).toFixed(1)}x` : '-';
  console.log(`| ${r.label} | ${r.backend} | ${fmt(r.stock.median)} | ${fmt(r.tuned?.median)} | ${speedup} | ${fmt(Math.max(r.stock.peakRssMiB, r.tuned?.peakRssMiB ?? 0))} | ${(r.tuned ?? r.stock).tensorsMiB.toFixed(1)} |`);
}
if (rows.some((r) => r.key === 'conv')) console.log('\n"stock" for the conv model keeps vaeflow\'s Conv2DBackpropFilter: stock wasm has none and cannot train it at all.');
if (args.json) fs.writeFileSync(args.json, JSON.stringify(rows, null, 2));
