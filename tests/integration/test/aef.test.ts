import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'packages/cli/bin/vaeflow.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-aef-'));

/** The example manifests of the AEF comparison, shrunk (narrow networks, a few steps on a slice of MNIST) so they train in seconds. */
function shrunk(example: string, name: string): Record<string, any> {
  const m = JSON.parse(fs.readFileSync(path.join(root, 'examples', example), 'utf8'));
  m.name = name;
  m.model.latentDim = 2;
  m.model.encoder.channels = [8, 16];
  m.model.decoder.channels = [16, 8];
  for (const f of [...(m.model.coreFlows ?? []), ...(m.model.flows ?? []), ...m.model.prior.flows]) f.hidden = [16];
  m.training = { ...m.training, epochs: 1, stepsPerEpoch: 3, samples: 4 };
  return m;
}

function vaeflow(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
}

/** All four models of the AEF paper's MNIST comparison train from manifests through the CLI, and `vaeflow eval` reports BPD. */
describe('AEF variants and the matched VAE, from the CLI', () => {
  const cases = [
    ['mnist-aef-linear.json', 'aef-linear'],
    ['mnist-aef-centre.json', 'aef-centre'],
    ['mnist-aef-corner.json', 'aef-corner'],
    ['mnist-vae-aef-baseline.json', 'vae-baseline'],
  ] as const;
  for (const [example, name] of cases) {
    it(`${name} trains and evaluates`, () => {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(shrunk(example, name)));
      // Plugins resolve from the manifest's folder first, then the working directory (the repository).
      const out = path.join(dir, name);
      const r = vaeflow(['train', file, '--out', out, '--limit-train', '600', '--limit-test', '64']);
      expect(r.status, r.stderr).toBe(0);
      const test = fs
        .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .find((l) => l.split === 'test');
      expect(Number.isFinite(test.loss)).toBe(true);
      if (name.startsWith('aef')) expect(Number.isFinite(test.nll)).toBe(true);
      expect(fs.existsSync(path.join(out, 'samples', 'final.png'))).toBe(true);
      const e = vaeflow(['eval', out, '--k', '4', '--limit', '8']);
      expect(e.status, e.stderr).toBe(0);
      const ev = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
      // Bits per dimension of dequantised 8-bit images lie between 0 and 8 for any sensible model.
      expect(ev.bpd).toBeGreaterThan(0);
      expect(ev.bpd).toBeLessThan(8);
      if (name === 'aef-linear') expect(ev.estimator.importanceScale).toBeGreaterThan(0);
    });
  }

  it('refuses to train an AEF with an ELBO objective, naming the path', () => {
    const m = shrunk('mnist-aef-linear.json', 'aef-elbo');
    m.objective = { type: 'elbo' };
    const file = path.join(dir, 'aef-elbo.json');
    fs.writeFileSync(file, JSON.stringify(m));
    const r = vaeflow(['train', file, '--out', path.join(dir, 'aef-elbo'), '--limit-train', '600', '--limit-test', '64']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\/objective\/type: an AEF is trained by its exact negative log-likelihood/);
  });
});
