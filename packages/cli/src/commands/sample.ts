import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random, describeSamples, tf, imageGridPng, scatterPng, selectBackend, type BackendRequest } from '@vaeflow/core';
import { loadRun } from '../run-folder.js';

/** `vaeflow sample <run>`: E[x|z] for z ~ p(z), as an image grid (or a scatter plot for 2-D data). */
export async function sampleCommand(runDir: string, o: { n: number; out?: string; seed: number; backend?: BackendRequest }): Promise<string> {
  await selectBackend(o.backend ?? 'auto');
  const run = await loadRun(runDir);
  const rng = new Random(`sample:${o.seed}`);
  const values = tf.tidy(() => run.model.generate(o.n, rng).dataSync() as Float32Array);
  const out = path.resolve(o.out ?? path.join(runDir, 'samples', `samples-${o.n}-seed${o.seed}.png`));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const shape = run.dataset.inputShape;
  if (shape.length === 3) fs.writeFileSync(out, imageGridPng(values, o.n, shape));
  else if (shape.length === 1 && shape[0] === 2) fs.writeFileSync(out, scatterPng(values, o.n));
  else if (run.dataset.describe) {
    const text = describeSamples(run.dataset, values, o.n);
    fs.writeFileSync(out.replace(/\.png$/, '.txt'), text);
    process.stderr.write(text);
    return out.replace(/\.png$/, '.txt');
  } else fs.writeFileSync(out.replace(/\.png$/, '.json'), JSON.stringify(Array.from(values)));
  run.model.dispose();
  return out;
}
