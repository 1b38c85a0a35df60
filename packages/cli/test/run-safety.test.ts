import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// What a crash, a clumsy command or a second process must never do to a run folder.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'packages/cli/bin/vaeflow.js');
const faults = path.join(__dirname, 'fixtures/fault-injection.cjs');
const env = { ...process.env, CI: 'true' };
const vaeflow = (args: string[], extraEnv: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...env, ...extraEnv } });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-safety-'));

function stripesManifest(dir: string, training: Record<string, unknown> = {}): string {
  const f = path.join(dir, 'stripes.json');
  fs.writeFileSync(
    f,
    JSON.stringify({
      name: 'stripes',
      plugins: [path.join(__dirname, 'fixtures/tiny-data-plugin.cjs')],
      seed: 5,
      data: { type: 'stripes', n: 256 },
      model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] } },
      training: { epochs: 2, batchSize: 32, samples: 4, ...training },
    }),
  );
  return f;
}

/** Every file of a run folder by content; metrics lines without their timings. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'metrics.jsonl') {
        out[rel] = fs
          .readFileSync(p, 'utf8')
          .trim()
          .split('\n')
          .map((l) => {
            const { examplesPerSec, seconds, rssMiB, tensorMiB, ...rest } = JSON.parse(l);
            void [examplesPerSec, seconds, rssMiB, tensorMiB];
            return JSON.stringify(rest);
          })
          .join('\n');
      } else out[rel] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function run(args: string[], extraEnv: Record<string, string>): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', faults, bin, ...args], { cwd: root, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

describe('crash safety', () => {
  it('a training killed at any file-system change in its run folder resumes to the uninterrupted result, file for file', async () => {
    const dir = tmp();
    const manifest = stripesManifest(dir);
    const reference = path.join(dir, 'reference');
    const countFile = path.join(dir, 'count');
    const ref = await run(['train', manifest, '--out', reference, '--backend', 'cpu'], { VAEFLOW_FAULT_DIR: reference, VAEFLOW_FAULT_COUNT_FILE: countFile });
    expect(ref.status, ref.stderr).toBe(0);
    const changes = Number(fs.readFileSync(countFile, 'utf8'));
    // manifest, lock, 2 epochs x (2 metrics lines, best, latest, a sample grid), the test line, the final grid
    expect(changes).toBeGreaterThan(40);
    const expected = snapshot(reference);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['metrics.jsonl', 'checkpoints/best/weights.bin', 'checkpoints/latest/model.json', 'samples/epoch-002.png', 'samples/final.png']));

    const failures: string[] = [];
    const killAt = async (at: number) => {
      const out = path.join(dir, `kill-${at}`);
      const killed = await run(['train', manifest, '--out', out, '--backend', 'cpu'], { VAEFLOW_FAULT_DIR: out, VAEFLOW_FAULT_AT: String(at) });
      if (killed.signal !== 'SIGKILL') return failures.push(`change ${at}: the process was not killed (${killed.status}): ${killed.stderr.slice(-300)}`);
      // As a sweep worker does: resume when a checkpoint exists, otherwise start again.
      const resumable = ['latest', 'best', '.latest.old', '.best.old'].some((c) => fs.existsSync(path.join(out, 'checkpoints', c, 'model.json')));
      const again = await run(['train', manifest, '--out', out, '--backend', 'cpu', resumable ? '--resume' : '--force'], { VAEFLOW_FAULT_DIR: out });
      if (again.status !== 0) return failures.push(`change ${at}: ${resumable ? '--resume' : '--force'} failed: ${again.stderr.slice(-400)}`);
      const got = snapshot(out);
      const differ = [...new Set([...Object.keys(expected), ...Object.keys(got)])].filter((k) => expected[k] !== got[k]);
      if (differ.length) failures.push(`change ${at}: ${differ.join(', ')} differ`);
      fs.rmSync(out, { recursive: true, force: true });
    };
    const points = Array.from({ length: changes }, (_, i) => i + 1);
    const workers = Array.from({ length: 2 }, async () => {
      while (points.length) await killAt(points.shift()!);
    });
    await Promise.all(workers);
    expect(failures).toEqual([]);
  }, 600_000);
});

describe('clumsy commands', () => {
  it("resume with the run's own manifest: a differing source is refused, the run folder alone resumes, --epochs extends", () => {
    const dir = tmp();
    const manifest = stripesManifest(dir, { samples: 0 });
    const out = path.join(dir, 'run');
    expect(vaeflow(['train', manifest, '--out', out, '--backend', 'cpu']).status).toBe(0);
    const before = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    // The source manifest changed after the run was made.
    const changed = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    changed.training.batchSize = 16;
    changed.data.n = 512;
    fs.writeFileSync(manifest, JSON.stringify(changed));
    const refused = vaeflow(['train', manifest, '--out', out, '--resume', '--backend', 'cpu']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/cannot resume .*the run's own manifest\.json differs at \/data\/n, \/training\/batchSize\. A run resumes with its own manifest: vaeflow train .* --resume/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
    // The run folder itself, and more epochs.
    const extended = vaeflow(['train', out, '--resume', '--epochs', '3', '--backend', 'cpu']);
    expect(extended.status, extended.stderr).toBe(0);
    expect(extended.stderr).toMatch(/resuming .* after epoch 2/);
    const lines = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.epoch}:${l.split}`).slice(0, 6)).toEqual(['1:train', '1:val', '2:train', '2:val', '3:train', '3:val']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).training.epochs).toBe(3);
    // Training again into the finished run without a flag is refused; nothing is lost.
    const again = vaeflow(['train', path.join(out, 'manifest.json'), '--out', out, '--backend', 'cpu']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/is not empty .*--resume continues the run there, --force replaces it/);
  }, 120_000);

  it('a second training into a folder that is being trained is refused', async () => {
    const dir = tmp();
    const manifest = stripesManifest(dir, { epochs: 200, samples: 0 });
    const out = path.join(dir, 'run');
    const first = spawn(process.execPath, [bin, 'train', manifest, '--out', out, '--backend', 'cpu'], { cwd: root, stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(path.join(out, 'metrics.jsonl')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const second = vaeflow(['train', manifest, '--out', out, '--force', '--backend', 'cpu']);
    first.kill('SIGKILL');
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`is being trained by process ${first.pid} on `));
  }, 120_000);

  const tfjsNode = (() => {
    try {
      require.resolve('@tensorflow/tfjs-node', { paths: [root] });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(tfjsNode)(`asking for a backend that is not installed is one line and exit 1${tfjsNode ? ' (skipped: @tensorflow/tfjs-node is installed here)' : ''}`, () => {
    const r = vaeflow(['train', stripesManifest(tmp()), '--backend', 'tensorflow', '--out', path.join(tmp(), 'r')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^vaeflow: backend "tensorflow" is not available here: /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('user mistakes are one line and exit 1; the evaluation is printed even when it cannot be saved', () => {
    const missing = vaeflow(['eval', path.join(tmp(), 'no-such-run')]);
    expect(missing.status).toBe(1);
    expect(
      missing.stderr
        .trim()
        .split('\n')
        .filter((l) => !/^vaeflow: backend/.test(l)),
    ).toEqual([expect.stringMatching(/is not a vaeflow run folder \(no manifest\.json\)/)]);
    const dir = tmp();
    const manifest = stripesManifest(dir, { epochs: 1, samples: 0 });
    const out = path.join(dir, 'run');
    expect(vaeflow(['train', manifest, '--out', out, '--backend', 'cpu']).status).toBe(0);
    // Damage the checkpoints without changing their size.
    for (const c of ['best', 'latest']) {
      const f = path.join(out, 'checkpoints', c, 'weights.bin');
      const bytes = fs.readFileSync(f);
      bytes[0] ^= 0xff;
      fs.writeFileSync(f, bytes);
    }
    const damaged = vaeflow(['sample', out, '--out', path.join(dir, 's.png')]);
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(/^vaeflow: .*weights\.bin does not match the checksum in model\.json: the checkpoint is damaged$/m);
    expect(damaged.stderr).not.toMatch(/\n\s+at /);
    // eval.json cannot be written (a folder is in its place): the numbers still reach stdout.
    expect(vaeflow(['train', manifest, '--out', out, '--force', '--backend', 'cpu']).status).toBe(0);
    fs.mkdirSync(path.join(out, 'eval.json'));
    const ev = vaeflow(['eval', out, '--k', '4', '--backend', 'cpu']);
    expect(ev.status).toBe(1);
    expect(JSON.parse(ev.stdout).nll).toBeGreaterThan(0);
    expect(ev.stderr).toMatch(/the evaluation above could not be saved to .*eval\.json/);
  }, 120_000);
});

describe('code from unexpected places', () => {
  /** A plugin file that leaves a mark when imported, then exports a harmless plugin. */
  const marking = (marker: string) => `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'imported');\nmodule.exports = { name: 'marking', version: '1.0.0', components: [] };\n`;

  it("a node_modules beside a downloaded manifest does not shadow the project's packages", () => {
    const dir = tmp();
    const marker = path.join(dir, 'marker');
    const fake = path.join(dir, 'node_modules/@vaeflow/datasets');
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(path.join(fake, 'package.json'), JSON.stringify({ name: '@vaeflow/datasets', version: '9.9.9', main: 'index.js' }));
    fs.writeFileSync(path.join(fake, 'index.js'), marking(marker));
    const m = JSON.parse(fs.readFileSync(path.join(root, 'examples/mnist-vae.json'), 'utf8'));
    delete m.$schema;
    m.training.learningrate = 1; // invalid, too: validate must still not run the stranger's code
    fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify(m));
    const r = vaeflow(['validate', path.join(dir, 'm.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/learningrate/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("plugin files outside the project and the manifest's folder are refused, naming both", () => {
    const dir = tmp();
    const elsewhere = tmp();
    const marker = path.join(elsewhere, 'marker');
    fs.writeFileSync(path.join(elsewhere, 'evil.cjs'), marking(marker));
    const manifest = JSON.parse(fs.readFileSync(stripesManifest(dir), 'utf8'));
    for (const spec of [path.join(elsewhere, 'evil.cjs'), path.relative(dir, path.join(elsewhere, 'evil.cjs'))]) {
      fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify({ ...manifest, plugins: [...manifest.plugins, spec.startsWith('.') || path.isAbsolute(spec) ? spec : `./${spec}`] }));
      const r = vaeflow(['validate', path.join(dir, 'm.json')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/\/plugins\/1: plugin file ".*evil\.cjs" .* is outside .*, where plugin files must live; move it there, install it as a package, or pass --trust-plugins/);
      expect(fs.existsSync(marker)).toBe(false);
    }
  });

  it('a run folder never imports plugin files it carries, unless --trust-plugins', () => {
    const dir = tmp();
    const out = path.join(root, 'runs', `.safety-${process.pid}`);
    try {
      expect(vaeflow(['train', stripesManifest(dir, { epochs: 1, samples: 0 }), '--out', out, '--backend', 'cpu']).status).toBe(0);
      // A shared run folder whose manifest names a file inside it.
      const marker = path.join(dir, 'marker');
      fs.writeFileSync(path.join(out, 'evil.cjs'), marking(marker));
      const saved = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
      saved.plugins.push(path.join(out, 'evil.cjs'));
      fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(saved));
      const refused = vaeflow(['sample', out, '--n', '4', '--out', path.join(dir, 's.png')]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/plugin file ".*evil\.cjs" lies inside the run folder that names it, so it is not imported/);
      expect(fs.existsSync(marker)).toBe(false);
      const trusted = vaeflow(['sample', out, '--n', '4', '--out', path.join(dir, 's.png'), '--trust-plugins']);
      expect(trusted.status, trusted.stderr).toBe(0);
      expect(fs.existsSync(marker)).toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('manifests that are not quite JSON', () => {
  const cases: [string, string, RegExp][] = [
    ['a comment', '{\n  "name": "x", // mine\n  "seed": 1\n}', /not valid JSON at line 2, column 16: comments are not allowed in JSON/],
    ['a NaN literal', '{\n  "seed": NaN\n}', /not valid JSON at line 2, column 11: unexpected "NaN" \(JSON has no NaN or Infinity; use a number or null\)/],
    ['a trailing comma', '{\n  "seed": 1,\n}', /not valid JSON at line 3, column 1: a property name in double quotes is expected/],
    ['single quotes', "{\n  'seed': 1\n}", /not valid JSON at line 2, column 3: unexpected "'seed'" \(JSON strings use double quotes\)/],
  ];
  for (const [what, text, message] of cases) {
    it(`report ${what} with its line and column`, () => {
      const f = path.join(tmp(), 'm.json');
      fs.writeFileSync(f, text);
      const r = vaeflow(['validate', f]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it('accept a byte-order mark', () => {
    const dir = tmp();
    const f = stripesManifest(dir);
    fs.writeFileSync(f, `\ufeff${fs.readFileSync(f, 'utf8')}`);
    const r = vaeflow(['validate', f]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('validate says what train would', () => {
  const example = (file: string) => {
    const m = JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'));
    delete m.$schema;
    return m;
  };
  const cases: [string, () => unknown, RegExp][] = [
    [
      'a planar flow (no inverse) inside a flow prior',
      () => {
        const m = example('mnist-vae.json');
        m.plugins.push('@vaeflow/flows-planar', '@vaeflow/priors-dp');
        m.model.prior = { type: 'flow', flows: [{ type: 'planar', layers: 2 }] };
        return m;
      },
      /\/model\/prior: prior "flow" could not be built: flow "planar" cannot be inverted/,
    ],
    [
      'an IAF (needs a context) in preprocessing',
      () => {
        const m = example('mnist-vae.json');
        m.plugins.push('@vaeflow/flows-iaf');
        m.model.preprocessing = [{ type: 'iaf', steps: 1, hidden: [16] }];
        return m;
      },
      /\/model\/preprocessing\/0: flow "iaf" could not be built: iaf with conditional: true needs an encoder context h/,
    ],
    [
      "a conditional IAF as the AEF's core flow",
      () => {
        const m = example('mnist-aef-linear.json');
        m.model.coreFlows = [{ type: 'iaf', steps: 1, hidden: [16] }];
        return m;
      },
      /\/model\/coreFlows\/0: flow "iaf" could not be built: .*needs an encoder context h/,
    ],
    ['the AEF with the elbo objective', () => ({ ...example('mnist-aef-linear.json'), objective: { type: 'elbo' } }), /\/objective\/type: an AEF is trained by its exact negative log-likelihood/],
    [
      'a conv encoder on two moons',
      () => {
        const m = example('mnist-vae.json');
        m.data = { type: 'two-moons' };
        m.model.latentDim = 2;
        m.model.encoder = { type: 'conv', channels: [8, 16], kernelSize: 3 };
        return m;
      },
      /\/model\/encoder: encoder "conv" could not be built: a conv encoder needs image data/,
    ],
    [
      'a layer of 1e9 units',
      () => {
        const m = example('mnist-vae.json');
        m.model.encoder.hidden = [1e9];
        return m;
      },
      /\/model\/encoder: encoder "mlp" could not be built: a weight tensor of shape \[784, 1000000000\] would hold 7\.84e\+11 values; the limit is/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`rejects ${what}`, () => {
      const f = path.join(tmp(), 'm.json');
      fs.writeFileSync(f, JSON.stringify(make()));
      const r = vaeflow(['validate', f]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
    }, 60_000);
  }
});
