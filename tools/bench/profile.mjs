#!/usr/bin/env node
// Where one training step's time goes, by kernel: tf.profile over a few steps of a model from
// examples/, on one backend. Usage: node tools/bench/profile.mjs [--model mlp|iaf|conv|planar|planar80|pcpmap|sylvester|nsf|glow|iwae50|dpvae|dpvae-tcvae-dp|dpvae-factor] [--manifest run/manifest.json] [--backend native|wasm] [--threads 2]
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { prepareStep, readExample } from './step-setup.mjs';

const require = createRequire(import.meta.url);
const { tf, selectBackend } = require('@vaeflow/core');

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    manifest: { type: 'string' },
    backend: { type: 'string', default: 'native' },
    threads: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
  },
});
const files = {
  mlp: 'mnist-vae.json',
  iaf: 'mnist-iaf.json',
  conv: 'mnist-conv-vae.json',
  planar: 'mnist-planar.json',
  pcpmap: 'mnist-pcpmap.json',
  sylvester: 'mnist-sylvester.json',
  nsf: 'mnist-nsf.json',
  glow: 'mnist-glow-density.json',
  iwae50: 'mnist-vae.json',
  planar80: 'mnist-planar.json',
  dpvae: 'mnist-dpvae.json',
  'dpvae-tcvae-dp': 'mnist-dpvae.json',
  'dpvae-factor': 'mnist-dpvae.json',
};
// Objectives set on top of the example's own (the reference VAE trained on the IWAE bound with K = 50).
const objectives = {
  iwae50: { type: 'iwae', samples: 50 },
  'dpvae-tcvae-dp': { type: 'beta-tcvae', alpha: 1, beta: 4, gamma: 150 },
  'dpvae-factor': { type: 'factor-vae', gamma: 1000, width: 256, layers: 5, learningRate: 0.0001 },
};
// Priors set on top of the example's own (dpVAE's decoupled prior, as examples/dpvae-mnist.sweep.json).
const priors = { 'dpvae-tcvae-dp': { type: 'decoupled', blocks: 6, hidden: 64 } };
// The deepest amortised planar flow of Rezende & Mohamed 2015's table 2.
const flows = { planar80: [{ type: 'planar-amortized', layers: 80 }] };

const choice = await selectBackend(args.backend, { threads: Number(args.threads) });
// --manifest profiles any manifest (a sweep run's, say) instead of a named example.
const example = args.manifest ? JSON.parse(fs.readFileSync(args.manifest, 'utf8')) : readExample(files[args.model]);
if (objectives[args.model]) example.objective = objectives[args.model];
if (flows[args.model]) example.model.flows = flows[args.model];
if (priors[args.model]) example.model.prior = priors[args.model];
const { run, batchSize: B } = await prepareStep(example);
const steps = Number(args.steps);
// Each step timed: a step that slows as training goes on (subnormal numbers did) shows here.
const stepMs = [];
for (let i = 0; i < steps; i++) {
  const t = performance.now();
  run();
  stepMs.push(performance.now() - t);
}
const wall = stepMs.reduce((a, b) => a + b, 0) / steps;
const info = await tf.profile(() => {
  for (let i = 0; i < steps; i++) run();
});
const byKernel = new Map();
// Names ending in __op are tfjs's wrappers around kernels listed on their own: not counted twice.
for (const k of info.kernels.filter((k) => !k.name.endsWith('__op'))) {
  const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += k.kernelTimeMs / steps;
  e.calls += 1 / steps;
  byKernel.set(k.name, e);
}
const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
console.log(
  `${args.model} on ${choice.kind}: ${wall.toFixed(2)} ms a step unprofiled (${Math.round((B * 1000) / wall)} ex/s); kernels ${kernelMs.toFixed(2)} ms, the rest (tfjs bookkeeping, autodiff tape, JavaScript) ${(wall - kernelMs).toFixed(2)} ms`,
);
console.log(`step times (ms): ${stepMs.map((t) => t.toFixed(0)).join(' ')}`);
console.log('| kernel | calls a step | ms a step | share of the step |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`| ${name} | ${Math.round(e.calls)} | ${e.ms.toFixed(3)} | ${((100 * e.ms) / wall).toFixed(1)}% |`);
