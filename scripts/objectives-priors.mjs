#!/usr/bin/env node
/**
 * docs/objectives-priors.md from examples/objectives-priors.sweep.json: the reference VAE trained
 * on the ELBO, on IWAE bounds with K = 5 and 50, and with a VampPrior, each also scored with its
 * prior replaced by a Gaussian mixture fitted after training; beside the orderings Burda et al.
 * (2016) and Tomczak & Welling (2018) report. It runs the sweep where it is not finished
 * (finished runs are skipped, interrupted ones resume), then writes the page.
 *
 *   node scripts/objectives-priors.mjs [--workers 2] [--threads 1] [--only 'iwae-50-*'] [--no-train] [--quiet]
 *
 * The runs are kept in results/objectives-priors (see results/README.md).
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lateChange, paired as pairedBySeed, verdictText } from './lib/report.mjs';
import { root, SWEEP_ARGS, sweepForPage, sweepOptions } from './lib/run-sweep.mjs';
import { parseScriptArgs } from './lib/args.mjs';

const require = createRequire(import.meta.url);
const { estimate, formatEstimate } = require('@vaeflow/sweep');
const sweepFile = path.join(root, 'examples/objectives-priors.sweep.json');
const { values: args } = parseScriptArgs(import.meta.url, { options: SWEEP_ARGS });

const { saved, results, missing, manifest, epochs, trainImages, stepsPerEpoch } = await sweepForPage(sweepFile, sweepOptions(args));
const { k, exPostGmm } = saved.sweep.eval;

const LABELS = { vae: 'VAE (ELBO)', 'iwae-5': 'IWAE, K = 5', 'iwae-50': 'IWAE, K = 50', vamp: 'VAE, VampPrior (500 pseudo-inputs)' };
const CONFIGS = Object.keys(LABELS);
const of = (c) => results.filter((r) => r.configuration === c);
const est = (c, key) => estimate(of(c).map((r) => r.values[key]));
const bySeed = (c, key) => new Map(of(c).map((r) => [r.seed, r.values[key]]));
const f = (e, d = 2, signed = false) => formatEstimate(e, d, signed);
const vsVae = (c, key = 'nll') => pairedBySeed(bySeed(c, key), bySeed('vae', key));

const rows = CONFIGS.map(
  (c) =>
    `| ${LABELS[c]} | ${of(c).length} | ${f(est(c, 'nll'))} | ${f(est(c, 'exPostNll'))} | ${f(est(c, 'testNegElbo'))} | ${c === 'vae' ? '–' : f(vsVae(c), 2, true)} | ${f(est(c, 'examplesPerSec'), 0)} | ${f(est(c, 'minutes'), 1)} | ${f(
      lateChange(
        of(c).map((r) => r.curve),
        Math.max(1, Math.round(epochs / 10)),
      ),
      2,
      true,
    )} |`,
);
// the ex-post mixture against the model's own prior, on the same draws (paired within each run)
const exPost = (c) => estimate(of(c).map((r) => r.values.exPostNll - r.values.nll));
const iwae50vs5 = pairedBySeed(bySeed('iwae-50', 'nll'), bySeed('iwae-5', 'nll'));
const missingNote = missing.length ? `\n\n**Not finished yet** (left out of every table below): ${missing.join(', ')}. The page is regenerated with the same command once they finish.` : '';

const doc = `# Objectives and priors at one budget

What pythae users reach for besides the ELBO, measured on the reference model
(\`examples/mnist-vae.json\`: 784-512-256 ReLU MLP encoder, latent 32, mirror decoder, Bernoulli
likelihood, dynamically binarised MNIST), one change per row.

**Budget**: ${epochs} epochs = ${(epochs * stepsPerEpoch).toLocaleString('en-US')} Adam steps (batch ${manifest.training.batchSize}, learning rate ${manifest.training.learningRate}, ${trainImages.toLocaleString('en-US')} training images), seeds ${saved.sweep.seeds.join(', ')}.
Test numbers from the best-validation checkpoint: the importance-sampled NLL with K = ${k} on all
10,000 test images, and the same with the prior replaced by a ${exPostGmm}-component diagonal
Gaussian mixture fitted by EM to one posterior draw per training image (\`vaeflow eval --ex-post-gmm ${exPostGmm}\`,
the ex-post density of Ghosh et al. 2020 and pythae's GMM sampler).
**Regenerate**: \`node scripts/objectives-priors.mjs\` (runs \`vaeflow sweep examples/objectives-priors.sweep.json\`).${missingNote}

Mean ± 95% half-width over seeds. Speeds were measured with two runs sharing a 2-core machine. Runs trained from session 9 on (every IWAE run, VampPrior seed 2 and later, VAE seed 2 from its epoch 12) ran with subnormal floats flushed in the native kernels ([performance](performance.md)), several times faster late in training; the speed columns mix runs from both sides of that change.
"Last 10%" is the change of the validation loss over the last ${Math.max(1, Math.round(epochs / 10))} epochs (negative: still falling).

| model | n | IS-NLL | IS-NLL, ex-post GMM prior | test −ELBO | Δ IS-NLL to the VAE (paired) | train ex/s | train min | last 10% |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

## The reported orderings, here

- **IWAE beats the VAE, more so with larger K** (Burda et al. 2016, table 1: 86.76 → 85.54 → 84.78
  nats for K = 1, 5, 50 with one stochastic layer): IWAE K = 5 against the VAE ${f(vsVae('iwae-5'), 2, true)} nats,
  ${verdictText(vsVae('iwae-5'))}; K = 50 against K = 5 ${f(iwae50vs5, 2, true)}, ${verdictText(iwae50vs5)}.
- **A VampPrior beats the standard prior** (Tomczak & Welling 2018, table 2: 88.56 → 85.57 nats for their
  VAE with one layer): ${f(vsVae('vamp'), 2, true)} nats here, ${verdictText(vsVae('vamp'))}.
- **A mixture fitted after training is a better prior than N(0, I)** for a model trained with N(0, I)
  (the aggregate posterior is the optimal prior): ex-post minus own prior, within each VAE run,
  ${f(exPost('vae'), 2, true)} nats, ${verdictText(exPost('vae'))}.

The papers' absolute numbers come from other architectures and budgets (thousands of epochs);
what carries over is the sign and rough size of each step.
`;
fs.writeFileSync(path.join(root, 'docs/objectives-priors.md'), doc);
if (!args.quiet) process.stderr.write(`wrote docs/objectives-priors.md from ${results.length} finished runs${missing.length ? ` (${missing.length} not finished)` : ''}\n`);
