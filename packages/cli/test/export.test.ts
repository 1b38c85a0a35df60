import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend, tf } from '@vaeflow/core';
import { servePage } from '@vaeflow/web';
import { loadRun } from '../src/run-folder.js';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'packages/cli/bin/vaeflow.js');
const vaeflow = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const skipNote = chromium ? '' : " (skipped: no /usr/bin/chromium; .ci/run installs Debian's chromium)";

/** Serves an exported page and opens it in Chromium; `close` shuts both. Console errors and page errors are collected. */
async function openPage(pageDir: string, query: string) {
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox'] });
  const { server, url } = await servePage(pageDir);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(`${url}${query}`);
  await page.evaluate(() => (window as unknown as { vaeflow: { ready: Promise<unknown> } }).vaeflow.ready);
  return {
    page,
    errors,
    close: async () => {
      server.close();
      await browser.close();
    },
  };
}

/**
 * A tiny run on the stripes fixture; `withIaf` adds an IAF posterior, so the page must bundle
 * @vaeflow/flows-iaf; `conditional` trains a label-conditional VAE (per-class prior).
 */
function tinyRun(dir: string, name: string, latentDim: number, withIaf: boolean, conditional = false): string {
  const f = path.join(__dirname, 'fixtures', `.${name}-${process.pid}.json`);
  fs.writeFileSync(
    f,
    JSON.stringify({
      name,
      plugins: ['./tiny-data-plugin.cjs', ...(withIaf ? ['@vaeflow/flows-iaf'] : [])],
      seed: 5,
      data: { type: 'stripes', condition: conditional },
      model: {
        latentDim,
        encoder: { type: 'mlp', hidden: [16] },
        decoder: { type: 'mlp', hidden: [16] },
        ...(withIaf ? { flows: [{ type: 'iaf', hidden: [16] }] } : {}),
        ...(conditional ? { prior: { type: 'conditional-gaussian' } } : {}),
      },
      training: { epochs: 3, batchSize: 32, samples: 16 },
    }),
  );
  const out = path.join(dir, name);
  const r = vaeflow(['train', f, '--out', out]);
  fs.rmSync(f);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

describe('vaeflow export: a trained model as a static page', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-export-'));
  let run2d = '';
  let runIaf = '';

  beforeAll(async () => {
    await selectBackend('cpu'); // Node's reference values for the page's decoder
    run2d = tinyRun(dir, 'stripes-2d', 2, false);
    runIaf = tinyRun(dir, 'stripes-iaf', 3, true);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the page, its script, the weights, the test examples and the wasm binaries into <run>/page', () => {
    for (const run of [run2d, runIaf]) {
      const r = vaeflow(['export', run]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(path.join(run, 'page'));
      const files = fs.readdirSync(path.join(run, 'page')).sort();
      expect(files).toEqual(['examples.bin', 'index.html', 'model.json', 'page.js', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm', 'weights.bin']);
      const meta = JSON.parse(fs.readFileSync(path.join(run, 'page', 'model.json'), 'utf8'));
      expect(meta.examples).toEqual({ n: 32, encoding: 'uint8', valueBytes: 32 * 16, labelled: true });
      const floats = meta.weights.reduce((a: number, w: { shape: number[] }) => a + w.shape.reduce((x, y) => x * y, 1), 0);
      expect(fs.statSync(path.join(run, 'page', 'weights.bin')).size).toBe(4 * floats);
      expect(r.stderr).toMatch(/MB in all/);
    }
    // the IAF run's page bundles the IAF plugin, not the (Node-only) dataset plugin
    const html = fs.readFileSync(path.join(runIaf, 'page', 'index.html'), 'utf8');
    expect(html).toContain('<script src="page.js"></script>');
    const meta = JSON.parse(fs.readFileSync(path.join(runIaf, 'page', 'model.json'), 'utf8'));
    expect(meta.weights.some((w: { name: string }) => /flow/i.test(w.name))).toBe(true);
    // vaeflow compare links each run's page
    const report = path.join(dir, 'report.html');
    const c = vaeflow(['compare', run2d, runIaf, '--out', report]);
    expect(c.status, c.stderr).toBe(0);
    const text = fs.readFileSync(report, 'utf8');
    expect(text).toContain('href="stripes-2d/page/index.html"');
    expect(text).toContain('href="stripes-iaf/page/index.html"');
  });

  it.skipIf(!chromium)(`shows a sequence model's samples as the architectures the dataset decodes them to${skipNote}`, async () => {
    const run = path.join(dir, 'arch-seq');
    const m = JSON.parse(fs.readFileSync(path.join(root, 'examples/arch-seq-vae.json'), 'utf8'));
    m.data = { ...m.data, nTrain: 256, nVal: 64, nTest: 64 };
    const f = path.join(dir, 'arch-seq.json');
    fs.writeFileSync(f, JSON.stringify(m));
    const t = vaeflow(['train', f, '--out', run, '--epochs', '1', '--steps-per-epoch', '3']);
    expect(t.status, t.stderr).toBe(0);
    const e = vaeflow(['export', run]);
    expect(e.status, e.stderr).toBe(0);
    const { page, errors, close } = await openPage(path.join(run, 'page'), '?backend=wasm');
    try {
      const samples = (await page.textContent('#samples')) ?? '';
      // 16 lines, each a decoded architecture such as "✓ conv(32) -> activation(relu) -> dense(64)" or "✗ ... (why)"
      const lines = samples.trim().split('\n');
      expect(lines).toHaveLength(16);
      for (const l of lines) expect(l).toMatch(/^\s*\d+\. [✓✗] /);
      await page.click('#sample');
      expect(await page.textContent('#samples')).not.toBe(samples);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it.skipIf(!chromium)(`plots a 2-D flow model's samples over the test data${skipNote}`, async () => {
    const run = path.join(dir, 'moons');
    const t = vaeflow(['train', 'examples/two-moons-flow.json', '--out', run, '--epochs', '1', '--steps-per-epoch', '3']);
    expect(t.status, t.stderr).toBe(0);
    expect(vaeflow(['export', run]).status).toBe(0);
    const { page, errors, close } = await openPage(path.join(run, 'page'), '?backend=cpu');
    try {
      expect(await page.$eval('#samples', (el) => el.tagName)).toBe('CANVAS');
      const before = await page.$eval('#samples', (c) => (c as HTMLCanvasElement).toDataURL());
      await page.click('#sample');
      expect(await page.$eval('#samples', (c) => (c as HTMLCanvasElement).toDataURL())).not.toBe(before);
      expect(await page.textContent('#samples-note')).toContain('Samples x = f(z) of the flow model');
      expect(await page.isHidden('#latent-section')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it.skipIf(!chromium)(`lets a conditional model's page choose the class it decodes for, matching Node's decoder for that class${skipNote}`, async () => {
    const run = tinyRun(dir, 'stripes-cvae', 2, false, true);
    const e = vaeflow(['export', run]);
    expect(e.status, e.stderr).toBe(0);
    const meta = JSON.parse(fs.readFileSync(path.join(run, 'page', 'model.json'), 'utf8'));
    expect(meta.dataset).toMatchObject({ conditionDim: 4, conditionNames: ['top', 'second', 'third', 'bottom'] });
    // the examples carry the data columns only (16 values each); their labels follow them
    expect(meta.examples).toMatchObject({ n: 32, valueBytes: 32 * 16, labelled: true });
    const node = await loadRun(run);
    const z = [
      [0, 0],
      [0.7, -1.1],
    ];
    const expected = tf.tidy(() => node.model.decodeMean!(tf.tensor2d(z), tf.tensor2d([0, 0, 1, 0, 0, 0, 1, 0], [2, 4])).arraySync() as number[][]);
    node.model.dispose();
    const { page, errors, close } = await openPage(path.join(run, 'page'), '?backend=cpu');
    try {
      expect(await page.isVisible('#class-picker')).toBe(true);
      expect(await page.$$eval('#class option', (o) => o.map((x) => x.textContent))).toEqual(['top', 'second', 'third', 'bottom']);
      const pixels = (id: string) => page.$eval(`#${id}`, (c) => (c as HTMLCanvasElement).toDataURL());
      const [samples, manifold] = [await pixels('samples'), await pixels('manifold')];
      await page.selectOption('#class', '2');
      expect(await pixels('samples')).not.toBe(samples);
      expect(await pixels('manifold')).not.toBe(manifold);
      const got = await page.evaluate((zz) => (window as unknown as { vaeflow: { decode(z: number[][]): number[][] } }).vaeflow.decode(zz), z);
      expect(Math.max(...got.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected[i][j]))))).toBeLessThan(1e-4);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('refuses to write into a folder holding other files, and into the run folder itself', () => {
    const busy = path.join(dir, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    const r = vaeflow(['export', run2d, '--out', busy]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`--out ${busy} holds other files (notes.txt)`);
    expect(fs.readFileSync(path.join(busy, 'notes.txt'), 'utf8')).toBe('mine');
    const self = vaeflow(['export', run2d, '--out', run2d]);
    expect(self.status).not.toBe(0);
    expect(self.stderr).toMatch(/--out (must not be the run folder|.* holds other files)/);
  });

  it("serves only the page folder's own files", async () => {
    const { server, url } = await servePage(path.join(run2d, 'page'));
    try {
      expect((await fetch(`${url}model.json`)).status).toBe(200);
      expect((await fetch(`${url}%2e%2e/manifest.json`)).status).toBe(404);
      expect((await fetch(`${url}..%2fmanifest.json`)).status).toBe(404);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    } finally {
      server.close();
    }
  });

  it.skipIf(!chromium)(
    `runs in headless Chromium: samples on a click, a slider moves the traversal, a drawing is reconstructed, no console errors, and the decoder matches Node's within 1e-4${skipNote}`,
    async () => {
      const { chromium: pw } = await import('playwright-core');
      const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
      const shots = path.join(dir, 'screenshots');
      fs.mkdirSync(shots);
      try {
        for (const run of [run2d, runIaf]) {
          const { server, url } = await servePage(path.join(run, 'page'));
          try {
            const node = await loadRun(run);
            const L = node.model.latentDim;
            const z = [Array(L).fill(0), Array.from({ length: L }, (_, i) => (i % 2 ? -1.3 : 0.8)), Array.from({ length: L }, (_, i) => 2 - i)];
            const expected = tf.tidy(() => node.model.decodeMean!(tf.tensor2d(z)).arraySync() as number[][]);
            for (const backend of ['', '?backend=wasm', '?backend=cpu']) {
              const page = await browser.newPage({ viewport: { width: 1200, height: 1800 } });
              const errors: string[] = [];
              page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
              page.on('pageerror', (e) => errors.push(String(e)));
              await page.goto(`${url}${backend}`);
              const timing = await page.evaluate(() => (window as unknown as { vaeflow: { ready: Promise<{ backend: string; firstSampleMs: number }> } }).vaeflow.ready);
              if (backend) expect(timing.backend).toBe(backend.split('=')[1]);
              expect(timing.firstSampleMs).toBeGreaterThan(0);
              const got = await page.evaluate((zz) => (window as unknown as { vaeflow: { decode(z: number[][]): number[][] } }).vaeflow.decode(zz), z);
              const diff = Math.max(...got.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected[i][j]))));
              expect(diff, `${path.basename(run)} on ${timing.backend}`).toBeLessThan(1e-4);
              if (backend === '') {
                const pixels = (id: string) => page.$eval(`#${id}`, (c) => (c as HTMLCanvasElement).toDataURL());
                const before = await pixels('samples');
                await page.click('#sample');
                expect(await pixels('samples')).not.toBe(before);
                const traversal = await pixels('traversal');
                const slider = page.locator('#sliders input').first();
                await slider.fill('2.5');
                expect(await pixels('traversal')).not.toBe(traversal);
                const input = await pixels('draw-input');
                const codeBefore = await page.textContent('#draw-code');
                await page.locator('#draw').scrollIntoViewIfNeeded();
                const box = (await page.locator('#draw').boundingBox())!;
                await page.mouse.move(box.x + 40, box.y + box.height * 0.3);
                await page.mouse.down();
                await page.mouse.move(box.x + box.width - 40, box.y + box.height * 0.3, { steps: 8 });
                await page.mouse.up();
                expect(await page.textContent('#draw-code')).not.toBe(codeBefore);
                expect(await pixels('draw-input')).not.toBe(input);
                await page.screenshot({ path: path.join(shots, `${path.basename(run)}.png`), fullPage: true });
                expect(fs.statSync(path.join(shots, `${path.basename(run)}.png`)).size).toBeGreaterThan(10_000);
              }
              expect(errors).toEqual([]);
              await page.close();
            }
            node.model.dispose();
          } finally {
            server.close();
          }
        }
      } finally {
        await browser.close();
      }
    },
  );
});
