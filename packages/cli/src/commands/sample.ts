import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random, UserError, describeSamples, inputDimOf, tf, imageGridPng, scatterPng, selectBackend, writeFileAtomic, type BackendRequest } from '@vaeflow/core';
import type * as Metrics from '@vaeflow/metrics';
import { requireOptional } from '../optional.js';
import { loadRun } from '../run-folder.js';

/**
 * `vaeflow sample <run>`: E[x|z] for z ~ p(z), as an image grid (or, for 2-D data, a scatter figure
 * with axes as SVG, or a plain raster scatter with `--out FILE.png`).
 * With `--ex-post-gmm K`, z comes instead from a K-component diagonal Gaussian mixture fitted by EM
 * to the training set's codes (cached in the run folder as ex-post/gmm-K.json, refitted when the checkpoint changes).
 */
export async function sampleCommand(runDir: string, o: { n: number; out?: string; seed: number; exPostGmm?: number; backend?: BackendRequest }): Promise<string> {
  await selectBackend(o.backend ?? 'auto');
  const run = await loadRun(runDir);
  const rng = new Random(`sample:${o.seed}`);
  let values: Float32Array;
  if (o.exPostGmm) {
    if (!run.model.decodeMean) throw new UserError(`--ex-post-gmm needs a model that decodes given latents; the ${run.model.kind} model does not`);
    const gmm = exPostGmm(run, runDir, o.exPostGmm);
    const z = requireOptional<typeof Metrics>('@vaeflow/metrics', 'vaeflow sample --ex-post-gmm').sampleDiagonalGmm(gmm, o.n, rng);
    values = tf.tidy(() => run.model.decodeMean!(tf.tensor2d(z, [o.n, run.model.latentDim])).dataSync() as Float32Array);
  } else values = tf.tidy(() => run.model.generate(o.n, rng).dataSync() as Float32Array);
  const shape = run.dataset.inputShape;
  const points2d = shape.length === 1 && shape[0] === 2;
  const out = path.resolve(o.out ?? path.join(runDir, 'samples', `samples-${o.n}-seed${o.seed}${o.exPostGmm ? `-gmm${o.exPostGmm}` : ''}.${points2d ? 'svg' : 'png'}`));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  if (shape.length === 3) fs.writeFileSync(out, imageGridPng(values, o.n, shape));
  else if (points2d && out.endsWith('.svg')) {
    // a figure with axes, ticks and titles (Vega-Lite, from @vaeflow/metrics)
    const metrics = requireOptional<typeof Metrics>('@vaeflow/metrics', 'vaeflow sample of 2-D data as a figure (or --out FILE.png for a plain raster scatter)');
    const title = `${o.n} samples from ${run.manifest.name ?? path.basename(path.resolve(runDir))}${o.exPostGmm ? ` (ex-post GMM, K = ${o.exPostGmm})` : ''}`;
    fs.writeFileSync(out, await metrics.scatterChartSvg({ points: values, xTitle: 'x₁', yTitle: 'x₂', title }));
  } else if (points2d) fs.writeFileSync(out, scatterPng(values, o.n));
  else if (run.dataset.describe) {
    const text = describeSamples(run.dataset, values, o.n);
    fs.writeFileSync(out.replace(/\.png$/, '.txt'), text);
    process.stderr.write(text);
    return out.replace(/\.png$/, '.txt');
  } else fs.writeFileSync(out.replace(/\.png$/, '.json'), JSON.stringify(Array.from(values)));
  run.model.dispose();
  return out;
}

/** The K-component mixture fitted to the codes (encoder means) of the training set, from the run's cache or fitted now. */
function exPostGmm(run: Awaited<ReturnType<typeof loadRun>>, runDir: string, k: number): Metrics.DiagonalGmm {
  const file = path.join(runDir, 'ex-post', `gmm-${k}.json`);
  // The fit belongs to one checkpoint: a run trained further is fitted again.
  const fittedTo = `${run.checkpoint}@${fs.statSync(run.checkpoint).mtimeMs}`;
  if (fs.existsSync(file)) {
    const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as Metrics.DiagonalGmm & { fittedTo?: string };
    if (cached.fittedTo === fittedTo) return cached;
  }
  const metrics = requireOptional<typeof Metrics>('@vaeflow/metrics', 'vaeflow sample --ex-post-gmm');
  const dim = inputDimOf(run.dataset);
  const L = run.model.latentDim;
  const n = run.dataset.train.n;
  const codes = new Float32Array(n * L);
  for (let from = 0; from < n; from += 500) {
    const to = Math.min(n, from + 500);
    codes.set(tf.tidy(() => run.model.encodeMean(tf.tensor2d(run.dataset.train.x.subarray(from * dim, to * dim), [to - from, dim])).dataSync() as Float32Array), from * L);
  }
  const gmm = metrics.fitDiagonalGmm(codes, n, L, k, new Random(`ex-post-gmm:${k}`));
  process.stderr.write(`vaeflow sample: fitted a ${k}-component Gaussian mixture to ${n} training codes in ${gmm.iterations} EM iterations (mean log-likelihood ${gmm.logLikelihood.toFixed(3)}); cached in ${file}\n`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify({ ...gmm, fittedTo })}\n`);
  return gmm;
}
