import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  UserError,
  ManifestError,
  buildLoggers,
  manifestDifferences,
  buildFromManifest,
  selectBackend,
  train,
  validateComponentSpec,
  type BackendRequest,
  type StepProgress,
  type TrainResult,
} from '@vaeflow/core';
import { loadManifest, runFolderRules } from '../manifest-file.js';
import type * as Metrics from '@vaeflow/metrics';
import { optionalModule, requireOptional } from '../optional.js';

/**
 * training.usageEvery's measurement, from @vaeflow/metrics: KL per latent dimension (where it
 * splits) and I(x; z) with the aggregate posterior's KL (ELBO surgery, diagonal
 * posteriors without flows).
 */
function usageMeter(outDir: string): NonNullable<Parameters<typeof train>[0]['latentUsage']> {
  const metrics = requireOptional<typeof Metrics>('@vaeflow/metrics', 'training.usageEvery', [process.cwd(), outDir]);
  return (model, split, dim, limit, rng) => {
    const usage = metrics.latentUsage(model, split, dim, { limit, rng });
    const surgery = metrics.elboSurgery(model, split, dim, { limit, rng });
    return {
      ...(usage.klPerDim ? { klPerDim: usage.klPerDim } : {}),
      ...(surgery ? { mutualInformation: surgery.mutualInformation, marginalKl: surgery.marginalKl } : {}),
    };
  };
}

/** 2-D samples as a figure with axes (@vaeflow/metrics' Vega-Lite scatter) where @vaeflow/metrics is installed; else the trainer's raster. */
function pointsFigure(outDir: string): Parameters<typeof train>[0]['pointsFigure'] {
  const metrics = optionalModule<typeof Metrics>('@vaeflow/metrics', [process.cwd(), outDir]);
  return metrics ? (points, title) => metrics.scatterChartSvg({ points, xTitle: 'x₁', yTitle: 'x₂', title }) : undefined;
}

export interface TrainCommandOptions {
  out?: string;
  epochs?: number;
  backend?: BackendRequest;
  /** threads for the native kernels */
  threads?: number;
  resume?: boolean;
  /** replace the run in the output folder */
  force?: boolean;
  stepsPerEpoch?: number;
  limitTrain?: number;
  limitTest?: number;
  quiet?: boolean;
  /** machine-readable progress on stdout, one JSON object a line (for sweep workers) */
  progressJson?: boolean;
  /** exit when stdin closes: a sweep worker's child dies with its parent */
  exitWithParent?: boolean;
}

export interface TrainCommandResult {
  outDir: string;
  parameters: number;
  result: TrainResult;
}

/**
 * `vaeflow train <manifest | run folder>`: trains, writing the run folder. Given a run folder,
 * it trains from the folder's own manifest.json into that folder. With --resume the run's own
 * manifest is the truth: a source manifest that differs from it is refused (naming where), except
 * a larger --epochs, which extends the run.
 */
export async function trainCommand(file: string, o: TrainCommandOptions): Promise<TrainCommandResult> {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    const inRun = path.join(file, 'manifest.json');
    if (!fs.existsSync(inRun)) throw new UserError(`${file} is a folder without a manifest.json: give a manifest file or a run folder`);
    o = { ...o, out: o.out ?? file };
    file = inRun;
  }
  // A manifest inside the run folder it trains into (a sweep's run, `train <run> --resume`) is
  // a run folder's manifest: its plugin files must not come from the folder itself.
  const runDir = o.out !== undefined && path.resolve(path.dirname(file)) === path.resolve(o.out) ? o.out : null;
  const { manifest, registry } = await loadManifest(file, runDir ? runFolderRules(runDir) : undefined);
  if (o.epochs !== undefined) manifest.training.epochs = o.epochs;
  if (o.stepsPerEpoch !== undefined) manifest.training.stepsPerEpoch = o.stepsPerEpoch;
  if (o.limitTrain !== undefined || o.limitTest !== undefined) {
    // The limits are dataset options: check them against the dataset's schema like the manifest.
    const data = { ...manifest.data, ...(o.limitTrain !== undefined ? { limitTrain: o.limitTrain } : {}), ...(o.limitTest !== undefined ? { limitTest: o.limitTest } : {}) };
    const { spec, issues } = validateComponentSpec(registry, 'dataset', data, '/data');
    if (issues.length)
      throw new ManifestError(
        issues.map((i) => ({ ...i, message: `${i.message} (from --limit-train/--limit-test)` })),
        file,
      );
    manifest.data = spec;
  }
  const log = o.quiet ? () => undefined : (l: string) => process.stderr.write(`${l}\n`);
  await selectBackend(o.backend ?? manifest.backend, { log, threads: o.threads });
  const name = manifest.name ?? path.basename(file, path.extname(file));
  const outDir = path.resolve(o.out ?? path.join('runs', name));
  const runManifest = path.join(outDir, 'manifest.json');
  if (o.resume && fs.existsSync(runManifest) && path.resolve(file) !== runManifest) {
    const saved = JSON.parse(fs.readFileSync(runManifest, 'utf8'));
    const extended = o.epochs !== undefined && o.epochs >= saved?.training?.epochs;
    const differ = manifestDifferences(saved, manifest, registry).filter((p) => !(extended && p === '/training/epochs'));
    if (differ.length) {
      throw new UserError(
        `cannot resume ${outDir} from ${file}: the run's own manifest.json differs at ${differ.slice(0, 5).join(', ')}${differ.length > 5 ? ` and ${differ.length - 5} more places` : ''}. A run resumes with its own manifest: vaeflow train ${path.relative(process.cwd(), outDir) || '.'} --resume`,
      );
    }
  }
  const { dataset, ...built } = await buildFromManifest(registry, manifest);
  for (const w of built.warnings) log(`vaeflow: warning at ${w.path}: ${w.message}`);
  log(`vaeflow: ${name}: ${dataset.name} (${dataset.train.n} train, ${dataset.val.n} val, ${dataset.test.n} test), ${built.model.parameterCount().toLocaleString('en-US')} parameters -> ${outDir}`);
  if (o.exitWithParent) {
    process.stdin.on('end', () => process.exit(129));
    process.stdin.resume();
    // Watching stdin must not keep the process alive once training is over.
    (process.stdin as unknown as { unref?: () => void }).unref?.();
  }
  const emit = o.progressJson ? (m: object) => process.stdout.write(`${JSON.stringify(m)}\n`) : null;
  emit?.({ type: 'start', outDir, parameters: built.model.parameterCount(), resumed: !!o.resume });
  let lastEmit = 0;
  const onStep = emit
    ? (p: StepProgress) => {
        const now = Date.now();
        if (now - lastEmit < 250 && p.step < p.stepsPerEpoch) return;
        lastEmit = now;
        emit({ type: 'progress', ...p });
      }
    : undefined;
  const loggers = await buildLoggers(registry, manifest);
  const result = await train({
    manifest,
    model: built.model,
    objective: built.objective,
    dataset,
    outDir,
    resume: o.resume,
    force: o.force,
    loggers,
    log,
    onStep,
    tty: emit ? false : undefined,
    latentUsage: manifest.training.usageEvery ? usageMeter(outDir) : undefined,
    pointsFigure: pointsFigure(outDir),
  });
  emit?.({ type: 'done', seconds: result.seconds, examplesPerSec: result.examplesPerSec, test: result.test });
  log(`vaeflow: done in ${result.seconds.toFixed(1)}s (${Math.round(result.examplesPerSec)} training examples/s); metrics in ${path.join(outDir, 'metrics.jsonl')}`);
  const parameters = built.model.parameterCount();
  built.model.dispose();
  return { outDir, parameters, result };
}
