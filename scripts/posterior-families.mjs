#!/usr/bin/env node
/**
 * docs/posterior-families.md: every posterior family on binarised MNIST at one budget (issue #17's
 * posterior table). The diagonal, planar, IAF and PCP-Map rows are the poster comparison's runs
 * (results/posterior-comparison, scripts/posterior-comparison.mjs trains them); radial, Sylvester
 * (O, H, T) and NSF come from examples/posterior-families.sweep.json, which this script runs where
 * it is not finished. The page says whether Sylvester's paper's order (O-/H-SNF ahead of IAF
 * ahead of planar) shows here.
 *
 *   node scripts/posterior-families.mjs [--workers 2] [--threads 1] [--only 'sylvester-*-s1'] [--no-train] [--quiet]
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mnistBudget, paired as pairedBySeed, verdict } from './lib/report.mjs';
import { root, runSweep, SWEEP_ARGS, sweepOptions } from './lib/run-sweep.mjs';
import { parseScriptArgs } from './lib/args.mjs';

const require = createRequire(import.meta.url);
const { collectResults, estimate, formatEstimate, readSavedSweep } = require('@vaeflow/sweep');
const { values: args } = parseScriptArgs(import.meta.url, { options: SWEEP_ARGS });

const { out } = await runSweep(path.join(root, 'examples/posterior-families.sweep.json'), sweepOptions(args));
const families = collectResults(out);
const posterDir = path.join(root, 'results/posterior-comparison');
const poster = fs.existsSync(path.join(posterDir, 'sweep.json')) ? collectResults(posterDir) : { results: [], missing: [] };
const results = [...poster.results.filter((r) => ['vae', 'planar', 'iaf', 'pcpmap'].includes(r.configuration)), ...families.results];
const missing = [...poster.missing.filter((n) => /^(vae|planar|iaf|pcpmap)-s/.test(n)), ...families.missing];
const saved = readSavedSweep(out);
const manifest = JSON.parse(fs.readFileSync(path.join(out, saved.runs[0].name, 'manifest.json'), 'utf8'));
const { stepsPerEpoch } = mnistBudget(manifest);
const epochs = manifest.training.epochs;

const LABELS = {
  vae: 'diagonal Gaussian (no flow)',
  planar: 'planar, K = 10',
  radial: 'radial, K = 10',
  iaf: 'IAF, 2 steps',
  'sylvester-o': 'O-SNF, 4 layers',
  'sylvester-h': 'H-SNF, 4 layers x 4 reflections',
  'sylvester-t': 'T-SNF, 4 layers',
  nsf: 'NSF (autoregressive), 2 layers',
  pcpmap: 'PCP-Map',
};
const of = (c) => results.filter((r) => r.configuration === c);
const est = (c, key) => estimate(of(c).map((r) => r.values[key]));
const bySeed = (c) => new Map(of(c).map((r) => [r.seed, r.values.nll]));
const diff = (a, b) => pairedBySeed(bySeed(a), bySeed(b));
const f = (e, d = 2, signed = false) => formatEstimate(e, d, signed);
const rows = Object.keys(LABELS).map(
  (c) =>
    `| ${LABELS[c]} | ${of(c).length} | ${f(est(c, 'nll'))} | ${f(est(c, 'testNegElbo'))} | ${c === 'vae' ? '–' : f(diff(c, 'vae'), 2, true)} | ${Number.isFinite(est(c, 'parameters').mean) ? Math.round(est(c, 'parameters').mean).toLocaleString('en-US') : '–'} | ${f(est(c, 'examplesPerSec'), 0)} |`,
);
const order = [
  ['sylvester-o', 'iaf', 'O-SNF ahead of IAF'],
  ['sylvester-h', 'iaf', 'H-SNF ahead of IAF'],
  ['iaf', 'planar', 'IAF ahead of planar'],
];
// O-SNF's log-det needs each example's Q orthonormal: vaeflow eval checks it on every test example (eval.json's flowChecks).
const orthogonality = of('sylvester-o').flatMap((r) => {
  const ev = JSON.parse(fs.readFileSync(path.join(out, r.name, 'eval.json'), 'utf8'));
  return (ev.flowChecks ?? []).flatMap((l) => Object.values(l.checks)).map((c) => ({ ...c, run: r.name }));
});
const orthogonalityNote = orthogonality.length
  ? ` On the test images ${orthogonality.every((c) => c.over === 0) ? 'every' : 'not every'} example's Q was orthonormal to the limit (${orthogonality.reduce((s, c) => s + c.over, 0)} of ${orthogonality.reduce((s, c) => s + c.n, 0)} layer-examples over ${orthogonality[0].limit}; largest |Q^T Q − I|_F / √M ${Math.max(...orthogonality.map((c) => c.max)).toPrecision(2)}, over ${new Set(orthogonality.map((c) => c.run)).size} run(s), every layer; \`vaeflow eval\` checks it).`
  : '';
const missingNote = missing.length ? `\n\n**Not finished yet** (left out of every table below): ${missing.join(', ')}.` : '';

const doc = `# Every posterior family at one budget

The reference VAE (\`examples/mnist-vae.json\`: 784-512-256 ReLU MLP encoder, latent 32, mirror
decoder, Bernoulli likelihood, dynamically binarised MNIST) with one posterior flow added, nothing
else changed. **Budget**: ${epochs} epochs = ${(epochs * stepsPerEpoch).toLocaleString('en-US')} Adam steps, seeds ${saved.sweep.seeds.join(', ')}; IS-NLL with K = ${saved.sweep.eval.k} on all
10,000 test images from the best-validation checkpoint. The diagonal, planar, IAF and PCP-Map rows are the runs of
[the poster comparison](posterior-comparison.md). **Regenerate**: \`node scripts/posterior-families.mjs\`
(and \`node scripts/posterior-comparison.mjs\` for its four rows). O-SNF orthogonalises each
example's Q until |Q^T Q − I|_F ≤ 1e-5 √M (at most 100 iterations, the paper's limit), since its
log-determinant holds only for an orthonormal Q.${orthogonalityNote}${missingNote}

Mean ± 95% half-width over seeds; differences are paired by seed. Speeds were measured with two
runs sharing a 2-core machine.

| posterior | n | IS-NLL | test −ELBO | Δ IS-NLL to diagonal | parameters | train ex/s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

## Sylvester's order

van den Berg et al. (2018, table 1) order O-SNF and H-SNF ahead of IAF, and IAF ahead of planar,
on binarised MNIST (with 16 flow layers and their own architecture and budget). Here:

| claim | pairs | Δ IS-NLL | holds? |
| --- | ---: | ---: | --- |
${order.map(([a, b, what]) => `| ${what} | ${diff(a, b).n} | ${f(diff(a, b), 2, true)} | ${verdict(diff(a, b))} |`).join('\n')}
`;
fs.writeFileSync(path.join(root, 'docs/posterior-families.md'), doc);
if (!args.quiet) process.stderr.write(`wrote docs/posterior-families.md from ${results.length} finished runs${missing.length ? ` (${missing.length} not finished)` : ''}\n`);
