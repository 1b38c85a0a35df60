import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'packages/cli/bin/vaeflow.js');
const vaeflow = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

/**
 * Trains a manifest on the stripes fixture (written beside the fixture plugin it loads by a
 * relative path, then removed) into dir/<name>; returns the run folder.
 */
function trainStripes(dir: string, name: string, model: Record<string, unknown>, training: Record<string, unknown>, plugins: string[] = []): string {
  const f = path.join(__dirname, 'fixtures', `.${name}-${process.pid}.json`);
  fs.writeFileSync(f, JSON.stringify({ name, plugins: ['./tiny-data-plugin.cjs', ...plugins], seed: 4, data: { type: 'stripes' }, model, training: { epochs: 2, batchSize: 32, ...training } }));
  const out = path.join(dir, name);
  const r = vaeflow(['train', f, '--out', out]);
  fs.rmSync(f);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

/** The records of a JSON-lines file of a run. */
const jsonLines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

const mlp = (latentDim: number, extra: Record<string, unknown> = {}) => ({ latentDim, encoder: { type: 'mlp', hidden: [16] }, decoder: { type: 'mlp', hidden: [16] }, ...extra });

/** Trains three tiny runs (one with a 2-D latent) for eval and compare. */
function tinyRuns(dir: string): string[] {
  return (
    [
      ['stripes-a', 2],
      ['stripes-b', 3],
      ['stripes-c', 2],
    ] as const
  ).map(([name, latent]) => trainStripes(dir, name, mlp(latent), { samples: 16 }));
}

describe('vaeflow eval and compare', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-report-'));
  let runs: string[] = [];

  it('eval writes eval.json with an importance-sampled NLL at or below the -ELBO', () => {
    runs = tinyRuns(dir);
    const r = vaeflow(['eval', runs[0], '--k', '200']);
    expect(r.status, r.stderr).toBe(0);
    const ev = JSON.parse(fs.readFileSync(path.join(runs[0], 'eval.json'), 'utf8'));
    expect(ev.k).toBe(200);
    expect(ev.parameters).toBe(660); // the stripes model: 16-16 encoder to (2 x 2), 2-16-16 decoder
    expect(ev.n).toBe(32);
    const test = jsonLines(path.join(runs[0], 'metrics.jsonl')).find((m) => m.split === 'test');
    expect(ev.nll).toBeLessThanOrEqual(-test.elbo + 0.5);
    expect(ev.nll).toBeLessThanOrEqual(-ev.elbo);
    expect(ev.reconstructionMse).toBeGreaterThan(0);
    // latent usage: as many variances (and per-dimension KLs, a diagonal posterior) as latent dimensions
    const L = JSON.parse(fs.readFileSync(path.join(runs[0], 'manifest.json'), 'utf8')).model.latentDim;
    expect(ev.latentUsage.variance).toHaveLength(L);
    expect(ev.latentUsage.klPerDim).toHaveLength(L);
    expect(ev.activeUnits).toBe(ev.latentUsage.variance.filter((v: number) => v > 0.01).length);
    expect(r.stderr).toMatch(new RegExp(`${ev.activeUnits} of ${L} latent dimensions active`));
    // ELBO surgery: the KL term is I(x; z) plus the aggregate posterior's KL, I(x; z) at most log n
    expect(ev.elboSurgery.kl).toBeCloseTo(ev.elboSurgery.mutualInformation + ev.elboSurgery.marginalKl, 6);
    expect(ev.elboSurgery.mutualInformation).toBeLessThanOrEqual(Math.log(ev.n) + 1e-6);
    expect(ev.elboSurgery.marginalKl).toBeGreaterThan(-0.5);
  });

  it('eval --ex-post-gmm scores the model with its prior replaced by a mixture fitted to the training codes, on the same draws', () => {
    const r = vaeflow(['eval', runs[2], '--k', '50', '--ex-post-gmm', '3']);
    expect(r.status, r.stderr).toBe(0);
    const ev = JSON.parse(fs.readFileSync(path.join(runs[2], 'eval.json'), 'utf8'));
    expect(ev.exPostGmm).toMatchObject({ components: 3, k: 50, n: 32 });
    expect(Number.isFinite(ev.exPostGmm.nll)).toBe(true);
    // another prior, so another bound of the same decoder: a mixture of the aggregate posterior's draws
    // is close to what the N(0, I) prior was trained towards, within a few nats here
    expect(ev.exPostGmm.nll).not.toBe(ev.nll);
    expect(Math.abs(ev.exPostGmm.nll - ev.nll)).toBeLessThan(5);
    expect(fs.existsSync(path.join(runs[2], 'ex-post', 'gmm-3.json'))).toBe(true);
    expect(r.stderr).toMatch(/fitted a 3-component Gaussian mixture/);
  });

  it('training.usageEvery logs I(x; z), the marginal KL and the KL per dimension per epoch', () => {
    const out = trainStripes(dir, 'usage', mlp(3), { samples: 0, usageEvery: 1, usageExamples: 20 });
    const val = jsonLines(path.join(out, 'metrics.jsonl')).filter((m) => m.split === 'val');
    expect(val).toHaveLength(2);
    for (const m of val) {
      // a one-sample Monte Carlo estimate: near zero it can dip a little below
      expect(m.mutualInformation).toBeGreaterThan(-0.5);
      expect(m.mutualInformation).toBeLessThanOrEqual(Math.log(20) + 1e-6);
      expect(Number.isFinite(m.marginalKl)).toBe(true);
    }
    const usage = jsonLines(path.join(out, 'latent-usage.jsonl'));
    expect(usage.map((u) => u.epoch)).toEqual([1, 2]);
    for (const u of usage) {
      expect(u.n).toBe(20);
      expect(u.klPerDim).toHaveLength(3);
      // the ELBO surgery identity: the KL term is I(x; z) plus the marginal KL, and the KL term is the sum over dimensions
      expect(u.mutualInformation + u.marginalKl).toBeCloseTo(
        u.klPerDim.reduce((a: number, b: number) => a + b, 0),
        2,
      );
    }
  });

  it('training.flowHealthEvery logs every posterior flow layer, finite, with a small inverse round trip', () => {
    const out = trainStripes(dir, 'health', mlp(3, { flows: [{ type: 'iaf', steps: 2, hidden: [8] }] }), { samples: 0, flowHealthEvery: 4 }, ['@vaeflow/flows-iaf']);
    const records = jsonLines(path.join(out, 'flow-health.jsonl'));
    expect(records.length).toBeGreaterThanOrEqual(2);
    for (const rec of records) {
      expect(rec.layers.map((l: { index: number }) => l.index)).toEqual([0]);
      expect(rec.layers[0].nonFinite).toBeNull();
      expect(rec.layers[0].roundTripError).toBeLessThan(1e-3);
    }
  });

  it("eval runs every posterior flow's own checks on the split (O-SNF: Q orthonormal for each example) and says they hold", () => {
    const out = trainStripes(dir, 'osnf', mlp(3, { flows: [{ type: 'sylvester', variant: 'orthogonal', layers: 2 }] }), { samples: 0 }, ['@vaeflow/flows-sylvester']);
    const r = vaeflow(['eval', out, '--k', '10']);
    expect(r.status, r.stderr).toBe(0);
    const ev = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
    // the plugin's two layers are one flow in the model's list, each layer checked at its own input
    expect(ev.flowChecks.map((l: { index: number; id: string }) => [l.index, l.id])).toEqual([[0, 'sylvester-orthogonal']]);
    const checks = ev.flowChecks[0].checks;
    expect(Object.keys(checks)).toEqual(['orthogonality (layer 0)', 'orthogonality (layer 1)']);
    for (const c of Object.values(checks)) expect(c).toMatchObject({ over: 0, n: ev.n, limit: 2e-5 });
    expect(r.stderr).toMatch(/every posterior flow check holds on all 32 examples \(flow 0 orthogonality \(layer 0\) at most [0-9.e-]+, flow 0 orthogonality \(layer 1\) at most/);
  });

  it('eval --ais gives an annealed lower bound and --bdmc the sandwich on simulated data; --bdmc alone is refused', () => {
    const r = vaeflow(['eval', runs[1], '--k', '50', '--ais', '20', '--ais-limit', '6', '--bdmc', '3', '--gaps', '6']);
    expect(r.status, r.stderr).toBe(0);
    const ev = JSON.parse(fs.readFileSync(path.join(runs[1], 'eval.json'), 'utf8'));
    expect(ev.ais).toMatchObject({ steps: 20, n: 6 });
    expect(Number.isFinite(ev.ais.nll)).toBe(true);
    expect(ev.ais.acceptance).toBeGreaterThan(0);
    expect(ev.bdmc).toMatchObject({ steps: 20, n: 3 });
    expect(ev.bdmc.gap).toBeCloseTo(ev.bdmc.upper - ev.bdmc.lower, 10);
    // the inference gap split: log p(x) - amortised ELBO = approximation + amortisation
    expect(ev.inferenceGaps).toMatchObject({ n: 6, logPxFrom: 'AIS, 20 steps' });
    // on the examples AIS already ran on, the split takes its log p(x) from the same estimates
    expect(ev.inferenceGaps.logPx).toBeCloseTo(-ev.ais.nll, 9);
    expect(ev.inferenceGaps.logPx - ev.inferenceGaps.elboAmortised).toBeCloseTo(ev.inferenceGaps.approximation + ev.inferenceGaps.amortisation, 6);
    const alone = vaeflow(['eval', runs[1], '--bdmc', '3']);
    expect(alone.status).toBe(1);
    expect(alone.stderr).toMatch(/--bdmc needs --ais <steps>/);
  });

  it('compare writes one self-contained HTML report of every run', () => {
    const out = path.join(dir, 'report.html');
    // the three evaluated runs, the one trained with training.usageEvery and the one with training.flowHealthEvery
    const r = vaeflow(['compare', ...runs, path.join(dir, 'usage'), path.join(dir, 'health'), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    for (const name of ['stripes-a', 'stripes-b', 'stripes-c']) expect(html).toContain(name);
    expect(html).toContain('<h2>Latent usage</h2>');
    expect(html).toContain('usage: I(x; z)');
    expect(html).toContain('<h2>Flow health</h2>');
    expect(html).toContain('flow 0 (iaf): round-trip error');
    // Every number says how many examples it averages: the test -ELBO over all 32, the NLL over the evaluated ones.
    expect(html).toMatch(/\(n=32\)/);
    expect(html).toMatch(/\(K=200, n=32\)/);
    // the evaluated run shows its active units out of its latent dimensions
    const ev = JSON.parse(fs.readFileSync(path.join(runs[0], 'eval.json'), 'utf8'));
    expect(html).toContain(`<td>${ev.activeUnits} / ${ev.latentUsage.variance.length}</td>`);
    // the ELBO surgery of the evaluated runs and the AIS / BDMC figures of the one evaluated with them
    expect(html).toContain('<th title="I(x; z), ELBO surgery">I(x;z)</th>');
    expect(html).toMatch(/\(20 steps, n=6\)/);
    expect(html).toContain('>approx. gap</th>');
    expect(html).toContain('data:image/png;base64,');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it.skipIf(!chromium)(`renders in headless Chromium with no console errors, showing every run${chromium ? '' : " (skipped: no /usr/bin/chromium; .ci/run installs Debian's chromium)"}`, async () => {
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.launch({
      executablePath: chromium,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${path.join(dir, 'report.html')}`);
      await page.waitForFunction(() => (window as unknown as { Chart?: { instances: object } }).Chart !== undefined);
      const text = await page.textContent('#metrics');
      for (const name of ['stripes-a', 'stripes-b', 'stripes-c']) expect(text).toContain(name);
      const charts = await page.evaluate(() => Object.keys((window as unknown as { Chart: { instances: object } }).Chart.instances).length);
      // learning curves, two 2-D latent scatters, I(x; z) per epoch, the KL per dimension of the three evaluated runs, the flow health of one
      expect(charts).toBe(8);
      const images = await page.$$eval('img', (imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length);
      expect(images).toBe(10);
      await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });
      expect(fs.statSync(path.join(dir, 'report.png')).size).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
