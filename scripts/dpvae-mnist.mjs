#!/usr/bin/env node
// dpVAE's MNIST table (seed 004, table 1): each regulariser with the standard-normal and with
// the decoupled prior, same architecture, hyperparameters and budget, trained by
// examples/dpvae-mnist.sweep.json. Reports sKL between prior and aggregate posterior (5000
// samples each, k-NN estimator, in z0-space for the decoupled prior), leakage scores, test
// -ELBO and sample grids; writes docs/dpvae-mnist.md.
// Usage: node scripts/dpvae-mnist.mjs [--out runs/sweeps/dpvae-mnist] [--workers 2] [--quiet]
// The sweep skips finished runs and resumes interrupted ones; each run's metrics are kept in
// <run>/dpvae-metrics.json, so a stopped script resumes too.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runSweep } from './lib/run-sweep.mjs';

const require = createRequire(import.meta.url);
const { loadRun } = require('@vaeflow/cli');
const { Random, imageGridPng, inputDimOf, readMetrics, tf } = require('@vaeflow/core');
const M = require('@vaeflow/metrics');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({ options: { out: { type: 'string' }, workers: { type: 'string' }, quiet: { type: 'boolean' } } });
const figures = path.join(root, 'docs/figures/dpvae-mnist');
fs.mkdirSync(figures, { recursive: true });

const { runs, sweep } = await runSweep(path.join(root, 'examples/dpvae-mnist.sweep.json'), { out: args.out, workers: args.workers ? Number(args.workers) : undefined, quiet: args.quiet });
Object.assign(args, { epochs: sweep.base.training.epochs, latent: sweep.base.model.latentDim });
const labels = { vae: 'VAE', 'beta-vae-h': 'beta-VAE-H', 'beta-vae-b': 'beta-VAE-B', 'beta-tcvae': 'beta-TCVAE', 'factor-vae': 'FactorVAE', 'info-vae': 'InfoVAE' };

function grid(model, z, shape, file) {
  const n = z.length / model.latentDim;
  const x = tf.tidy(() => model.decoder.decode(tf.tensor2d(z, [n, model.latentDim])).mean().dataSync());
  fs.writeFileSync(file, imageGridPng(x, n, shape, 8, 1));
}

const rows = [];
for (const r of runs) {
  const cached = path.join(r.dir, 'dpvae-metrics.json');
  if (fs.existsSync(cached)) {
    rows.push(JSON.parse(fs.readFileSync(cached, 'utf8')));
    continue;
  }
  const [config] = r.configuration.split('_prior-');
  const run = await loadRun(r.dir);
  const prior = run.manifest.model.prior;
  const name = `${run.manifest.objective.type}-${prior.type}`; // figure names, as before the sweep
  const out = r.dir;
  const rng = new Random('dpvae-metrics');
  const dim = inputDimOf(run.dataset);
  const L = run.model.latentDim;
  const p = M.priorSamples(run.model, 5000, rng);
  const q = M.aggregatePosteriorSamples(run.model, run.dataset.train, dim, 5000, rng).z;
  const skl = M.symmetricKl(M.mapToBase(run.model, p), M.mapToBase(run.model, q), L, 1);
  // thresholds: quantiles of log p(z) under the prior itself
  const logp = tf.tidy(() => Array.from(run.model.prior.logProb(tf.tensor2d(p, [5000, L])).dataSync()).sort((a, b) => a - b));
  const quantiles = [0.01, 0.05, 0.1, 0.5];
  const ls = M.leakageScores(run.model, run.dataset.train, dim, quantiles.map((qq) => logp[Math.floor(qq * logp.length)]), { n: 2000, components: 2000, rng });
  // low-posterior samples: prior samples where q(z) is lowest; high-posterior: q samples where p(z) is lowest
  const logq = M.aggregatePosteriorLogDensity(run.model, run.dataset.train, dim, p.subarray(0, 2000 * L), 2000);
  const lowIdx = Array.from(logq.keys()).sort((a, b) => logq[a] - logq[b]).slice(0, 32);
  const qLogp = tf.tidy(() => run.model.prior.logProb(tf.tensor2d(q.subarray(0, 2000 * L), [2000, L])).dataSync());
  const highIdx = Array.from(qLogp.keys()).sort((a, b) => qLogp[a] - qLogp[b]).slice(0, 32);
  const pick = (src, idx) => Float32Array.from(idx.flatMap((i) => Array.from(src.subarray(i * L, (i + 1) * L))));
  grid(run.model, pick(p, lowIdx), run.dataset.inputShape, path.join(figures, `${name}-low-posterior.png`));
  grid(run.model, pick(q, highIdx), run.dataset.inputShape, path.join(figures, `${name}-high-posterior.png`));
  grid(run.model, p.subarray(0, 32 * L), run.dataset.inputShape, path.join(figures, `${name}-samples.png`));
  const test = readMetrics(path.join(out, 'metrics.jsonl')).find((m) => m.split === 'test');
  const row = { name, label: labels[config], prior: prior.type, skl, ls: ls.map((l, i) => ({ quantile: quantiles[i], tau: l.tau, score: l.score })), negElbo: -test.elbo };
  fs.writeFileSync(cached, JSON.stringify(row, null, 2));
  rows.push(row);
  run.model.dispose();
}

const byLabel = new Map();
for (const r of rows) (byLabel.get(r.label) ?? byLabel.set(r.label, {}).get(r.label))[r.prior] = r;
const paper = { VAE: '1.26 → 0.88', 'beta-VAE-H': '4.49 → 1.07', 'beta-TCVAE': '4.48 → 2.07', FactorVAE: '1.04 → 0.85', InfoVAE: '2.89 → 1.70', 'beta-VAE-B': '–' };
const fmt = (v, d = 2) => (typeof v === 'number' ? v.toFixed(d) : '–');
// What the prose below says is read off the rows, not written in advance.
const changed = { lowered: [], raised: [] };
for (const [label, r] of byLabel) if (r['standard-normal'] && r.decoupled) changed[r.decoupled.skl < r['standard-normal'].skl ? 'lowered' : 'raised'].push(label);
const slow = ['beta-TCVAE', 'FactorVAE'].flatMap((l) => [byLabel.get(l)?.['standard-normal']?.negElbo, byLabel.get(l)?.decoupled?.negElbo]).filter((v) => typeof v === 'number');
const farFrom = slow.length ? `${Math.floor(Math.min(...slow))}–${Math.ceil(Math.max(...slow))} nats` : 'not measured';
const doc = `# Decoupled priors with regularised VAEs on MNIST (dpVAE, table 1)

Each regulariser trained with the standard-normal prior (std) and with the decoupled prior
(dp: RealNVP, 6 blocks, 64 units), same architecture (the reference MLP 784-512-256, latent
${args.latent}), same hyperparameters, ${args.epochs} epochs, batch 128, Adam 1e-3, seed 3, dynamically
binarised MNIST. FactorVAE's discriminator is 5 x 256 wide here (the paper's 1000 is about 15x
slower on this CPU). Trained by the sweep \`examples/dpvae-mnist.sweep.json\`; metrics, figures and this
page by \`node scripts/dpvae-mnist.mjs\`; the paper trained longer on a GPU.

- **sKL**: symmetric KL between 5000 prior samples and 5000 aggregate-posterior samples
  (one z ~ q(z|x) per training image), 1-nearest-neighbour estimator, in z0 = g(z) space for
  the decoupled prior. Lower means the prior and the aggregate posterior agree better.
- **LS(tau)**: leakage score at tau = the 1%, 5% and 10% quantiles of log p(z) under the prior.
- **test −ELBO**: nats, with the prior each model was trained with (for dp, KL by Monte Carlo).

| regulariser | sKL std | sKL dp | paper (std → dp) | LS 1% std | LS 1% dp | LS 5% std | LS 5% dp | LS 10% std | LS 10% dp | −ELBO std | −ELBO dp |
| --- | ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${[...byLabel.entries()].map(([label, r]) => `| ${label} | ${fmt(r['standard-normal']?.skl)} | ${fmt(r.decoupled?.skl)} | ${paper[label] ?? '–'} | ${fmt(r['standard-normal']?.ls[0].score)} | ${fmt(r.decoupled?.ls[0].score)} | ${fmt(r['standard-normal']?.ls[1].score)} | ${fmt(r.decoupled?.ls[1].score)} | ${fmt(r['standard-normal']?.ls[2].score)} | ${fmt(r.decoupled?.ls[2].score)} | ${fmt(r['standard-normal']?.negElbo)} | ${fmt(r.decoupled?.negElbo)} |`).join('\n')}

What the short budget does (${args.epochs} epochs are about ${Number(args.epochs) * 421} steps): beta-VAE-B's
capacity C(t) rises over 1e5 steps, so it has only reached about ${(25 * Number(args.epochs) * 421 / 1e5).toFixed(1)} nats and the KL is held near
it (posterior close to the prior, sKL near 0); beta-VAE-H at beta = 5 also keeps the KL small;
beta-TCVAE with gamma = 150 on the dimension-wise KL and FactorVAE with gamma = 1000 are far
from converged (−ELBO ${farFrom}), and their sKL says more about that than about the prior.
The decoupled prior lowered sKL, as the paper reports, for ${changed.lowered.join(', ') || 'none'}; it did not for
${changed.raised.join(', ') || 'none'}. One seed per cell: these are single measurements, not intervals.

Samples, low-posterior samples (prior samples where the aggregate posterior is thinnest) and
high-posterior samples (aggregate-posterior samples where the prior is thinnest), 32 each:

| run | samples | low-posterior | high-posterior |
| --- | --- | --- | --- |
${rows.map((r) => `| ${r.label}, ${r.prior} | ![](figures/dpvae-mnist/${r.name}-samples.png) | ![](figures/dpvae-mnist/${r.name}-low-posterior.png) | ![](figures/dpvae-mnist/${r.name}-high-posterior.png) |`).join('\n')}
`;
fs.writeFileSync(path.join(root, 'docs/dpvae-mnist.md'), doc);
if (!args.quiet) console.log(doc);
