import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random, dataColumns, imageGridPng, inputDimOf, rowDimOf, readJsonLines, readMetrics, selectBackend, tf, type BackendRequest } from '@vaeflow/core';
import type * as Metrics from '@vaeflow/metrics';
import { loadRun } from '../run-folder.js';
import { requireOptional } from '../optional.js';
import { sweepReportCommand } from './sweep.js';

/**
 * `vaeflow compare <run>... --out report.html`: one self-contained HTML page with the metrics
 * of every run, learning curves, samples, reconstructions and, for 2-D latents, the aggregate
 * posterior.
 */
export async function compareCommand(runDirs: string[], o: { out: string; title?: string; points?: number; backend?: BackendRequest; quiet?: boolean }): Promise<string> {
  if (runDirs.length === 1 && fs.existsSync(path.join(runDirs[0], 'sweep.json'))) {
    // A sweep folder: its runs grouped by configuration, with intervals over seeds.
    await sweepReportCommand(runDirs[0], { html: o.out });
    return path.resolve(o.out);
  }
  const metrics = requireOptional<typeof Metrics>('@vaeflow/metrics', 'vaeflow compare', [process.cwd(), ...runDirs]);
  await selectBackend(o.backend ?? 'auto', { log: o.quiet ? null : undefined });
  const reports: Metrics.RunReport[] = [];
  for (const dir of runDirs) {
    const run = await loadRun(dir);
    const dim = rowDimOf(run.dataset);
    const dataDim = inputDimOf(run.dataset);
    const shape = run.dataset.inputShape;
    const report: Metrics.RunReport = {
      name: run.manifest.name ?? path.basename(dir),
      dir: path.resolve(dir),
      description: run.manifest.description,
      metrics: readMetrics(path.join(dir, 'metrics.jsonl')),
      parameters: run.model.parameterCount(),
    };
    const page = path.join(dir, 'page', 'index.html');
    if (fs.existsSync(page))
      report.page = path
        .relative(path.dirname(path.resolve(o.out)), path.resolve(page))
        .split(path.sep)
        .join('/');
    const healthFile = path.join(dir, 'flow-health.jsonl');
    if (fs.existsSync(healthFile)) report.flowHealth = readJsonLines(healthFile) as Metrics.RunReport['flowHealth'];
    const evalFile = path.join(dir, 'eval.json');
    if (fs.existsSync(evalFile)) report.evaluation = JSON.parse(fs.readFileSync(evalFile, 'utf8'));
    const rng = new Random(`compare:${run.manifest.seed}`);
    if (shape.length === 3) {
      const finalPng = path.join(dir, 'samples', 'final.png');
      report.samples = fs.existsSync(finalPng)
        ? fs.readFileSync(finalPng)
        : imageGridPng(
            tf.tidy(() => run.model.generate(64, rng).dataSync() as Float32Array),
            64,
            shape,
          );
      const n = Math.min(8, run.dataset.test.n);
      const rows = run.dataset.test.x.subarray(0, n * dim);
      const recon = tf.tidy(() => run.model.reconstruct(tf.tensor2d(rows, [n, dim]), rng).dataSync() as Float32Array);
      const both = new Float32Array(2 * n * dataDim);
      both.set(dataColumns(rows, n, run.dataset), 0);
      both.set(recon, n * dataDim);
      report.reconstructions = imageGridPng(both, 2 * n, shape, n);
    }
    if (shape.length === 1 && shape[0] === 2) {
      // 2-D data: the model's samples beside test points, where a grid of images would go.
      const n = Math.min(o.points ?? 2000, run.dataset.test.n);
      const samples = tf.tidy(() => run.model.generate(n, rng).dataSync() as Float32Array);
      report.pointSamples = { data: run.dataset.test.x.slice(0, n * 2), samples };
    }
    if (run.model.latentDim === 2) {
      const n = Math.min(o.points ?? 2000, run.dataset.test.n);
      const points = tf.tidy(() => run.model.encodeMean(tf.tensor2d(run.dataset.test.x.subarray(0, n * dim), [n, dim])).dataSync() as Float32Array);
      report.latent = { points, labels: run.dataset.test.labels?.subarray(0, n) };
    }
    reports.push(report);
    run.model.dispose();
  }
  const html = metrics.renderReport(reports, o.title ?? `vaeflow: ${reports.map((r) => r.name).join(' vs ')}`);
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  fs.writeFileSync(o.out, html);
  return path.resolve(o.out);
}
