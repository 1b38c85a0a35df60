#!/usr/bin/env node
/**
 * docs/browser.md: the page `vaeflow export` writes, on the reference VAE (32-D latent) and its
 * 2-D-latent variant trained on MNIST: screenshots of each section in headless Chromium, the
 * exported folder's size, the time to first sample on each backend, and the page's decoder
 * against Node's on the same latents.
 *
 *   node scripts/browser-page.mjs [--runs runs] [--loads 5] [--threads 1]
 *
 * Trains examples/mnist-vae.json and examples/mnist-vae-2d.json into <runs>/ where no checkpoint
 * is there yet (the README's first command leaves runs/mnist-vae), exports both, serves each page
 * on loopback and drives Debian's Chromium (playwright-core, the system browser) through it.
 * Screenshots go to docs/figures/browser/, measurements to results/browser-page.json.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { root } from './lib/run-sweep.mjs';
import { parseScriptArgs } from './lib/args.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const { servePage } = require('@vaeflow/web');
const { values: args } = parseScriptArgs(import.meta.url, { options: { runs: { type: 'string' }, loads: { type: 'string' }, threads: { type: 'string' } } });
const runsDir = path.resolve(args.runs ?? path.join(root, 'runs'));
const loads = Number(args.loads ?? 5);
const cli = path.join(root, 'packages/cli/bin/vaeflow.js');
const figures = path.join(root, 'docs/figures/browser');
const browserPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
if (!browserPath) throw new Error('no /usr/bin/chromium: apt-get install chromium');
fs.mkdirSync(figures, { recursive: true });

const vaeflow = (cmdArgs, what) => {
  const r = spawnSync(process.execPath, [cli, ...cmdArgs], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CI: 'true' } });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})`);
  return r.stdout;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const MODELS = [
  ['mnist-vae', 'the reference VAE (32-D latent, 10 epochs)'],
  ['mnist-vae-2d', 'the reference VAE with a 2-D latent (20 epochs)'],
];
const results = [];
const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
try {
  for (const [name, what] of MODELS) {
    const run = path.join(runsDir, name);
    if (!fs.existsSync(path.join(run, 'checkpoints', 'best'))) {
      console.error(`training ${name} into ${run}`);
      vaeflow(['train', `examples/${name}.json`, '--out', run, '--force', ...(args.threads ? ['--threads', args.threads] : [])], `training ${name}`);
    }
    const t = Date.now();
    vaeflow(['export', run], `exporting ${name}`);
    const exportSeconds = (Date.now() - t) / 1000;
    const pageDir = path.join(run, 'page');
    const files = Object.fromEntries(fs.readdirSync(pageDir).map((f) => [f, fs.statSync(path.join(pageDir, f)).size]));
    const { server, url } = await servePage(pageDir);
    const timings = {};
    try {
      for (const backend of ['webgl', 'wasm']) {
        const times = [];
        let used = '';
        for (let i = 0; i < loads; i++) {
          const context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
          const page = await context.newPage();
          const errors = [];
          page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
          page.on('pageerror', (e) => errors.push(String(e)));
          await page.goto(`${url}?backend=${backend}`);
          const timing = await page.evaluate(() => window.vaeflow.ready);
          if (errors.length) throw new Error(`${name} on ${backend}: ${errors.join('; ')}`);
          times.push(timing);
          used = timing.backend;
          await context.close();
        }
        timings[backend] = { backend: used, firstSampleMs: median(times.map((t) => t.firstSampleMs)), readyMs: median(times.map((t) => t.readyMs)), all: times };
      }
      // screenshots of each section, after a click on "sample", a slider moved and a drawn digit
      const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
      await page.goto(url);
      await page.evaluate(() => window.vaeflow.ready);
      await page.click('#traverse-random');
      await page.locator('#sliders input').first().fill('1.5');
      await page.locator('#draw').scrollIntoViewIfNeeded();
      const box = await page.locator('#draw').boundingBox();
      // a "7": a bar, then a diagonal stroke down to the left
      const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
      for (const stroke of [
        [
          [0.25, 0.25],
          [0.75, 0.25],
          [0.45, 0.85],
        ],
      ]) {
        await page.mouse.move(...at(...stroke[0]));
        await page.mouse.down();
        for (const p of stroke.slice(1)) await page.mouse.move(...at(...p), { steps: 12 });
        await page.mouse.up();
      }
      for (const section of ['samples', 'traversal', 'interpolation', 'latent', 'draw']) {
        await page.locator(`#${section}-section`).screenshot({ path: path.join(figures, `${name}-${section}.png`) });
      }
      await page.close();
    } finally {
      server.close();
    }
    results.push({ name, what, files, totalBytes: Object.values(files).reduce((a, b) => a + b, 0), exportSeconds, timings });
    console.error(
      `${name}: ${(results.at(-1).totalBytes / 1e6).toFixed(2)} MB; first sample ${Object.values(timings)
        .map((t) => `${t.backend} ${t.firstSampleMs} ms`)
        .join(', ')}`,
    );
  }
} finally {
  await browser.close();
}
fs.mkdirSync(path.join(root, 'results'), { recursive: true });
fs.writeFileSync(path.join(root, 'results/browser-page.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), loads, results }, null, 1)}\n`);

const mb = (b) => (b / 1e6).toFixed(2);
const rows = results.map(
  (r) =>
    `| ${r.what} | ${mb(r.totalBytes)} MB (script ${mb(r.files['page.js'])}, weights ${mb(r.files['weights.bin'])}, test examples ${mb(r.files['examples.bin'])}, wasm ${mb(
      Object.entries(r.files)
        .filter(([f]) => f.endsWith('.wasm'))
        .reduce((a, [, b]) => a + b, 0),
    )}) | ${r.exportSeconds.toFixed(1)} s | ${r.timings.webgl.firstSampleMs} ms (all sections ${r.timings.webgl.readyMs} ms) | ${r.timings.wasm.firstSampleMs} ms (all sections ${r.timings.wasm.readyMs} ms) |`,
);
const shots = (name) => ['samples', 'traversal', 'interpolation', 'latent', 'draw'].map((s) => `![${name}: ${s}](figures/browser/${name}-${s}.png)`).join('\n\n');
const doc = `# The model in the browser

\`vaeflow export <run>\` writes a static folder where the trained model runs in the page with
TensorFlow.js (see [@vaeflow/web](../packages/web/README.md)); \`vaeflow serve <folder>\` serves it
on loopback, and any static host serves it as well. This page is written by
\`node scripts/browser-page.mjs\` from ${results.map((r) => `\`${r.name}\``).join(' and ')}
(examples/*.json), in headless Chromium (Debian's, driven by playwright-core) on this
machine: no GPU, so its WebGL is SwiftShader, a software renderer.

## Size and time to first sample

Time to first sample is from the navigation's start (fetching the page, its script and weights,
choosing the backend, rebuilding the model from its manifest, loading its weights and drawing
64 samples; the other sections, which encode the 1,000 shipped test examples, follow), the
median of ${loads} loads, each in a fresh browser context, from a server on the same machine.

| model | exported folder | export | first sample, WebGL | first sample, wasm |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

The script is the same for every run of the same plugins: TensorFlow.js's core (with its
gradients, so plugins' code runs unchanged) and its WebGL, wasm and cpu backends, Chart.js, core
and the plugins. The end-to-end test (packages/cli/test/export.test.ts) checks the page's decoder
against Node's on the same latents, within 1e-4, on WebGL, wasm and cpu.

${results.map((r) => `## ${r.what}\n\n${shots(r.name)}`).join('\n\n')}
`;
fs.writeFileSync(path.join(root, 'docs/browser.md'), doc);
console.error('wrote docs/browser.md, results/browser-page.json and docs/figures/browser/');
