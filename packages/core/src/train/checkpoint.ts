import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { UserError } from '../errors.js';

/** Everything besides weights that `--resume` needs to continue exactly. */
export interface TrainingState {
  epoch: number; // epochs completed
  step: number;
  rng: object;
  bestValLoss: number | null;
  bestEpoch: number | null;
  epochsWithoutImprovement: number;
  [key: string]: unknown;
}

export interface CheckpointContents {
  weights: Map<string, tf.Tensor>;
  /** optimiser variables in the optimiser's own order */
  optimizer: NamedTensor[];
  state: TrainingState;
}

const FORMAT = 'vaeflow-checkpoint';

/** A tensor with a name, as optimisers' getWeights() returns them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/**
 * Writes a checkpoint folder in the TensorFlow.js weights layout (model.json with a
 * weightsManifest, plus weights.bin). It is written under a temporary name, flushed, and
 * renamed into place, so a killed process leaves either the old checkpoint or the new one,
 * never half of one. Non-finite weights are refused: a diverged model never overwrites a good
 * checkpoint.
 */
export async function saveCheckpoint(dir: string, weights: Map<string, tf.Tensor>, optimizer: NamedTensor[], state: TrainingState): Promise<void> {
  for (const [name, t] of weights) {
    const ok = tf.tidy(() => tf.all(tf.isFinite(t)).dataSync()[0]);
    if (!ok) throw new Error(`refusing to write checkpoint ${dir}: weight "${name}" has NaN or infinite values`);
  }
  const named: tf.NamedTensorMap = {};
  for (const [name, t] of weights) named[`model/${name}`] = t;
  optimizer.forEach((w, i) => (named[`optimizer/${String(i).padStart(4, '0')}`] = w.tensor));
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = Buffer.from(data);
  const manifest = {
    format: FORMAT,
    formatVersion: 1,
    generatedBy: `@vaeflow/core with @tensorflow/tfjs-core ${tf.version_core}`,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    // A damaged weights.bin of the right size would otherwise load silently.
    weightsSha256: sha256(bytes),
    optimizerNames: optimizer.map((w) => w.name),
    trainingState: state,
  };
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}.tmp-${process.pid}`);
  const old = path.join(parent, `.${path.basename(dir)}.old`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  writeDurable(path.join(tmp, 'weights.bin'), bytes);
  writeDurable(path.join(tmp, 'model.json'), JSON.stringify(manifest, null, 1));
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function writeDurable(file: string, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes the previous copy (`.<name>.old`) that a crash between the last two steps of
 * saveCheckpoint leaves beside a complete checkpoint. The caller holds the run folder's lock.
 */
export function tidyCheckpoints(ckptDir: string): void {
  for (const name of ['latest', 'best']) {
    const old = path.join(ckptDir, `.${name}.old`);
    if (fs.existsSync(path.join(ckptDir, name, 'model.json')) && fs.existsSync(old)) fs.rmSync(old, { recursive: true, force: true });
  }
}

/** Where a checkpoint can be read from: the folder, or the previous one if a crash fell between the two renames. */
export function findCheckpoint(dir: string): string | null {
  if (fs.existsSync(path.join(dir, 'model.json'))) return dir;
  const old = path.join(path.dirname(dir), `.${path.basename(dir)}.old`);
  return fs.existsSync(path.join(old, 'model.json')) ? old : null;
}

export function loadCheckpoint(dir: string): CheckpointContents {
  const where = findCheckpoint(dir);
  if (!where) throw new UserError(`no checkpoint at ${dir}`);
  let manifest: { format?: string; weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[]; weightsSha256?: string; optimizerNames?: string[]; trainingState?: TrainingState };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(where, 'model.json'), 'utf8'));
  } catch (e) {
    throw new UserError(`${where}/model.json cannot be read (${(e as Error).message}): the checkpoint is damaged`);
  }
  if (manifest?.format !== FORMAT || !Array.isArray(manifest.weightsManifest) || !manifest.weightsManifest[0]) throw new UserError(`${where}/model.json is not a vaeflow checkpoint`);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(where, 'weights.bin'));
  } catch (e) {
    throw new UserError(`${where}/weights.bin cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the checkpoint is damaged`);
  }
  const specs = manifest.weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a: number, b: number) => a * b, 1) * 4, 0);
  if (buf.byteLength !== expected) throw new UserError(`${where}/weights.bin has ${buf.byteLength} bytes, expected ${expected}: the checkpoint is damaged`);
  if (typeof manifest.weightsSha256 === 'string' && sha256(buf) !== manifest.weightsSha256)
    throw new UserError(`${where}/weights.bin does not match the checksum in model.json: the checkpoint is damaged`);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const map = tf.io.decodeWeights(ab, specs);
  const weights = new Map<string, tf.Tensor>();
  const optimizer: NamedTensor[] = [];
  for (const [k, t] of Object.entries(map)) {
    if (k.startsWith('model/')) weights.set(k.slice(6), t);
  }
  const optKeys = Object.keys(map)
    .filter((k) => k.startsWith('optimizer/'))
    .sort();
  optKeys.forEach((k, i) => optimizer.push({ name: manifest.optimizerNames?.[i] ?? k, tensor: map[k] }));
  return { weights, optimizer, state: manifest.trainingState as TrainingState };
}

export function disposeCheckpoint(c: CheckpointContents): void {
  for (const t of c.weights.values()) t.dispose();
  for (const w of c.optimizer) w.tensor.dispose();
}
