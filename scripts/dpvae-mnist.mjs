#!/usr/bin/env node
/**
 * dpVAE's MNIST table (seed 004, table 1): each regulariser with the standard-normal (std) and
 * with the decoupled prior (dp), same architecture, hyperparameters and budget, several seeds,
 * trained by examples/dpvae-mnist.sweep.json into results/dpvae-mnist. Per run: sKL between the
 * prior and the aggregate posterior (5000 samples each, 1-NN estimator, in z0-space for dp) and
 * leakage scores, cached in <run>/dpvae-metrics.json (kept in git: the checkpoints they need are
 * not); per regulariser: means with 95% intervals over seeds, paired dp - std differences with a
 * verdict on the paper's claim, validation curves. Writes docs/dpvae-mnist.md and
 * docs/figures/dpvae-mnist/.
 *
 *   node scripts/dpvae-mnist.mjs [--out results/dpvae-mnist] [--workers 2] [--threads 1] [--only '*-s1'] [--no-train] [--quiet] [--sweep file --doc file]
 *
 * --no-train analyses the runs finished so far (run it before scripts/carry-over.mjs at the end of
 * a session, so finished runs are analysed while their checkpoints exist). --sweep takes another
 * sweep file of the same shape (a subset of the configurations, another budget) and --doc the page
 * it writes (figures go to docs/figures/<page name>/); examples/dpvae-tcvae.sweep.json with
 * --doc docs/dpvae-tcvae.md is the beta-TCVAE check.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyseDpvaeRun, QUANTILES, SURGERY_IMAGES } from './lib/dpvae.mjs';
import { mnistBudget, paired, pairedDifferences, seedSeries, verdict, verdictText } from './lib/report.mjs';
import { root, runSweep, SWEEP_ARGS, sweepOptions } from './lib/run-sweep.mjs';
import { parseScriptArgs } from './lib/args.mjs';

const require = createRequire(import.meta.url);
const { findCheckpoint, readMetrics } = require('@vaeflow/core');
const { estimate, formatEstimate } = require('@vaeflow/sweep');
const M = require('@vaeflow/metrics');
const { values: args } = parseScriptArgs(import.meta.url, { options: { ...SWEEP_ARGS, sweep: { type: 'string' }, doc: { type: 'string' } } });
const sweepFile = path.resolve(args.sweep ?? path.join(root, 'examples/dpvae-mnist.sweep.json'));
const docFile = path.resolve(args.doc ?? path.join(root, 'docs/dpvae-mnist.md'));
const page = path.basename(docFile, '.md');
const figures = path.join(path.dirname(docFile), 'figures', page);
const command = `node scripts/dpvae-mnist.mjs${args.sweep ? ` --sweep ${path.relative(root, sweepFile)} --doc ${path.relative(root, docFile)}` : ''}`;
fs.mkdirSync(figures, { recursive: true });
const log = args.quiet ? () => undefined : (s) => process.stderr.write(`${s}\n`);

const { runs, sweep, out } = await runSweep(sweepFile, sweepOptions(args));
const LABELS = {
  vae: 'VAE',
  'beta-vae-h': 'beta-VAE-H',
  'beta-vae-b': 'beta-VAE-B',
  'beta-tcvae': 'beta-TCVAE',
  'beta-tcvae-base': "beta-TCVAE, the authors' dp term",
  'factor-vae': 'FactorVAE',
  'info-vae': 'InfoVAE',
};
// The configuration a dp row is compared with: its own std run, or beta-TCVAE's for the authors' variant (dp only).
const STD_OF = { 'beta-tcvae-base': 'beta-tcvae' };
const PAPER = {
  vae: [1.26, 0.88],
  'beta-vae-h': [4.49, 1.07],
  'beta-vae-b': [2.74, 1.32],
  'beta-tcvae': [4.48, 2.07],
  'beta-tcvae-base': [4.48, 2.07],
  'factor-vae': [1.04, 0.85],
  'info-vae': [2.89, 1.7],
};

const analyse = (r) => analyseDpvaeRun(r.dir, { figures: r.seed === sweep.seeds[0] ? path.join(figures, r.configuration) : null });

const rows = [];
const unanalysed = [];
for (const r of runs) {
  const metricsFile = path.join(r.dir, 'metrics.jsonl');
  const metrics = fs.existsSync(metricsFile) ? readMetrics(metricsFile) : [];
  const test = metrics.find((m) => m.split === 'test');
  if (!test) continue;
  const haveCache = fs.existsSync(path.join(r.dir, 'dpvae-metrics.json'));
  if (!haveCache && !findCheckpoint(path.join(r.dir, 'checkpoints', 'best'))) {
    unanalysed.push(r.name); // finished elsewhere, its checkpoint not here
    continue;
  }
  log(`${r.name}: ${haveCache ? 'cached' : 'analysing'}`);
  const [config, prior] = r.configuration.split('_prior-');
  const val = metrics.filter((m) => m.split === 'val');
  rows.push({
    ...(await analyse(r)),
    dir: r.dir,
    config,
    prior,
    seed: r.seed,
    negElbo: -test.elbo,
    last: val.at(-1),
    curve: val.map((m) => ({ epoch: m.epoch, value: -m.elbo })),
    tcCurve: val.map((m) => ({ epoch: m.epoch, value: m.tc ?? NaN })),
  });
}

// ---------------------------------------------------------------- tables
const base = JSON.parse(fs.readFileSync(path.join(runs[0].dir, 'manifest.json'), 'utf8'));
const epochs = base.training.epochs;
const { stepsPerEpoch } = mnistBudget(base);
const steps = epochs * stepsPerEpoch;
const configs = sweep.configurations.map((c) => c.name);
const of = (config, prior) => rows.filter((r) => r.config === config && r.prior === prior);
const bySeed = (config, prior, pick) => new Map(of(config, prior).map((r) => [r.seed, pick(r)]));
const est = (config, prior, pick) => estimate(of(config, prior).map(pick));
const f = (e, d = 2, signed = false) => formatEstimate(e, d, signed);
const skl = (r) => r.skl;
// Scores cached by an older, biased estimator (their checkpoint gone) are left out.
const lsAt = (i) => (r) => (r.lsStale ? NaN : r.ls[i].score);
const lsStale = rows.filter((r) => r.lsStale).map((r) => `${r.config}_prior-${r.prior}-s${r.seed}`);
const sklDiff = (c) => paired(bySeed(c, 'dp', skl), bySeed(STD_OF[c] ?? c, 'std', skl));
const expected = runs.length;
const finished = rows.length + unanalysed.length;

const mainRows = configs.map((c) => {
  const std = STD_OF[c] ?? c;
  const d = sklDiff(c);
  const paper = PAPER[c] ? `${PAPER[c][0]} → ${PAPER[c][1]}` : '–';
  return `| ${LABELS[c] ?? c} | ${of(std, 'std').length} / ${of(c, 'dp').length} | ${f(est(std, 'std', skl))} | ${f(est(c, 'dp', skl))} | ${f(d, 2, true)} | ${paper} | ${PAPER[c] ? verdict(d) : '–'} |`;
});
const leakRows = configs.map((c) => {
  const std = STD_OF[c] ?? c;
  return `| ${LABELS[c] ?? c} | ${QUANTILES.map((_, i) => `${f(est(std, 'std', lsAt(i)))} | ${f(est(c, 'dp', lsAt(i)))}`).join(' | ')} | ${f(est(std, 'std', (r) => r.negElbo))} | ${f(est(c, 'dp', (r) => r.negElbo))} |`;
});

const part = (key) => (r) => r.surgery?.[key] ?? NaN;
const surgeryRows = configs.map((c) => {
  const std = STD_OF[c] ?? c;
  const cells = (prior, config) => ['kl', 'mutualInformation', 'marginalKl'].map((k) => f(est(config, prior, part(k)))).join(' | ');
  return `| ${LABELS[c] ?? c} | ${cells('std', std)} | ${cells('dp', c)} |`;
});
const surgeryImages = rows.find((r) => r.surgery)?.surgery.images ?? SURGERY_IMAGES;

const tcv = sweep.configurations.find((c) => c.name === 'beta-tcvae')?.set?.['/objective'] ?? { alpha: 1, beta: 4, gamma: 150 };
// beta-TCVAE's decomposition at the last epoch (validation means), read from the runs.
const term = (config, prior, key) => est(config, prior, (r) => r.last?.[key] ?? NaN);
const tcRows = [
  ['beta-tcvae', 'std'],
  ['beta-tcvae', 'dp'],
  ['beta-tcvae-base', 'dp'],
]
  .filter(([c]) => configs.includes(c))
  .map(([c, p]) => `| ${LABELS[c]}, ${p} | ${of(c, p).length} | ${f(term(c, p, 'mi'))} | ${f(term(c, p, 'tc'))} | ${f(term(c, p, 'dwKl'), 2, true)} | ${f(term(c, p, 'kl'))} | ${f(est(c, p, skl))} |`);

// ---------------------------------------------------------------- curves
const { lineChartSvg } = M;
async function curves(prior, file) {
  const series = configs
    .filter((c) => of(c, prior).length)
    .map((c) =>
      seedSeries(
        LABELS[c] ?? c,
        of(c, prior).map((r) => r.curve),
      ),
    );
  if (!series.length) return null;
  fs.writeFileSync(
    path.join(figures, file),
    await lineChartSvg({
      series,
      title: `Validation −ELBO, ${prior === 'std' ? 'standard-normal' : 'decoupled'} prior`,
      xTitle: `epoch (${stepsPerEpoch} Adam steps each)`,
      yTitle: 'validation −ELBO (nats, mean over seeds)',
      xDomain: [1, epochs],
    }),
  );
  return `figures/${page}/${file}`;
}
const curveStd = await curves('std', 'validation-std.svg');
const curveDp = await curves('dp', 'validation-dp.svg');
const TC_RUNS = [
  ['beta-tcvae', 'std'],
  ['beta-tcvae', 'dp'],
  ['beta-tcvae-base', 'dp'],
].filter(([c, p]) => of(c, p).length);
let tcFigure = null;
if (TC_RUNS.length) {
  const series = TC_RUNS.map(([c, p]) =>
    seedSeries(
      `${LABELS[c]}, ${p}`,
      of(c, p).map((r) => r.tcCurve),
    ),
  );
  fs.writeFileSync(
    path.join(figures, 'tcvae-total-correlation.svg'),
    await lineChartSvg({
      series,
      title: 'beta-TCVAE: total correlation during training',
      xTitle: `epoch (${stepsPerEpoch} Adam steps each)`,
      yTitle: 'validation TC estimate (nats, mean over seeds)',
      xDomain: [1, epochs],
    }),
  );
  tcFigure = 'tcvae-total-correlation.svg';
}
const tcDp = bySeed('beta-tcvae', 'dp', (r) => r.last?.tc ?? NaN);
const tcStd = bySeed('beta-tcvae', 'std', (r) => r.last?.tc ?? NaN);
const tcSeedGaps = pairedDifferences(tcDp, tcStd);
const tcGap = estimate(tcSeedGaps);
const tcShown = verdictText(tcGap, { claimSign: 1 });
// An interval that spans zero can still hide a gap with the same sign on every seed: say so.
const tcEverySeed = tcSeedGaps.every((g) => g > 0) ? ', higher on every seed' : tcSeedGaps.every((g) => g < 0) ? ', lower on every seed' : '';
const dwDp = term('beta-tcvae', 'dp', 'dwKl');
const dwStd = term('beta-tcvae', 'std', 'dwKl');
// The batch estimate of log q(z_j) (minibatch stratified sampling) runs low, so the standard-normal
// run's dimension-wise term can read below zero too: compare the two priors, not the dp run with zero.
const dwSays =
  dwDp.n && dwStd.n
    ? ` The runs' estimate of the dimension-wise term at the last epoch is ${f(dwDp, 2, true)} nats with the decoupled prior against ${f(dwStd, 2, true)} with the standard-normal one; the batch estimate of log q(z_j) (minibatch stratified sampling over ${base.training.batchSize} images) runs low, so it is the gap between the two that shows the learned prior at work${dwStd.mean + (dwStd.n > 1 ? dwStd.half : 0) < 0 ? " (the standard-normal run's estimate is below zero, which no KL between factorised densities can be)" : ''}.`
    : '';
const tcSays = !tcGap.n
  ? 'The runs that would show it have not finished yet.'
  : tcGap.n === 1
    ? `One seed so far: at the last epoch TC is ${Math.abs(tcGap.mean).toFixed(2)} nats ${tcGap.mean > 0 ? 'higher' : 'lower'} with the decoupled prior than with the standard-normal one (same seed); the figure shows how it moves with training. More seeds decide it.`
    : tcShown === 'holds'
      ? `The runs show it: at the last epoch TC is ${f(tcGap, 2, true)} nats higher with the decoupled prior than with the standard-normal one (paired by seed, n = ${tcGap.n}), and the figure shows it rising with training, so a longer budget makes it worse, not better.`
      : `At this budget the runs do not show TC rising beyond the spread between seeds (TC with the decoupled prior minus TC with the standard-normal one: ${f(tcGap, 2, true)} nats, paired by seed, n = ${tcGap.n}${tcEverySeed}: ${tcShown}).`;

const tcSkl = sklDiff('beta-tcvae');
const tcSklShown = verdictText(tcSkl);
const sklReading =
  tcSkl.mean < 0
    ? "at the per-example weights and this budget the pull towards TC is too weak to undo the better fit of the learned prior; the defect is real (the dimension-wise term is not a KL) but its size scales with gamma − beta, and at the configs' numbers as they stand it dominates (docs/dpvae-tcvae.md)."
    : 'the learned prior does not fit the aggregate posterior better here.';
const sklSays =
  tcSkl.n && !args.sweep
    ? `\n\nWhat this means for sKL, which the first version of this table (5 epochs, latent 16, the configs' weights as they stand: gamma − beta = 146 per nat of TC) saw rise from 4.25 to 27.03 with the decoupled prior: here beta-TCVAE's sKL changes by ${f(tcSkl, 2, true)} with the decoupled prior (paired by seed, n = ${tcSkl.n}; the paper's 4.48 → 2.07). ${tcSkl.n === 1 ? `One seed cannot settle it; if the others agree, ${sklReading}` : tcSklShown === 'holds' || tcSklShown === 'does not hold' ? `Over ${tcSkl.n} seeds the claim ${tcSklShown}: ${sklReading}` : `Over ${tcSkl.n} seeds the change is within the spread between seeds.`}`
    : '';
const bvb = base.objective?.type === 'beta-vae-b' ? base.objective : sweep.configurations.find((c) => c.name === 'beta-vae-b')?.set?.['/objective'];
// Each configuration's objective settings, as the page lists them.
const num = (v) => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumSignificantDigits: 4 }) : String(v));
const objectiveList = sweep.configurations
  .map((c) => [c.name, c.set?.['/objective']])
  .filter(([, o]) => o)
  .map(([name, o]) => {
    const params = Object.entries(o).filter(([k]) => k !== 'type');
    return `${LABELS[name] ?? name}${params.length ? ` (${params.map(([k, v]) => `${k} ${num(v)}`).join(', ')})` : ''}`;
  })
  .join('; ');
const capacity = bvb ? Math.min(bvb.capacityMax, (bvb.capacityMax * steps) / bvb.capacitySteps) : NaN;
const missing = runs.filter((r) => !rows.some((x) => x.config === r.configuration.split('_prior-')[0] && x.prior === r.configuration.split('_prior-')[1] && x.seed === r.seed)).map((r) => r.name);
const firstSeed = sweep.seeds[0];
const doc = `# ${args.sweep && sweep.description ? sweep.description.split(':')[0] : 'Decoupled priors with regularised VAEs on MNIST (dpVAE, table 1)'}

The claim (dpVAE, seed 004, table 1): for every regulariser, the decoupled prior lowers the symmetric KL
between the prior and the aggregate posterior. Each regulariser is trained with the standard-normal
prior (std) and with the decoupled prior (dp: RealNVP, 6 blocks, 64 units), with the same
architecture (MLP 784-512-256, latent ${base.model.latentDim}), the authors' hyperparameters (per example, see below) and the same budget.
FactorVAE's discriminator is 5 x 256 wide here (the paper's 1000 is about 15x slower on this CPU).

**Hyperparameters.** The paper says a regulariser's std and dp runs share their hyperparameters; the
authors' MNIST configs (iyerkrithika21/dpVAE, config/*/mnist.json and dp_mnist.json) use latent 2, as
here, but do not quite share the rest: beta-TCVAE's gamma is 15 with the standard-normal prior and 150
with the decoupled one, and learning rate (1e-4 or 1e-3), batch size (24 or 100) and reconstruction
weight (1 to 100) change between a regulariser's two configs. Here std and dp runs are trained alike:
Adam ${base.training.learningRate}, batch ${base.training.batchSize}, Bernoulli likelihood, and each regulariser's weights from its dp config, per
example: the authors' code sums the reconstruction and the KL over the batch (24 images, 100 for beta-TCVAE) but
averages the other terms over it (beta-TCVAE's MI, TC and dimension-wise KL, FactorVAE's discriminator TC,
InfoVAE's MMD) and holds the summed KL to beta-VAE-B's capacity, so per example those weights and C_max are
the config's divided by its batch size.${sweep.name === 'dpvae-tcvae' ? " This diagnostic sweep came before that reading and uses the configs' numbers as they stand (100 times the per-example weights); what it shows below holds for any gamma > beta." : ''} This sweep's objectives: ${objectiveList}.

**Budget**: ${epochs} epochs = ${steps.toLocaleString('en-US')} Adam steps (batch ${base.training.batchSize}, learning rate ${base.training.learningRate}, dynamic binarisation), seeds ${sweep.seeds.join(', ')}${bvb ? `;\nbeta-VAE-B's capacity reaches ${num(capacity)} of C_max = ${num(bvb.capacityMax)} nats` : ''}. The paper trains 200,000 steps of batch 100 on a GPU.
**Regenerate**: \`${command}\` (runs the sweep \`${path.relative(root, sweepFile)}\` into ${path.relative(root, out)},
skipping finished runs and resuming interrupted ones, then analyses each finished run once).
${finished < expected ? `\n**Not finished yet**: ${expected - finished} of ${expected} runs (${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ', ...' : ''}); the tables hold the ${rows.length} finished so far.\n` : ''}${unanalysed.length ? `\nFinished but not analysed (their checkpoints are not on this machine): ${unanalysed.join(', ')}.\n` : ''}
- **sKL**: symmetric KL between 5000 prior samples and 5000 aggregate-posterior samples (one z ~ q(z|x)
  per training image), 1-nearest-neighbour estimator, in z0 = g(z) space for the decoupled prior. Lower:
  the prior and the aggregate posterior agree better.
- **LS(tau)**: leakage score at tau = the 1%, 5% and 10% quantiles of log p(z) under the prior, over
  2000 samples of the aggregate posterior q(z), whose density is the mixture of the posteriors of all
  training images.${lsStale.length ? ` Not in the LS columns: ${lsStale.join(', ')} (scored by an earlier estimator that was biased low, before their checkpoints were dropped; retraining them recomputes it).` : ''}
- **test −ELBO**: nats, with the prior each model was trained with (for dp, KL by Monte Carlo).

Mean ± 95% half-width over seeds (Student's t); n is the number of seeds (std / dp). The claim
holds for a regulariser when the interval of the paired difference (dp − std, same seed) lies below zero.

| regulariser | n | sKL std | sKL dp | Δ sKL (dp − std) | paper (std → dp) | dp lowers sKL? |
| --- | ---: | ---: | ---: | ---: | :---: | --- |
${mainRows.join('\n')}

| regulariser | LS 1% std | LS 1% dp | LS 5% std | LS 5% dp | LS 10% std | LS 10% dp | −ELBO std | −ELBO dp |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${leakRows.join('\n')}

**Where the KL goes.** ELBO surgery (Hoffman & Johnson 2016) splits each model's KL term,
E_x KL(q(z|x) ‖ p(z)) = I(x; z) + KL(q(z) ‖ p(z)), on ${surgeryImages.toLocaleString('en-US')} test images; I(x; z) is measured against
those images' own aggregate posterior, so it is at most log ${surgeryImages.toLocaleString('en-US')} = ${Math.log(surgeryImages).toFixed(2)} nats. The second
part is the aggregate posterior's mismatch with the prior that sKL measures from samples (sKL sees it
at the spacing of 5000 samples; the mixture's fine structure counts here as well). beta-VAE-B holds the
sum to its capacity C, so what I(x; z) does not take goes to the mismatch; and with a learned prior its
gamma |KL − C| term pulls the prior away from the aggregate posterior whenever the KL is below C.

| regulariser | KL std | I(x; z) std | KL(q(z) ‖ p(z)) std | KL dp | I(x; z) dp | KL(q(z) ‖ p(z)) dp |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${surgeryRows.join('\n')}

${curveStd ? `![Validation −ELBO per epoch, standard-normal prior](${curveStd})\n\n` : ''}${curveDp ? `![Validation −ELBO per epoch, decoupled prior](${curveDp})\n` : ''}
## beta-TCVAE with the decoupled prior: why its sKL can rise

beta-TCVAE splits the KL into index-code MI + total correlation (TC) + the dimension-wise term
E[Σ_j log q(z_j) − log p(z)], weighted ${tcv.alpha}, ${tcv.beta} and ${tcv.gamma} here. With a standard-normal prior the third term is a
KL between factorised densities, so it is at least zero. With a learned prior that does not factorise it is
KL(q(z) || p(z)) − TC, which falls towards −TC as the prior fits the aggregate posterior; with gamma = ${tcv.gamma}
> beta = ${tcv.beta} the objective then gains up to ${tcv.gamma - tcv.beta} per nat of TC, and training can raise TC instead of lowering
it: a defect of the objective with this prior, which no budget cures.${dwSays} ${tcSays}${sklSays}

Validation means at the last epoch:

| run | n | MI | TC | dim-wise term | KL | sKL |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${tcRows.join('\n')}

The dpVAE authors' code (trainers/loss_helpers.py, \`_get_log_pz_qz_prodzi_qzCx_fip\`) uses log N(g(z); 0, I)
without log|det dg/dz| in that term for the decoupled prior: not the density of z, and no longer equal to
KL(q(z) || p(z)) − TC. \`"priorTerm": "base"\` reproduces it (row "${LABELS['beta-tcvae-base']}"), so the table shows
what their choice does to TC and sKL.
vaeflow's default stays the exact decomposition (\`"priorTerm": "density"\`), whose terms add up to the KL.

${tcFigure ? `![beta-TCVAE's total correlation per epoch](figures/${page}/${tcFigure})\n\n` : ''}## Samples (seed ${firstSeed})

Samples, low-posterior samples (prior samples where the aggregate posterior is thinnest) and
high-posterior samples (aggregate-posterior samples where the prior is thinnest), 32 each:

| run | samples | low-posterior | high-posterior |
| --- | --- | --- | --- |
${runs
  // analysed runs only: a figure left from an earlier analysis of a run now retrained is not shown
  .filter((r) => r.seed === firstSeed && rows.some((x) => x.dir === r.dir) && fs.existsSync(path.join(figures, `${r.configuration}-samples.png`)))
  .map(
    (r) =>
      `| ${LABELS[r.configuration.split('_prior-')[0]] ?? r.configuration}, ${r.configuration.split('_prior-')[1]} | ![](figures/${page}/${r.configuration}-samples.png) | ![](figures/${page}/${r.configuration}-low-posterior.png) | ![](figures/${page}/${r.configuration}-high-posterior.png) |`,
  )
  .join('\n')}
`;
fs.writeFileSync(docFile, doc);
log(`wrote ${path.relative(root, docFile)} from ${rows.length} analysed runs of ${expected} (${out})`);
