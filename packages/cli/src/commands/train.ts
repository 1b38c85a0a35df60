import * as path from 'node:path';
import { ManifestError, buildFromManifest, selectBackend, train, validateComponentSpec, type BackendRequest, type StepProgress, type TrainResult } from '@vaeflow/core';
import { loadManifest } from '../manifest-file.js';

export interface TrainCommandOptions {
  out?: string;
  epochs?: number;
  backend?: BackendRequest;
  /** threads for the native kernels */
  threads?: number;
  resume?: boolean;
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

/** `vaeflow train <manifest>`: trains, writing the run folder. */
export async function trainCommand(file: string, o: TrainCommandOptions): Promise<TrainCommandResult> {
  const { manifest, registry } = await loadManifest(file);
  if (o.epochs !== undefined) manifest.training.epochs = o.epochs;
  if (o.stepsPerEpoch !== undefined) manifest.training.stepsPerEpoch = o.stepsPerEpoch;
  if (o.limitTrain !== undefined || o.limitTest !== undefined) {
    // The limits are dataset options: check them against the dataset's schema like the manifest.
    const data = { ...manifest.data, ...(o.limitTrain !== undefined ? { limitTrain: o.limitTrain } : {}), ...(o.limitTest !== undefined ? { limitTest: o.limitTest } : {}) };
    const { spec, issues } = validateComponentSpec(registry, 'dataset', data, '/data');
    if (issues.length) throw new ManifestError(issues.map((i) => ({ ...i, message: `${i.message} (from --limit-train/--limit-test)` })), file);
    manifest.data = spec;
  }
  const log = o.quiet ? () => undefined : (l: string) => process.stderr.write(l + '\n');
  await selectBackend(o.backend ?? manifest.backend, { log, threads: o.threads });
  const name = manifest.name ?? path.basename(file, path.extname(file));
  const outDir = path.resolve(o.out ?? path.join('runs', name));
  const { dataset, ...built } = await buildFromManifest(registry, manifest);
  log(`vaeflow: ${name}: ${dataset.name} (${dataset.train.n} train, ${dataset.val.n} val, ${dataset.test.n} test), ${built.model.parameterCount().toLocaleString('en-US')} parameters -> ${outDir}`);
  if (o.exitWithParent) {
    process.stdin.on('end', () => process.exit(129));
    process.stdin.resume();
    // Watching stdin must not keep the process alive once training is over.
    (process.stdin as unknown as { unref?: () => void }).unref?.();
  }
  const emit = o.progressJson ? (m: object) => process.stdout.write(JSON.stringify(m) + '\n') : null;
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
  const result = await train({ manifest, model: built.model, objective: built.objective, dataset, outDir, resume: o.resume, log, onStep, tty: emit ? false : undefined });
  emit?.({ type: 'done', seconds: result.seconds, examplesPerSec: result.examplesPerSec, test: result.test });
  log(`vaeflow: done in ${result.seconds.toFixed(1)}s (${Math.round(result.examplesPerSec)} training examples/s); metrics in ${path.join(outDir, 'metrics.jsonl')}`);
  const parameters = built.model.parameterCount();
  built.model.dispose();
  return { outDir, parameters, result };
}
