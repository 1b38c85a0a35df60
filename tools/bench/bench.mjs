#!/usr/bin/env node
// Training-step throughput of vaeflow models on each CPU path, side by side in one run:
// wasm with vaeflow's JavaScript kernels, wasm with @vaeflow/native's kernels, and (where
// python3-torch is installed) the same models in PyTorch on the same CPU, with the ratios.
// Timings on shared machines are noisy: compare ratios from one run.
//
// Usage: npm run bench [-- --only mlp,iaf,conv,planar,radial,pcpmap,sylvester,sylvester-o,sylvester-t,nsf,glow,maf-density,aef,aef-vae --threads 2 --repeats 5 --steps 10 --stock --cpu --no-torch --json out.json]
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { examples, prepareStep, readExample } from './step-setup.mjs';

const require = createRequire(import.meta.url);
const core = require('@vaeflow/core');
const { tf, selectBackend, installWasmKernels, restoreStockWasmKernels } = core;

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    steps: { type: 'string', default: '10' },
    only: { type: 'string', default: 'mlp,iaf,conv' },
    threads: { type: 'string', default: '2' },
    stock: { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    json: { type: 'string', default: '' },
  },
});
const repeats = Number(args.repeats);
const stepsPerRepeat = Number(args.steps);
const threads = Number(args.threads);

/** O-SNF and T-SNF: the Householder example with its flow's variant changed. */
const sylvesterVariant = (variant) => (m) => {
  m.model.flows = m.model.flows.map((f) => ({ type: f.type, variant, layers: f.layers }));
  return m;
};

/**
 * Configurations measured: key -> example manifest (changed by `edit` where a row has one);
 * `torch` names the PyTorch twin in torch_bench.py.
 */
const configs = {};
for (const [key, file, label, torch, edit] of [
  ['mlp', 'mnist-vae.json', 'reference VAE', 'mlp'],
  ['iaf', 'mnist-iaf.json', 'IAF VAE', 'iaf'],
  ['conv', 'mnist-conv-vae.json', 'conv VAE (AEF D.1)', 'conv'],
  ['planar', 'mnist-planar.json', 'planar flow VAE'],
  ['radial', 'mnist-radial.json', 'radial flow VAE (amortised, 10 layers)'],
  ['pcpmap', 'mnist-pcpmap.json', 'PCP-Map VAE'],
  ['sylvester', 'mnist-sylvester.json', 'Householder Sylvester flow VAE'],
  ['sylvester-o', 'mnist-sylvester.json', 'orthogonal Sylvester flow VAE (O-SNF, 4 layers, M = 32)', undefined, sylvesterVariant('orthogonal')],
  ['sylvester-t', 'mnist-sylvester.json', 'triangular Sylvester flow VAE (T-SNF, 4 layers)', undefined, sylvesterVariant('triangular')],
  ['nsf', 'mnist-nsf.json', 'neural spline flow VAE (autoregressive, 8 bins)'],
  ['glow', 'mnist-glow-density.json', 'Glow density on dequantised MNIST (2 levels x 4 steps)'],
  ['maf-density', 'mnist-maf-density.json', 'MAF density on dequantised MNIST (5 steps, MADE 1024)'],
  ['aef', 'mnist-aef-linear.json', 'linear AEF'],
  ['aef-vae', 'mnist-vae-aef-baseline.json', 'VAE matched to the AEF'],
]) {
  if (fs.existsSync(path.join(examples, file))) configs[key] = { label: `${label} (examples/${file}${edit ? ', variant changed' : ''})`, manifest: (edit ?? ((m) => m))(readExample(file)), torch };
}

async function measure(config) {
  const { run, batchSize: B, model, optimizer } = await prepareStep(config.manifest);
  const rates = [];
  let peakRss = process.memoryUsage().rss;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < stepsPerRepeat; i++) run();
    rates.push((B * stepsPerRepeat) / ((performance.now() - t0) / 1000));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const params = model.trainableVariables().reduce((n, v) => n + v.size, 0);
  const tensorsMiB = tf.memory().numBytes / 2 ** 20;
  optimizer.dispose();
  model.dispose();
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)], min: rates[0], max: rates.at(-1), peakRssMiB: peakRss / 2 ** 20, tensorsMiB, params };
}

/** A python3 that has torch (Debian's python3-torch lives under /usr/bin/python3), or null. */
function findTorchPython() {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { py, version: r.stdout.trim() };
  }
  return null;
}

function measureTorch(torchPython, kind) {
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'torch_bench.py');
  const r = spawnSync(torchPython.py, [script, '--threads', String(threads), '--repeats', String(repeats), '--steps', String(stepsPerRepeat), '--only', kind], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_bench.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout)[kind];
}

const chosen = Object.entries(configs).filter(([k]) => args.only.split(',').includes(k));
const torchPython = args['no-torch'] ? null : findTorchPython();
const probe = await selectBackend('native', { log: null, threads }).catch((e) => ({ error: e.message }));
console.log(`vaeflow bench: ${repeats} repeats x ${stepsPerRepeat} steps after 3 warm-up steps; median examples/s of one training step (forward, backward, clipping, Adam; batch from the manifest)`);
console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, tfjs ${tf.version_core}`);
console.log(`native: ${probe.error ? `unavailable (${probe.error})` : probe.detail}`);
console.log(`pytorch: ${torchPython ? `${torchPython.version} (${torchPython.py}), ${threads} threads` : args['no-torch'] ? 'skipped (--no-torch)' : 'not installed (apt-get install python3-torch)'}`);
console.log(`threads: native ${threads} (BLAS), wasm 1 (tfjs-backend-wasm is single-threaded in Node), pytorch ${threads}`);

const rows = [];
for (const [key, config] of chosen) {
  const row = { key, label: config.label };
  await selectBackend('wasm', { log: null });
  if (args.stock) {
    restoreStockWasmKernels();
    row.stock = await measure(config);
    installWasmKernels();
  }
  row.wasm = await measure(config);
  if (!probe.error) {
    await selectBackend('native', { log: null, threads });
    row.native = await measure(config);
  }
  if (torchPython && config.torch) row.torch = measureTorch(torchPython, config.torch);
  rows.push(row);
  process.stderr.write(`measured ${key}\n`);
}
if (args.cpu) {
  await selectBackend('cpu', { log: null });
  for (const row of rows.filter((r) => r.key === 'mlp')) row.cpu = await measure(configs.mlp);
}

const fmt = (v) => (v == null ? '–' : Math.round(v).toLocaleString('en-US'));
const ratio = (a, b) => (a == null || b == null ? '–' : `${(a / b).toFixed(2)}x`);
console.log('');
const head = ['model', 'params', ...(args.stock ? ['wasm stock'] : []), 'wasm', 'native', 'PyTorch', 'native / PyTorch', 'native / wasm', 'peak RSS MiB'];
console.log(`| ${head.join(' | ')} |`);
console.log(
  `| --- | ${head
    .slice(1)
    .map(() => '---:')
    .join(' | ')} |`,
);
for (const r of rows) {
  const cells = [
    r.label,
    fmt(r.wasm.params),
    ...(args.stock ? [fmt(r.stock?.median)] : []),
    fmt(r.wasm.median),
    fmt(r.native?.median),
    fmt(r.torch?.median),
    ratio(r.native?.median, r.torch?.median),
    ratio(r.native?.median, r.wasm.median),
    fmt(Math.max(r.wasm.peakRssMiB, r.native?.peakRssMiB ?? 0)),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
if (rows.some((r) => r.cpu)) console.log(`\ncpu backend (pure JavaScript), reference VAE: ${fmt(rows.find((r) => r.cpu).cpu.median)} ex/s`);
console.log('\nexamples/s, median of the repeats (min-max in --json). "wasm stock" for the conv model keeps vaeflow\'s Conv2DBackpropFilter: stock wasm has none.');
if (args.json) fs.writeFileSync(args.json, JSON.stringify({ threads, native: probe.detail ?? null, torch: torchPython?.version ?? null, rows }, null, 2));
