import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFolderRules } from './manifest-file.js';
import {
  EMA_PREFIX,
  UserError,
  buildFromManifest,
  checkManifest,
  createRegistry,
  findCheckpoint,
  hasEma,
  loadCheckpoint,
  disposeCheckpoint,
  ManifestError,
  type BuiltModel,
  type Dataset,
  type Manifest,
  type Registry,
} from '@vaeflow/core';

export interface LoadedRun extends BuiltModel {
  manifest: Manifest;
  registry: Registry;
  dataset: Dataset;
  checkpoint: string;
  /** true when the weights loaded are the moving average kept by training.ema */
  ema: boolean;
}

/** Rebuilds a trained model from a run folder: its saved manifest, plugins and `best` (or `latest`) checkpoint. */
export async function loadRun(runDir: string, which: 'best' | 'latest' = 'best'): Promise<LoadedRun> {
  const file = path.join(runDir, 'manifest.json');
  if (!fs.existsSync(file)) throw new UserError(`${runDir} is not a vaeflow run folder (no manifest.json)`);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  const registry = createRegistry();
  await registry.load(raw.plugins ?? [], runDir, runFolderRules(runDir));
  const { manifest, issues } = checkManifest(raw, registry);
  if (!manifest) throw new ManifestError(issues, file);
  const ckpt = findCheckpoint(path.join(runDir, 'checkpoints', which)) ?? findCheckpoint(path.join(runDir, 'checkpoints', 'latest'));
  if (!ckpt) throw new UserError(`${runDir} has no checkpoint yet: train it first (vaeflow train ${runDir} --resume continues it)`);
  const { dataset, ...built } = await buildFromManifest(registry, manifest);
  const c = loadCheckpoint(ckpt);
  // A run trained with training.ema is evaluated, sampled and compared with its moving average.
  const ema = hasEma(c.weights);
  built.model.loadWeights(c.weights, ema ? EMA_PREFIX : '');
  disposeCheckpoint(c);
  return { ...built, manifest, registry, dataset, checkpoint: ckpt, ema };
}
