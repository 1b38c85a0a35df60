import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataSplit, Dataset } from '../data.js';
import { classGrid, gatherRows, oneHotRows, rowDimOf } from '../data.js';
import type { LatentTerms, Objective, TrainingProgress } from '../interfaces.js';
import type { Manifest } from '../manifest/types.js';
import type { LatentModel } from '../interfaces.js';
import { Random } from '../random.js';
import { checkWarnings, firstNonFiniteLayer, type FlowLayerHealth } from '../model/flow-health.js';
import { writeImageGrid, scatterPng } from '../image/grid.js';
import { disposeCheckpoint, findCheckpoint, loadCheckpoint, saveCheckpoint, tidyCheckpoints, type TrainingState } from './checkpoint.js';
import { appendMetrics, readMetrics, type MetricsRecord } from './metrics-log.js';
import { EpochProgress } from './progress.js';
import { createTrainStep } from './step.js';
import { createOptimizer, setLearningRate } from './adam.js';
import { learningRateAt, plateauUpdate, type PlateauState } from './schedule.js';
import { claimRunFolder } from './run-folder.js';
import { UserError } from '../errors.js';
import { backendNumerics } from '../backend/select.js';
import { writeFileAtomic } from '../util/files.js';
import type { TrainingLogger } from './loggers.js';

/** Checkpoint names of an objective's own variables (e.g. FactorVAE's discriminator). */
const OBJECTIVE_PREFIX = '@objective/';
/** Checkpoint names of the tensors an objective's saveState gives (its JSON goes in the training state as `objective`). */
const OBJECTIVE_STATE_PREFIX = '@objective-state/';
/** Checkpoint names of the weights' exponential moving average (training.ema); `vaeflow eval` and the rest load these when present. */
export const EMA_PREFIX = '@ema/';

/** Raised when training cannot go on (non-finite losses); the last good checkpoint is kept. */
export class TrainingDivergedError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

export interface TrainerOptions {
  manifest: Manifest;
  model: LatentModel;
  objective: Objective;
  dataset: Dataset;
  /** run folder: manifest.json, metrics.jsonl, checkpoints/, samples/ */
  outDir: string;
  resume?: boolean;
  /** replace a run already in `outDir` (only vaeflow's own files there are removed) */
  force?: boolean;
  /** where training is also reported (TensorBoard, ...); closed however training ends */
  loggers?: TrainingLogger[];
  /** one-line log sink (default stderr) */
  log?: (line: string) => void;
  /** show a live progress bar (default: when stderr is a terminal) */
  tty?: boolean;
  /** called after each epoch's checkpoint is written (for custom logging, and tests) */
  onEpochEnd?: (epoch: number, train: MetricsRecord, val: MetricsRecord) => void;
  /** called after every optimisation step (sweep workers report progress with it) */
  onStep?: (p: StepProgress) => void;
  /**
   * Measures latent usage on the first `limit` examples of a split, every `training.usageEvery`
   * epochs (the CLI gives @vaeflow/metrics' KL per dimension and ELBO surgery): numbers go in
   * the val line, everything in latent-usage.jsonl.
   */
  latentUsage?: (model: LatentModel, split: DataSplit, dim: number, limit: number, rng: Random) => Record<string, number | number[]>;
  /**
   * Draws samples of 2-D data as an SVG figure with axes, ticks and a title (the CLI gives
   * @vaeflow/metrics' Vega-Lite scatter); without it they are a plain raster scatter (PNG).
   */
  pointsFigure?: (points: Float32Array, title: string) => Promise<string>;
}

export interface StepProgress {
  /** 1-based epoch and step within it */
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  /** running mean of the training loss this epoch */
  loss: number;
}

/** How long the training loop may hold the event loop before it lets timers and I/O run. */
const YIELD_EVERY_MS = 100;

export interface TrainResult {
  epochsRun: number;
  bestEpoch: number | null;
  bestValLoss: number | null;
  test: Record<string, number>;
  seconds: number;
  examplesPerSec: number;
  stoppedEarly: boolean;
}

/**
 * Per-example means of the objective's terms over a split (no warm-up, no free bits), and for a
 * posterior without flows `activeUnits`: the dimensions whose posterior mean varies over the split
 * by more than 0.01 (Burda et al. 2016).
 */
export function evaluateSplit(model: LatentModel, objective: Objective, split: DataSplit, dim: number, batchSize: number, rng: Random, progress: TrainingProgress): Record<string, number> {
  const sums: Record<string, number> = {};
  // Active units (Burda et al. 2016) from the posterior means, where they are E[z|x] (no posterior flows).
  const L = model.latentDim;
  let meanSum: Float64Array | null = new Float64Array(L);
  const meanSq = new Float64Array(L);
  // An objective with its own pass (IWAE) needs no terms: they are computed once, on the first
  // batch, only to learn whether the posterior means are E[z|x]; then the encoder gives them.
  let meansAreExpectations: boolean | null = null;
  for (let from = 0; from < split.n; from += batchSize) {
    const to = Math.min(split.n, from + batchSize);
    const b = to - from;
    let means: Float32Array | null = null;
    const values = tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(from * dim, to * dim), [b, dim]);
      const t = !objective.modelLoss || meansAreExpectations === null ? model.terms(x, rng, false) : null;
      if (t) meansAreExpectations = t.noFlows === true && t.mean.shape[1] === L;
      if (meanSum && meansAreExpectations) means = (t ? t.mean : model.encodeMean(x)).dataSync() as Float32Array;
      const r = objective.modelLoss ? objective.modelLoss(model, x, rng, progress, false) : objective.loss(t as LatentTerms, progress, false, { prior: model.prior, rng });
      const names = ['loss', ...Object.keys(r.terms)];
      const data = tf.stack([r.loss, ...Object.values(r.terms)]).dataSync();
      return names.map((n, i) => [n, data[i]] as const);
    });
    for (const [n, v] of values) sums[n] = (sums[n] ?? 0) + v * b;
    const m = means as Float32Array | null;
    if (!m || !meanSum) meanSum = null;
    else {
      for (let i = 0; i < m.length; i++) {
        meanSum[i % L] += m[i];
        meanSq[i % L] += m[i] * m[i];
      }
    }
  }
  const out = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / split.n]));
  const total = meanSum;
  if (total && split.n > 1) out.activeUnits = Array.from(total, (s, u) => (meanSq[u] - (s * s) / split.n) / (split.n - 1)).filter((v) => v > 0.01).length;
  return out;
}

/**
 * Trains a model as its manifest says: the chosen optimiser (Adam by default) on the scheduled
 * learning rate with global-norm gradient clipping, one epoch over a fresh permutation at a
 * time, validation after each epoch (of the weights' moving average, with training.ema), `checkpoints/latest` every epoch
 * and `checkpoints/best` on a better validation loss, optional early stopping, a sample grid
 * per epoch, and the test split evaluated on the best checkpoint at the end. All randomness
 * comes from seeded generators whose state is checkpointed, so `resume` continues exactly.
 */
export async function train(opts: TrainerOptions): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const claim = claimRunFolder(opts.outDir, { resume: opts.resume, force: opts.force, log });
  try {
    return await trainInFolder(opts, log, claim.heartbeat);
  } finally {
    for (const l of opts.loggers ?? []) await l.close?.();
    claim.release();
  }
}

async function trainInFolder(opts: TrainerOptions, log: (line: string) => void, heartbeat: () => void): Promise<TrainResult> {
  const { manifest, model, objective, dataset, outDir } = opts;
  const t = manifest.training;
  const dim = rowDimOf(dataset);
  const ckptDir = path.join(outDir, 'checkpoints');
  const metricsFile = path.join(outDir, 'metrics.jsonl');
  const healthFile = path.join(outDir, 'flow-health.jsonl');
  const usageFile = path.join(outDir, 'latent-usage.jsonl');
  // Each posterior flow layer on a batch, with its own generator so the training stream is untouched.
  const health = (batch: Float32Array, b: number): FlowLayerHealth[] => {
    if (!model.flowHealth) return [];
    const x = tf.tensor2d(batch, [b, dim]);
    try {
      return model.flowHealth(x, new Random(`flow-health:${state.step}`));
    } finally {
      x.dispose();
    }
  };

  const optimizer = createOptimizer(t);
  let learningRate = t.learningRate;
  const step = createTrainStep(model, objective, optimizer, t.clipNorm, t.optimizer === 'adamw' ? { weightDecay: t.weightDecay, learningRate: () => learningRate } : undefined);
  // The weights' moving average: shadow copies, updated after every step, swapped in to evaluate.
  const modelVars = [...model.namedVariables()];
  const ema = t.ema ? new Map(modelVars.map(([name, v]) => [name, tf.tidy(() => tf.clone(v).variable(false))])) : null;
  const withEma = <T>(f: () => T): T => {
    if (!ema) return f();
    const raw = modelVars.map(([, v]) => tf.clone(v));
    modelVars.forEach(([name, v]) => v.assign(ema.get(name)!));
    try {
      return f();
    } finally {
      modelVars.forEach(([, v], i) => v.assign(raw[i]));
      tf.dispose(raw);
    }
  };
  let state: TrainingState = { epoch: 0, step: 0, rng: new Random(`${manifest.seed}:train`).state(), bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0 };

  const latest = path.join(ckptDir, 'latest');
  tidyCheckpoints(ckptDir);
  // A resume that cannot resume refuses rather than overwrite what is there; with `latest`
  // gone, a surviving `best` is resumed from instead (saying so).
  let resumeFrom = opts.resume ? findCheckpoint(latest) : null;
  if (opts.resume && !resumeFrom) {
    const best = findCheckpoint(path.join(ckptDir, 'best'));
    const found = [fs.existsSync(metricsFile) && 'metrics.jsonl', fs.existsSync(ckptDir) && `checkpoints/ (${fs.readdirSync(ckptDir).join(', ') || 'empty'})`].filter(Boolean);
    if (best) {
      log(`vaeflow: ${latest} is missing; resuming from the best checkpoint ${best} instead`);
      resumeFrom = best;
    } else if (found.length) {
      throw new UserError(`cannot resume ${outDir}: it has no readable checkpoint (found ${found.join(' and ')}); nothing was changed. Train into another folder, or --force to start this one again.`);
    }
  }
  if (resumeFrom) {
    const c = loadCheckpoint(resumeFrom);
    model.loadWeights(c.weights);
    for (const [name, v] of objective.namedVariables?.() ?? []) {
      const w = c.weights.get(OBJECTIVE_PREFIX + name);
      if (w) v.assign(w);
    }
    if (c.optimizer.length) await optimizer.setWeights(c.optimizer);
    if (objective.restoreState) {
      const tensors = [...c.weights].filter(([name]) => name.startsWith(OBJECTIVE_STATE_PREFIX)).map(([name, tensor]) => ({ name: name.slice(OBJECTIVE_STATE_PREFIX.length), tensor }));
      if (tensors.length || c.state.objective !== undefined) await objective.restoreState({ tensors, json: c.state.objective });
      else log(`vaeflow: ${resumeFrom} has no state of the ${objective.id} objective (saved by an older version); it starts afresh, so this run does not continue exactly`);
    }
    if (ema) for (const [name, shadow] of ema) shadow.assign(c.weights.get(EMA_PREFIX + name) ?? c.weights.get(name)!);
    state = c.state;
    disposeCheckpoint(c);
    const kept = readMetrics(metricsFile).filter((r) => r.split !== 'test' && r.epoch <= state.epoch);
    writeFileAtomic(metricsFile, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    // per-step and per-epoch logs keep what the checkpoint has seen, so a resumed run writes each line once
    for (const file of [healthFile, usageFile]) {
      if (!fs.existsSync(file)) continue;
      const lines = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => {
          try {
            return JSON.parse(l).step <= state.step;
          } catch {
            return false;
          }
        });
      writeFileAtomic(file, lines.map((l) => `${l}\n`).join(''));
    }
    // The same manifest, unless the run was extended (more epochs).
    writeFileAtomic(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    log(`vaeflow: resuming ${outDir} after epoch ${state.epoch} (step ${state.step})`);
  } else {
    if (opts.resume) log(`vaeflow: nothing to resume in ${outDir}; starting from scratch`);
    fs.rmSync(metricsFile, { force: true });
    fs.rmSync(healthFile, { force: true });
    fs.rmSync(usageFile, { force: true });
    writeFileAtomic(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  // Float results depend on the backend's numerics (the native kernels' thread count): a resume under others is said.
  const numerics = backendNumerics();
  if (resumeFrom && typeof state.numerics === 'string' && numerics && state.numerics !== numerics)
    log(
      `vaeflow: warning: ${outDir} trained on ${state.numerics} and resumes on ${numerics}: matrix products sum in another order, so the rest of the run will not equal an uninterrupted one bit for bit (resume with the same --threads on the same kind of CPU for that)`,
    );
  if (numerics) state.numerics = numerics;

  const loggers = opts.loggers ?? [];
  for (const l of loggers) await l.start?.({ outDir, manifest, step: state.step, resumed: resumeFrom !== null });
  const rng = Random.fromState(state.rng);
  const stepsPerEpoch = Math.min(Math.floor(dataset.train.n / t.batchSize) || 1, t.stepsPerEpoch ?? Infinity);
  const totalSteps = t.epochs * stepsPerEpoch;
  // Reduce-on-plateau's state travels in the checkpoint, so a resumed run decays when the uninterrupted one would.
  let plateau: PlateauState = (state.plateau as PlateauState | undefined) ?? { scale: 1, best: null, bad: 0 };
  const started = Date.now();
  let trainedExamples = 0;
  let trainSeconds = 0;
  let stoppedEarly = false;
  let badSteps = 0;
  const startEpoch = state.epoch;

  if (t.usageEvery && !opts.latentUsage)
    log('vaeflow: training.usageEvery is set, but latent usage is measured by @vaeflow/metrics, which this trainer was not given (vaeflow train gives it where it is installed)');
  for (let epoch = state.epoch; epoch < t.epochs; epoch++) {
    const perm = rng.permutation(dataset.train.n);
    const bar = new EpochProgress(`epoch ${epoch + 1}/${t.epochs}`, stepsPerEpoch, log, opts.tty);
    const sums: Record<string, number> = {};
    let counted = 0;
    const epochStart = performance.now();
    // a flow check that fails is said once an epoch (flow-health.jsonl has every logged step)
    const warnedChecks = new Set<string>();
    let lastYield = epochStart;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const batch = gatherRows(dataset.train, dim, perm, s * t.batchSize, Math.min(dataset.train.n, (s + 1) * t.batchSize));
      dataset.prepareTrainBatch(batch, rng);
      const b = batch.length / dim;
      const progress: TrainingProgress = { epoch: epoch + s / stepsPerEpoch, step: state.step };
      const stepStart = performance.now();
      learningRate = learningRateAt(t.learningRate, t.schedule, state.step, totalSteps, plateau.scale);
      setLearningRate(optimizer, learningRate);
      const outcome = step(batch, b, progress, rng);
      if (!outcome.ok) {
        badSteps++;
        const culprit = firstNonFiniteLayer(health(batch, b));
        const where = culprit ? ` (first non-finite: ${culprit})` : '';
        log(`vaeflow: epoch ${epoch + 1} step ${s + 1}: non-finite ${Number.isFinite(outcome.loss) ? 'gradient' : 'loss'} (${outcome.loss})${where}; update skipped (${badSteps}/${t.maxBadSteps})`);
        if (badSteps >= t.maxBadSteps) {
          bar.stop();
          throw new TrainingDivergedError(
            `training diverged: ${badSteps} consecutive non-finite steps at epoch ${epoch + 1}${where}. The last good checkpoint is ${findCheckpoint(latest) ?? '(none yet)'}; lower the learning rate or set training.clipNorm, then --resume.`,
          );
        }
        continue;
      }
      badSteps = 0;
      state.step++;
      if (ema) {
        const d = t.ema!.decay;
        tf.tidy(() => modelVars.forEach(([name, v]) => ema.get(name)!.assign(tf.add(tf.mul(ema.get(name)!, d), tf.mul(v, 1 - d)))));
      }
      if (t.flowHealthEvery && state.step % t.flowHealthEvery === 0) {
        const layers = health(batch, b);
        if (layers.length) fs.appendFileSync(healthFile, `${JSON.stringify({ step: state.step, epoch: epoch + 1, layers })}\n`);
        for (const line of checkWarnings(layers)) {
          const key = line.slice(0, line.indexOf(' over its limit'));
          if (!warnedChecks.has(key)) log(`vaeflow: warning at step ${state.step}: ${line}`);
          warnedChecks.add(key);
        }
      }
      counted += b;
      sums.loss = (sums.loss ?? 0) + outcome.loss * b;
      for (const [k, v] of outcome.terms) sums[k] = (sums[k] ?? 0) + v * b;
      const secs = (performance.now() - epochStart) / 1000;
      bar.update(s + 1, sums.loss / counted, counted / secs);
      opts.onStep?.({ epoch: epoch + 1, epochs: t.epochs, step: s + 1, stepsPerEpoch, loss: sums.loss / counted });
      for (const l of loggers) {
        if (l.step && state.step % (l.every ?? 10) === 0)
          l.step({
            step: state.step,
            epoch: epoch + 1,
            scalars: { loss: outcome.loss, ...Object.fromEntries(outcome.terms), gradNorm: outcome.gradNorm, learningRate, examplesPerSec: b / Math.max(1e-9, (performance.now() - stepStart) / 1000) },
          });
      }
      // Let timers, signals and I/O run (a parent's lock renewals, a closed pipe); no effect on results.
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        heartbeat();
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    bar.stop();
    const epochSecs = (performance.now() - epochStart) / 1000;
    trainedExamples += counted;
    trainSeconds += epochSecs;

    const trainRecord: MetricsRecord = {
      epoch: epoch + 1,
      split: 'train',
      step: state.step,
      ...mapValues(sums, (v) => v / Math.max(1, counted)),
      learningRate,
      examplesPerSec: counted / epochSecs,
      seconds: epochSecs,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      tensorMiB: tf.memory().numBytes / 2 ** 20,
    };
    const evalRng = new Random(`${manifest.seed}:eval:${epoch}`);
    const val = withEma(() => evaluateSplit(model, objective, dataset.val, dim, t.evalBatchSize, evalRng, { epoch: epoch + 1, step: state.step }));
    const valRecord: MetricsRecord = { epoch: epoch + 1, split: 'val', step: state.step, n: dataset.val.n, ...val };
    if (t.usageEvery && opts.latentUsage && (epoch + 1) % t.usageEvery === 0) {
      const measure = opts.latentUsage;
      const limit = Math.min(dataset.val.n, t.usageExamples);
      const usage = withEma(() => measure(model, dataset.val, dim, limit, new Random(`${manifest.seed}:usage:${epoch}`)));
      for (const [k, v] of Object.entries(usage)) if (typeof v === 'number') valRecord[k] = v;
      fs.appendFileSync(usageFile, `${JSON.stringify({ epoch: epoch + 1, step: state.step, n: limit, ...usage })}\n`);
    }
    appendMetrics(metricsFile, trainRecord);
    appendMetrics(metricsFile, valRecord);
    for (const l of loggers) l.epoch?.(trainRecord, valRecord);
    log(
      `epoch ${epoch + 1}/${t.epochs}: train loss ${fmt(trainRecord.loss)}, val loss ${fmt(val.loss)}${val.elbo !== undefined ? `, val -ELBO ${fmt(-val.elbo)}` : ''} (${Math.round(counted / epochSecs)} ex/s, ${epochSecs.toFixed(1)}s)`,
    );

    // Finite weights can still give a non-finite loss: such a model is never checkpointed, and
    // the message names the checkpoint that is actually good (written after a finite epoch).
    if (!Number.isFinite(val.loss)) {
      const good = findCheckpoint(latest);
      throw new TrainingDivergedError(
        `training diverged: the validation loss after epoch ${epoch + 1} is ${val.loss}, so epoch ${epoch + 1} was not checkpointed. ${good ? `The last good checkpoint is ${good} (epoch ${state.epoch}${state.bestEpoch ? `; best is epoch ${state.bestEpoch}` : ''})` : 'No epoch has been good yet'}; lower the learning rate or set training.clipNorm${good ? ', then --resume' : ''}.`,
      );
    }
    const improved = state.bestValLoss === null || val.loss < state.bestValLoss - (t.earlyStopping?.minDelta ?? 0);
    if (t.schedule.decay === 'plateau') plateau = plateauUpdate(plateau, val.loss, t.schedule);
    state = { ...state, epoch: epoch + 1, rng: rng.state(), ...(t.schedule.decay === 'plateau' ? { plateau } : {}) };
    if (improved) state = { ...state, bestValLoss: val.loss, bestEpoch: epoch + 1, epochsWithoutImprovement: 0 };
    else state = { ...state, epochsWithoutImprovement: state.epochsWithoutImprovement + 1 };
    const weights = new Map<string, tf.Tensor>(model.namedVariables());
    for (const [name, v] of objective.namedVariables?.() ?? []) weights.set(OBJECTIVE_PREFIX + name, v);
    const objectiveState = await objective.saveState?.();
    for (const { name, tensor } of objectiveState?.tensors ?? []) weights.set(OBJECTIVE_STATE_PREFIX + name, tensor);
    if (objectiveState) state = { ...state, objective: objectiveState.json };
    for (const [name, v] of ema ?? []) weights.set(EMA_PREFIX + name, v);
    const optWeights = await optimizer.getWeights();
    // The epoch's sample grid is written before its checkpoints: a run resumed after this epoch
    // has its grid, and one resumed before it rewrites the same grid.
    const drawn = withEma(() => drawSamples(opts));
    await saveSamples(opts, drawn, path.join(outDir, 'samples', `epoch-${String(epoch + 1).padStart(3, '0')}.png`), `samples after epoch ${epoch + 1}`);
    if (improved) await saveCheckpoint(path.join(ckptDir, 'best'), weights, optWeights, state);
    await saveCheckpoint(latest, weights, optWeights, state);
    // getWeights() returns the optimiser's own variables plus a fresh iteration-count tensor.
    for (const w of optWeights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    tf.dispose(objectiveState?.tensors.map((t) => t.tensor) ?? []);
    opts.onEpochEnd?.(epoch + 1, trainRecord, valRecord);

    if (t.earlyStopping && state.epochsWithoutImprovement >= t.earlyStopping.patience) {
      log(`vaeflow: early stopping after epoch ${epoch + 1}: no validation improvement for ${state.epochsWithoutImprovement} epochs`);
      stoppedEarly = true;
      break;
    }
  }
  optimizer.dispose();
  if (ema) tf.dispose([...ema.values()]);

  // Test on the best checkpoint (its moving average, with training.ema).
  const best = findCheckpoint(path.join(ckptDir, 'best'));
  if (best) {
    const c = loadCheckpoint(best);
    model.loadWeights(c.weights, hasEma(c.weights) ? EMA_PREFIX : '');
    disposeCheckpoint(c);
  }
  const test = evaluateSplit(model, objective, dataset.test, dim, t.evalBatchSize, new Random(`${manifest.seed}:test`), { epoch: state.epoch, step: state.step });
  const testRecord: MetricsRecord = { epoch: state.bestEpoch ?? state.epoch, split: 'test', step: state.step, n: dataset.test.n, ...test };
  appendMetrics(metricsFile, testRecord);
  for (const l of loggers) l.end?.(testRecord);
  await writeSamples(opts, path.join(outDir, 'samples', 'final.png'));
  log(`test (best epoch ${state.bestEpoch}): loss ${fmt(test.loss)}${test.elbo !== undefined ? `, -ELBO ${fmt(-test.elbo)} nats` : ''}`);
  return {
    epochsRun: state.epoch - startEpoch,
    bestEpoch: state.bestEpoch,
    bestValLoss: state.bestValLoss,
    test,
    seconds: (Date.now() - started) / 1000,
    examplesPerSec: trainSeconds > 0 ? trainedExamples / trainSeconds : 0,
    stoppedEarly,
  };
}

/** Whether a checkpoint's weights include the moving average (training.ema). */
export function hasEma(weights: Map<string, tf.Tensor>): boolean {
  for (const k of weights.keys()) if (k.startsWith(EMA_PREFIX)) return true;
  return false;
}

function fmt(v: number | string | undefined): string {
  return typeof v === 'number' ? v.toFixed(2) : String(v);
}

function mapValues(o: Record<string, number>, f: (v: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/**
 * E[x|z] for n = training.samples latents z ~ p(z) drawn with a fixed seed (the same z every
 * epoch); a conditional model draws one row per class. Null when no samples are asked for.
 */
function drawSamples(opts: Pick<TrainerOptions, 'manifest' | 'model'>): DrawnSamples | null {
  const asked = opts.manifest.training.samples;
  if (asked <= 0) return null;
  const rng = new Random(`${opts.manifest.seed}:samples`);
  const C = opts.model.conditionDim ?? 0;
  if (!C) return { values: tf.tidy(() => opts.model.generate(asked, rng).dataSync() as Float32Array), n: asked };
  const grid = classGrid(asked, C);
  const values = tf.tidy(() => opts.model.generate(grid.n, rng, tf.tensor2d(oneHotRows(grid.labels, C), [grid.n, C])).dataSync() as Float32Array);
  return { values, n: grid.n, columns: grid.columns };
}

/** Samples in data space, how many, and the image grid's columns where they have a layout (one row per class). */
interface DrawnSamples {
  values: Float32Array;
  n: number;
  columns?: number;
}

/**
 * Samples as the data's kind asks: an image grid (PNG), a scatter for 2-D data (an SVG figure
 * with axes when `pointsFigure` is given, the file's extension changed to .svg, else a raster
 * PNG), or one described line per sample (.txt).
 */
async function saveSamples(opts: Pick<TrainerOptions, 'manifest' | 'dataset' | 'pointsFigure'>, drawn: DrawnSamples | null, file: string, title: string): Promise<void> {
  if (!drawn) return;
  const { values, n } = drawn;
  const shape = opts.dataset.inputShape;
  if (shape.length === 3) {
    const pixels = opts.dataset.toPixels ? opts.dataset.toPixels(values) : values;
    writeImageGrid(file, pixels, n, shape, drawn.columns);
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (shape.length === 1 && shape[0] === 2) {
    if (opts.pointsFigure) writeFileAtomic(file.replace(/\.png$/, '.svg'), await opts.pointsFigure(values, `${n} ${title}${opts.manifest.name ? ` (${opts.manifest.name})` : ''}`));
    else writeFileAtomic(file, scatterPng(values, n));
  } else if (opts.dataset.describe) writeFileAtomic(file.replace(/\.png$/, '.txt'), describeSamples(opts.dataset, values, n));
}

/** Samples from the prior with a fixed seed into `file`: an image grid, a 2-D scatter (an SVG figure with `pointsFigure`) or described lines. */
export async function writeSamples(opts: Pick<TrainerOptions, 'manifest' | 'model' | 'dataset' | 'pointsFigure'>, file: string): Promise<void> {
  await saveSamples(opts, drawSamples(opts), file, 'samples from the prior');
}

/** One line per sample, with the domain's validity verdict where it has one, and the valid fraction. */
export function describeSamples(dataset: Dataset, values: Float32Array, n: number): string {
  const dim = values.length / n;
  const lines: string[] = [];
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const row = values.subarray(i * dim, (i + 1) * dim);
    const why = dataset.validity?.(row) ?? null;
    if (why === null) valid++;
    lines.push(`${dataset.describe!(row)}${dataset.validity ? (why === null ? '' : `   [invalid: ${why}]`) : ''}`);
  }
  if (dataset.validity) lines.push('', `valid: ${valid}/${n} (${((100 * valid) / n).toFixed(1)}%)`);
  return `${lines.join('\n')}\n`;
}
