import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'packages/cli/bin/vaeflow.js');
const vaeflow = (args: string[], cwd = root) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-cli-'));

function writeManifest(dir: string, m: unknown, name = 'm.json'): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, JSON.stringify(m, null, 2));
  return f;
}

const stripes = (extra: Record<string, unknown> = {}) => ({
  name: 'stripes',
  plugins: [path.join(__dirname, 'fixtures/tiny-data-plugin.cjs')],
  seed: 2,
  data: { type: 'stripes' },
  model: { latentDim: 2, encoder: { type: 'mlp', hidden: [16] }, decoder: { type: 'mlp', hidden: [16] } },
  training: { epochs: 3, batchSize: 32, samples: 16 },
  ...extra,
});

describe('vaeflow validate', () => {
  const example = JSON.parse(fs.readFileSync(path.join(root, 'examples/mnist-vae.json'), 'utf8'));
  const cases: [string, (m: any) => void, RegExp][] = [
    ['a misspelled key', (m) => (m.training.learningrate = 0.1), /\/training\/learningrate: unknown key "learningrate" \(did you mean "learningRate"\?\)/],
    ['a wrong type', (m) => (m.model.encoder.hidden = '512'), /\/model\/encoder\/hidden: must be array/],
    ['a negative latent size', (m) => (m.model.latentDim = -2), /\/model\/latentDim: must be >= 1/],
    ['an unknown flow type', (m) => (m.model.flows = [{ type: 'iaf' }]), /\/model\/flows\/0\/type: .*@vaeflow\/flows-iaf/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`exits 1 naming the JSON path for ${what}`, () => {
      const m = structuredClone(example);
      mutate(m);
      const dir = tmp();
      fs.mkdirSync(path.join(dir, 'node_modules'));
      const r = vaeflow(['validate', writeManifest(path.join(root, 'examples'), m, `.bad-${process.pid}-${cases.findIndex((c) => c[0] === what)}.json`)]);
      fs.rmSync(path.join(root, 'examples', `.bad-${process.pid}-${cases.findIndex((c) => c[0] === what)}.json`));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it('exits 0 for the reference example', () => {
    const r = vaeflow(['validate', 'examples/mnist-vae.json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('reports invalid JSON with its line', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'broken.json'), '{\n  "name": "x",\n  oops\n}');
    const r = vaeflow(['validate', path.join(dir, 'broken.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not valid JSON at line 3/);
  });

  it('rejects --limit-train for a dataset without that option, naming it', () => {
    const dir = tmp();
    const r = vaeflow(['train', writeManifest(dir, { ...stripes(), plugins: [path.join(__dirname, 'fixtures/tiny-data-plugin.cjs')] }), '--limit-train', '10', '--out', path.join(dir, 'run')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\/data\/limitTrain: unknown key "limitTrain".*--limit-train/);
  });

  it('names a plugin package that is not installed', () => {
    const dir = tmp();
    const r = vaeflow(['validate', writeManifest(dir, stripes({ plugins: ['@vaeflow/flows-nope'] }))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\/plugins\/0: plugin package "@vaeflow\/flows-nope" is not installed; run: npm install @vaeflow\/flows-nope/);
  });
});

describe('vaeflow train, sample, plugins, schema', () => {
  it('trains a manifest whose plugin is a relative path, then samples from the run', () => {
    const dir = tmp();
    // The manifest sits beside the plugin file, which finds @vaeflow/core through this repo's node_modules.
    const f = writeManifest(path.join(__dirname, 'fixtures'), { ...stripes(), plugins: ['./tiny-data-plugin.cjs'] }, `.stripes-${process.pid}.json`);
    const out = path.join(dir, 'run');
    const r = vaeflow(['train', f, '--out', out, '--backend', 'wasm']);
    fs.rmSync(f);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend wasm/);
    const lines = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.split === 'val').length).toBe(3);
    const test = lines.find((l) => l.split === 'test');
    expect(test.elbo).toBeLessThan(0);
    expect(fs.existsSync(path.join(out, 'samples/epoch-003.png'))).toBe(true);
    const s = vaeflow(['sample', out, '--n', '9', '--out', path.join(dir, 's.png')]);
    expect(s.status, s.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 's.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('samples 2-D data as a figure with axes and a title (SVG), during training and after, or as a plain raster with --out FILE.png', () => {
    const dir = tmp();
    const out = path.join(dir, 'moons');
    const r = vaeflow(['train', 'examples/two-moons-vae.json', '--out', out, '--epochs', '1', '--steps-per-epoch', '3']);
    expect(r.status, r.stderr).toBe(0);
    // the trainer's own per-epoch samples are figures with axes too
    const epochFigure = fs.readFileSync(path.join(out, 'samples', 'epoch-001.svg'), 'utf8');
    for (const text of ['x₁', 'x₂', 'samples after epoch 1 (two-moons-vae)']) expect(epochFigure).toContain(text);
    expect(fs.readFileSync(path.join(out, 'samples', 'final.svg'), 'utf8')).toContain('samples from the prior');
    const s = vaeflow(['sample', out, '--n', '50']);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout.trim()).toBe(path.join(out, 'samples', 'samples-50-seed0.svg'));
    const svg = fs.readFileSync(s.stdout.trim(), 'utf8');
    expect(svg).toMatch(/^<svg/);
    for (const text of ['x₁', 'x₂', '50 samples from two-moons-vae']) expect(svg).toContain(text);
    const png = vaeflow(['sample', out, '--n', '50', '--out', path.join(dir, 's.png')]);
    expect(png.status, png.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 's.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('trains a label-conditional VAE on MNIST, samples one class or one row per class, evaluates it, and refuses what cannot take a label', () => {
    const dir = tmp();
    const out = path.join(dir, 'cvae');
    const r = vaeflow(['train', 'examples/mnist-cvae.json', '--out', out, '--epochs', '1', '--steps-per-epoch', '4', '--limit-train', '600', '--limit-test', '40']);
    expect(r.status, r.stderr).toBe(0);
    const pngSize = (f: string) => {
      const b = fs.readFileSync(f);
      return [b.readUInt32BE(16), b.readUInt32BE(20)];
    };
    const three = vaeflow(['sample', out, '--n', '8', '--label', '3']);
    expect(three.status, three.stderr).toBe(0);
    expect(three.stdout.trim()).toBe(path.join(out, 'samples', 'samples-8-seed0-class3.png'));
    // one row per class: 10 rows of ceil(25 / 10) = 3 images, 28 px at scale 2 with 2 px gaps
    const byClass = vaeflow(['sample', out, '--n', '25']);
    expect(byClass.status, byClass.stderr).toBe(0);
    const [w, h] = pngSize(byClass.stdout.trim());
    expect(h / w).toBeCloseTo(10 / 3, 1);
    const bad = vaeflow(['sample', out, '--label', 'Trouser']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--label Trouser: expected a class index 0-9 or one of "0"/);
    const e = vaeflow(['eval', out, '--k', '20', '--limit', '20']);
    expect(e.status, e.stderr).toBe(0);
    const evaluation = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
    expect(Number.isFinite(evaluation.nll)).toBe(true);
    expect(evaluation.reconstructionMse).toBeGreaterThan(0);
    const ais = vaeflow(['eval', out, '--k', '5', '--limit', '5', '--ais', '3', '--ais-limit', '2']);
    expect(ais.status, ais.stderr).toBe(0);
    expect(Number.isFinite(JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')).ais.nll)).toBe(true);
    const bdmc = vaeflow(['eval', out, '--k', '5', '--limit', '5', '--ais', '3', '--ais-limit', '2', '--bdmc', '2']);
    expect(bdmc.status, bdmc.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')).bdmc.n).toBe(2);
    const plain = path.join(dir, 'plain');
    expect(vaeflow(['train', 'examples/mnist-vae.json', '--out', plain, '--epochs', '1', '--steps-per-epoch', '2', '--limit-train', '300', '--limit-test', '20']).status).toBe(0);
    expect(vaeflow(['sample', plain, '--label', '3']).stderr).toMatch(/--label needs a conditional model/);
  });

  it('resumes a run killed with SIGKILL mid-epoch and finishes it', async () => {
    const dir = tmp();
    const out = path.join(dir, 'run');
    const f = writeManifest(dir, stripes({ data: { type: 'stripes', n: 8192 }, training: { epochs: 3, batchSize: 16, samples: 0 } }));
    const child = spawn(process.execPath, [bin, 'train', f, '--out', out], { cwd: root, stdio: 'ignore' });
    const latest = path.join(out, 'checkpoints/latest/model.json');
    const deadline = Date.now() + 90_000;
    while (!fs.existsSync(latest) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const state = JSON.parse(fs.readFileSync(latest, 'utf8')).trainingState;
    expect(state.epoch).toBe(1);
    const r = vaeflow(['train', f, '--out', out, '--resume']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming .* after epoch 1/);
    const lines = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.epoch}:${l.split}`).slice(0, 6)).toEqual(['1:train', '1:val', '2:train', '2:val', '3:train', '3:val']);
    expect(lines.at(-1).split).toBe('test');
  });

  it('lists installed plugins with versions and component types', () => {
    const r = vaeflow(['plugins', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const { plugins } = JSON.parse(r.stdout);
    const datasets = plugins.find((p: { name: string }) => p.name === '@vaeflow/datasets');
    expect(datasets.version).toBe(JSON.parse(fs.readFileSync(path.join(root, 'packages/datasets/package.json'), 'utf8')).version);
    expect(datasets.components.map((c: { type: string }) => c.type)).toEqual(expect.arrayContaining(['mnist', 'fashion-mnist', 'two-moons']));
    expect(plugins.find((p: { name: string }) => p.name === '@vaeflow/core').components.length).toBeGreaterThan(5);
  });

  it('prints a JSON schema that knows installed components', () => {
    const r = vaeflow(['schema']);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(JSON.stringify(schema.properties.data)).toContain('"mnist"');
    // The file the examples name ($schema: ../vaeflow.schema.json) is this output (npm run schema writes it).
    expect(fs.readFileSync(path.join(root, 'vaeflow.schema.json'), 'utf8')).toBe(r.stdout);
    const named = fs
      .readdirSync(path.join(root, 'examples'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')).$schema)
      .filter(Boolean);
    expect(new Set(named)).toEqual(new Set(['../vaeflow.schema.json']));
  });

  it('prints a schema that includes the plugins a manifest names by path', () => {
    const f = writeManifest(tmp(), stripes());
    const r = vaeflow(['schema', f]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(r.stdout).properties.data)).toContain('"stripes"');
    expect(JSON.stringify(JSON.parse(vaeflow(['schema']).stdout).properties.data)).not.toContain('"stripes"');
  });
});
