#!/usr/bin/env node
/**
 * The AEF paper's MNIST comparison (seed 003, table 1 and appendix E): the VAE with IAF
 * posterior and MAF prior against the linear, centre and corner AEFs, at latent sizes 2 and 32,
 * under one training budget, on dequantised MNIST. Each run trains through the CLI from the
 * example manifests (latent size and budget overridden), then `vaeflow eval` estimates the test
 * likelihood by importance sampling (the linear AEF's proposal scale tuned on validation data)
 * and reports bits per dimension with the +D log 256 dequantisation correction. Writes
 * docs/aef-mnist.md and the sample grids to docs/figures/aef-mnist/.
 *
 *   node scripts/aef-mnist.mjs [--epochs 2] [--steps 400] [--latents 2,32] [--models vae,linear,centre,corner]
 *                              [--jobs 2] [--k 128] [--test-limit 500] [--report-only]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    steps: { type: 'string', default: '400' },
    latents: { type: 'string', default: '2,32' },
    models: { type: 'string', default: 'vae,linear,centre,corner' },
    jobs: { type: 'string', default: '2' },
    k: { type: 'string', default: '128' },
    'test-limit': { type: 'string', default: '500' },
    out: { type: 'string', default: path.join(root, 'runs', 'aef-mnist') },
    'report-only': { type: 'boolean', default: false },
  },
});

const MODELS = {
  vae: { manifest: 'mnist-vae-aef-baseline.json', label: 'VAE (IAF posterior, MAF prior)' },
  linear: { manifest: 'mnist-aef-linear.json', label: 'AEF (linear)' },
  centre: { manifest: 'mnist-aef-centre.json', label: 'AEF (centre)' },
  corner: { manifest: 'mnist-aef-corner.json', label: 'AEF (corner)' },
};
const latents = args.latents.split(',').map(Number);
const models = args.models.split(',');
for (const m of models) if (!MODELS[m]) throw new Error(`unknown model "${m}"; choose from ${Object.keys(MODELS).join(', ')}`);
const bin = path.join(root, 'packages/cli/bin/vaeflow.js');

function run(argv, logFile) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(process.execPath, [bin, ...argv], { cwd: root, stdio: ['ignore', out, out] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vaeflow ${argv.join(' ')} exited with ${code}; see ${logFile}`))));
  });
}

async function trainAndEval(model, latent) {
  const name = `${model}-latent${latent}`;
  const dir = path.join(args.out, name);
  // A finished run is reused only if it was trained with this budget; otherwise it starts again.
  const saved = path.join(dir, 'manifest.json');
  if (fs.existsSync(saved)) {
    const t = JSON.parse(fs.readFileSync(saved, 'utf8')).training;
    if (t.epochs !== Number(args.epochs) || t.stepsPerEpoch !== Number(args.steps)) fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'examples', MODELS[model].manifest), 'utf8'));
  manifest.name = name;
  manifest.model.latentDim = latent;
  manifest.training = { ...manifest.training, epochs: Number(args.epochs), stepsPerEpoch: Number(args.steps) };
  const log = path.join(dir, 'log.txt');
  // timing.json marks a finished training; eval.json records K and the number of images.
  const timingFile = path.join(dir, 'timing.json');
  if (!fs.existsSync(timingFile)) {
    process.stderr.write(`${name}: training\n`);
    const file = path.join(dir, 'source-manifest.json');
    fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
    fs.writeFileSync(log, '');
    const t0 = Date.now();
    await run(['train', file, '--out', dir], log);
    fs.writeFileSync(timingFile, JSON.stringify({ trainSeconds: (Date.now() - t0) / 1000 }) + '\n');
  }
  const evalFile = path.join(dir, 'eval.json');
  if (fs.existsSync(evalFile)) {
    const ev = JSON.parse(fs.readFileSync(evalFile, 'utf8'));
    if (ev.k === Number(args.k) && ev.n === Number(args['test-limit'])) return process.stderr.write(`${name}: trained and evaluated with this budget already\n`);
  }
  await run(['eval', dir, '--k', args.k, '--limit', args['test-limit']], log);
  process.stderr.write(`${name}: done\n`);
}

if (!args['report-only']) {
  const queue = [];
  for (const latent of latents) for (const m of models) queue.push([m, latent]);
  const jobs = Number(args.jobs);
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (queue.length) {
        const [m, latent] = queue.shift();
        await trainAndEval(m, latent);
      }
    }),
  );
}

// ---- report ----
const figDir = path.join(root, 'docs', 'figures', 'aef-mnist');
fs.mkdirSync(figDir, { recursive: true });
const rows = [];
for (const latent of latents) {
  for (const m of models) {
    const name = `${m}-latent${latent}`;
    const dir = path.join(args.out, name);
    if (!fs.existsSync(path.join(dir, 'eval.json'))) continue;
    const ev = JSON.parse(fs.readFileSync(path.join(dir, 'eval.json'), 'utf8'));
    const metrics = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const test = metrics.find((r) => r.split === 'test');
    const train = metrics.filter((r) => r.split === 'train');
    const timing = JSON.parse(fs.readFileSync(path.join(dir, 'timing.json'), 'utf8'));
    const steps = train.at(-1)?.step ?? 0;
    const exs = train.reduce((a, r) => a + r.examplesPerSec, 0) / Math.max(1, train.length);
    const png = path.join(dir, 'samples', 'final.png');
    if (fs.existsSync(png)) fs.copyFileSync(png, path.join(figDir, `${name}.png`));
    rows.push({ name, model: m, latent, bpd: ev.bpd, nll: ev.nll, testLoss: test?.loss, steps, exs, trainSeconds: timing.trainSeconds, scale: ev.estimator?.importanceScale, n: ev.n, k: ev.k });
  }
}
const f = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');
const paper = { vae: { 2: 2.4, 32: 1.8 }, linear: { 2: 2.37, 32: 1.82 } };
let md = `# AEF vs VAE on MNIST (seed 003, table 1)

Produced by \`node scripts/aef-mnist.mjs --epochs ${args.epochs} --steps ${args.steps} --k ${args.k} --test-limit ${args['test-limit']}\`
(the table and figures are rewritten by \`--report-only\` from the runs in \`runs/aef-mnist\`).

**Budget.** Every model trains for ${Number(args.epochs) * Number(args.steps)} steps of batch 128
(${args.epochs} epochs of ${args.steps} steps) with Adam 1e-3 and gradient clipping at 200 on this
2-core CPU, and is tested at its best-validation checkpoint. The paper trains 100k steps on a GPU,
so every figure here is far from converged and higher than the paper's; the comparison is
like for like within this budget only.

**Setup** (examples/mnist-aef-*.json, examples/mnist-vae-aef-baseline.json): dequantised MNIST
(x * 255 + U(0, 1)) / 256, then logit(1e-6 + (1 - 2e-6) x) and ActNorm (data-initialised), all
counted in the likelihood; the conv encoder/decoder of appendix D.1; Gaussian residual /
likelihood with a learned per-pixel scale; prior p0 a MAF (4 steps, MADE 256-256, ActNorm) over
N(0, I); the AEF's core encoder and the VAE's posterior flow an IAF (4 steps, MADE 256-256,
ActNorm, unconditional). The 10% validation split comes out of the training set.

**Evaluation.** \`vaeflow eval --k ${args.k} --limit ${args['test-limit']}\` on the first ${args['test-limit']} test
images: the VAE's importance-sampled likelihood (IWAE bound, K = ${args.k}); the linear AEF's
marginal over w by importance sampling (appendix C) with K = ${args.k} and the proposal scale chosen
on 64 validation images; the centre and corner AEFs' exact likelihood. All include the -log K
term of the log-mean-exp. Bits per dimension = (NLL + D log 256) / (D log 2), D = 784.

| model | latent | test BPD (IS, ${args['test-limit']} images) | test NLL (nats) | BPD of the training loss (all 10,000 test images) | paper BPD | steps | train ex/s | IS scale |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
`;
const D = 784;
const lossBpd = (loss) => (loss + D * Math.log(256)) / (D * Math.log(2));
for (const r of rows) md += `| ${MODELS[r.model].label} | ${r.latent} | ${f(r.bpd, 3)} | ${f(r.nll, 1)} | ${f(lossBpd(r.testLoss), 3)} | ${paper[r.model]?.[r.latent] ?? '–'} | ${r.steps} | ${Math.round(r.exs)} | ${r.scale ?? '–'} |\n`;
md += `
The fifth column converts the trainer's test loss on the whole test set to bits per dimension:
for the VAE that is the one-sample -ELBO (a bound, above the IS figure), for the centre and
corner AEFs the exact NLL (so it equals the IS column up to the image subset), and for the
linear AEF the NLL of (x, h(x)) in the expanded space, which is not a likelihood of x and is
shown only as the training objective. The IS column uses the first ${args['test-limit']} test images,
which score better than the full set (compare the two columns for the centre and corner AEFs).
`;
md += `
**Differences, AEF minus VAE, in test BPD (IS)** (negative: the AEF is better):

`;
for (const latent of latents) {
  const vae = rows.find((r) => r.model === 'vae' && r.latent === latent);
  if (!vae) continue;
  const parts = rows.filter((r) => r.latent === latent && r.model !== 'vae').map((r) => `${MODELS[r.model].label} ${(r.bpd - vae.bpd >= 0 ? '+' : '') + (r.bpd - vae.bpd).toFixed(3)}`);
  const p = paper.linear[latent] !== undefined && paper.vae[latent] !== undefined ? ` (paper, linear: ${(paper.linear[latent] - paper.vae[latent] >= 0 ? '+' : '') + (paper.linear[latent] - paper.vae[latent]).toFixed(2)})` : '';
  md += `- latent ${latent}: ${parts.join(', ')}${p}\n`;
}
md += `
The IS figures of the VAE and the linear AEF are lower bounds on log p(x) in expectation, so
their BPD are upper bounds; the centre and corner AEFs' likelihoods are exact.
The paper's figures are means over five runs after 100k steps; here one seed (1) per row.

## Samples (decoder means at z ~ p0, 64 per grid, the same seed for every model)

`;
for (const latent of latents) {
  md += `### Latent ${latent}\n\n`;
  for (const r of rows.filter((x) => x.latent === latent)) md += `**${MODELS[r.model].label}**\n\n![${r.name}](figures/aef-mnist/${r.name}.png)\n\n`;
}
fs.writeFileSync(path.join(root, 'docs', 'aef-mnist.md'), md);
process.stderr.write(`wrote docs/aef-mnist.md (${rows.length} rows)\n`);
