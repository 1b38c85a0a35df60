import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random, UserError, classGrid, describeSamples, oneHotRows, tf, imageGridPng, scatterPng, selectBackend, type BackendRequest, type Dataset } from '@vaeflow/core';
import type * as Metrics from '@vaeflow/metrics';
import { requireOptional } from '../optional.js';
import { exPostGmmPrior } from '../ex-post.js';
import { loadRun } from '../run-folder.js';

/**
 * `vaeflow sample <run>`: E[x|z] for z ~ p(z), as an image grid (or, for 2-D data, a scatter figure
 * with axes as SVG, or a plain raster scatter with `--out FILE.png`).
 * With `--ex-post-gmm K`, z comes instead from a K-component diagonal Gaussian mixture fitted by EM
 * to the training set's codes (cached in the run folder as ex-post/gmm-K.json, refitted when the checkpoint changes).
 * A conditional model draws every sample of the class `--label` names, or without it one row per
 * class (n / C samples each, rounded up), classes in order from the top.
 */
export async function sampleCommand(runDir: string, o: { n: number; out?: string; seed: number; exPostGmm?: number; label?: string; backend?: BackendRequest }): Promise<string> {
  await selectBackend(o.backend ?? 'auto');
  const run = await loadRun(runDir);
  const rng = new Random(`sample:${o.seed}`);
  const C = run.model.conditionDim ?? 0;
  if (o.label !== undefined && !C) throw new UserError(`--label needs a conditional model (data with "condition": "label"); ${runDir} was trained without labels`);
  const label = o.label === undefined ? null : classIndex(o.label, run.dataset, C);
  // Without --label: one row per class, so a grid of C rows.
  const grid = C && label === null ? classGrid(o.n, C) : null;
  const n = grid ? grid.n : o.n;
  const columns = grid?.columns;
  const classes = grid ? grid.labels : C ? new Array<number>(n).fill(label!) : null;
  const condition = () => (classes ? tf.tensor2d(oneHotRows(classes, C), [n, C]) : undefined);
  let values: Float32Array;
  if (o.exPostGmm) {
    if (!run.model.decodeMean) throw new UserError(`--ex-post-gmm needs a model that decodes given latents; the ${run.model.kind} model does not`);
    const prior = exPostGmmPrior(run, runDir, o.exPostGmm, 'vaeflow sample --ex-post-gmm', (l) => process.stderr.write(`${l}\n`));
    values = tf.tidy(() => run.model.decodeMean!(prior.sample(n, rng), condition()).dataSync() as Float32Array);
    prior.dispose();
  } else values = tf.tidy(() => run.model.generate(n, rng, condition()).dataSync() as Float32Array);
  const shape = run.dataset.inputShape;
  const points2d = shape.length === 1 && shape[0] === 2;
  const labelPart = label === null ? (C ? '-by-class' : '') : `-class${label}`;
  const out = path.resolve(o.out ?? path.join(runDir, 'samples', `samples-${n}-seed${o.seed}${o.exPostGmm ? `-gmm${o.exPostGmm}` : ''}${labelPart}.${points2d ? 'svg' : 'png'}`));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  if (shape.length === 3) fs.writeFileSync(out, imageGridPng(values, n, shape, columns));
  else if (points2d && out.endsWith('.svg')) {
    // a figure with axes, ticks and titles (Vega-Lite, from @vaeflow/metrics)
    const metrics = requireOptional<typeof Metrics>('@vaeflow/metrics', 'vaeflow sample of 2-D data as a figure (or --out FILE.png for a plain raster scatter)');
    const title = `${o.n} samples from ${run.manifest.name ?? path.basename(path.resolve(runDir))}${o.exPostGmm ? ` (ex-post GMM, K = ${o.exPostGmm})` : ''}`;
    fs.writeFileSync(out, await metrics.scatterChartSvg({ points: values, xTitle: 'x₁', yTitle: 'x₂', title }));
  } else if (points2d) fs.writeFileSync(out, scatterPng(values, n));
  else if (run.dataset.describe) {
    const text = describeSamples(run.dataset, values, n);
    fs.writeFileSync(out.replace(/\.png$/, '.txt'), text);
    process.stderr.write(text);
    return out.replace(/\.png$/, '.txt');
  } else fs.writeFileSync(out.replace(/\.png$/, '.json'), JSON.stringify(Array.from(values)));
  run.model.dispose();
  return out;
}

/** The class index `--label` names: a number below C, or one of the dataset's class names (case-insensitive). */
export function classIndex(label: string, dataset: Pick<Dataset, 'conditionNames'>, C: number): number {
  const names = dataset.conditionNames ?? [];
  const byName = names.findIndex((c) => c.toLowerCase() === label.toLowerCase());
  if (byName >= 0) return byName;
  const i = Number(label);
  if (/^\d+$/.test(label.trim()) && i < C) return i;
  throw new UserError(`--label ${label}: expected a class index 0-${C - 1}${names.length ? ` or one of ${names.map((c) => `"${c}"`).join(', ')}` : ''}`);
}
