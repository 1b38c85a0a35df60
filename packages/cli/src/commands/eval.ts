import * as os from 'node:os';
import * as path from 'node:path';
import {
  EpochProgress,
  Random,
  UserError,
  checkWarnings,
  dataColumns,
  mergeCheckSummaries,
  type FlowCheckSummary,
  inputDimOf,
  rowDimOf,
  selectBackend,
  tf,
  userErrorFromSystem,
  writeFileAtomic,
  type BackendRequest,
} from '@vaeflow/core';
import type * as Metrics from '@vaeflow/metrics';
import { loadRun } from '../run-folder.js';
import { requireOptional } from '../optional.js';
import { exPostGmmPrior } from '../ex-post.js';

export interface EvalOptions {
  k: number;
  limit?: number;
  /** examples x samples per pass (default 1024): a conv decoder's activations for 8192 rows overflow the wasm heap */
  maxRows?: number;
  split: 'test' | 'val';
  fcd?: boolean;
  backend?: BackendRequest;
  /** threads for the native kernels */
  threads?: number;
  cacheDir?: string;
  quiet?: boolean;
  /** annealed importance sampling steps (off when absent) */
  ais?: number;
  aisLimit?: number;
  /** bidirectional Monte Carlo on this many simulated examples (needs ais) */
  bdmc?: number;
  /** split the inference gap on this many examples */
  gaps?: number;
  /** also the IS-NLL with the prior replaced by a K-component mixture fitted to the training codes */
  exPostGmm?: number;
}

/**
 * `vaeflow eval <run>`: importance-sampled NLL (IWAE bound with K samples), bits per dimension
 * for continuous data, reconstruction error, active units and per-dimension KL (latentUsage), the
 * KL split into I(x; z) and the marginal KL (elboSurgery, posteriors without flows), with --fcd
 * the Frechet classifier distance, with --ais an AIS lower bound and with --bdmc the BDMC sandwich;
 * printed and written to <run>/eval.json.
 */
export async function evalCommand(runDir: string, o: EvalOptions): Promise<{ result: Record<string, unknown>; notWritten?: Error }> {
  const metrics = requireOptional<typeof Metrics>('@vaeflow/metrics', 'vaeflow eval', [process.cwd(), runDir]);
  const log = o.quiet ? () => undefined : (l: string) => process.stderr.write(`${l}\n`);
  await selectBackend(o.backend ?? 'auto', { log, threads: o.threads });
  const started = Date.now();
  const run = await loadRun(runDir);
  // Rows as the model reads them (a conditional model's end in their condition); dataDim counts the data alone.
  const dim = rowDimOf(run.dataset);
  const dataDim = inputDimOf(run.dataset);
  const split = o.split === 'val' ? run.dataset.val : run.dataset.test;
  const n = Math.min(split.n, o.limit ?? Infinity);
  // Estimators with a free setting (the linear AEF's proposal scale) choose it on validation data first.
  let tuned: Record<string, number> | undefined;
  if (run.model.tuneEstimator) {
    const m = Math.min(run.dataset.val.n, 64);
    tuned = tf.tidy(() => run.model.tuneEstimator!(tf.tensor2d(run.dataset.val.x.subarray(0, m * dim), [m, dim]), new Random(`tune:${run.manifest.seed}`)));
    if (Object.keys(tuned).length) log(`vaeflow: estimator settings chosen on ${m} validation examples: ${JSON.stringify(tuned)}`);
  }
  /** The IWAE estimate of a model with K samples on the first n examples, with a progress bar; the same draws every call. */
  const isNll = (model: typeof run.model, label: string) => {
    const bar = new EpochProgress(label, n, log, undefined, { unit: 'examples', rateUnit: 'samples/s', showLoss: false });
    const t0 = Date.now();
    const r = metrics.importanceSampledNll(model, split, dim, {
      k: o.k,
      limit: n,
      maxRows: o.maxRows ?? 1024,
      rng: new Random(`eval:${run.manifest.seed}`),
      onProgress: (done) => bar.update(done, 0, ((done * o.k) / (Date.now() - t0)) * 1000),
    });
    bar.stop();
    return r;
  };
  const iwae = isNll(run.model, `IWAE K=${o.k}`);
  if (iwae.nonFinite.length)
    log(
      `vaeflow eval: warning: the importance-sampled estimate is not finite for ${iwae.nonFinite.length} of ${n} examples (first: ${iwae.nonFinite.slice(0, 5).join(', ')} of the ${o.split ?? 'test'} split), so the NLL is not a number; eval.json lists them as nonFiniteExamples`,
    );
  const result: Record<string, unknown> = {
    run: path.resolve(runDir),
    checkpoint: run.checkpoint,
    split: o.split,
    n,
    k: o.k,
    nll: iwae.nll,
    elbo: iwae.elbo,
    ...(iwae.nonFinite.length ? { nonFiniteExamples: iwae.nonFinite.slice(0, 20) } : {}),
    ...(tuned && Object.keys(tuned).length ? { estimator: tuned } : {}),
  };
  if (run.dataset.valueKind === 'continuous') result.bpd = metrics.bitsPerDim(iwae.nll, dataDim, run.manifest.data.dequantize === true);
  // The per-example passes below take batches of at most 500 examples, and no more than --max-rows.
  const batchSize = Math.min(500, o.maxRows ?? 1024);
  const rec = metrics.reconstructionError(run.model, split, dim, { limit: n, batchSize, binary: run.dataset.valueKind === 'binary' });
  result.reconstructionMse = rec.mse;
  if (rec.bce !== undefined) result.reconstructionBce = rec.bce;
  Object.assign(result, metrics.likelihoodMetrics(run.model, split, dim, { limit: n, batchSize }));
  // Which latent dimensions the model uses (active units, Burda et al. 2016) and, where it splits, the KL of each.
  const usage = metrics.latentUsage(run.model, split, dim, { limit: n, batchSize, rng: new Random(`usage:${run.manifest.seed}`) });
  result.activeUnits = usage.activeUnits;
  result.latentUsage = { threshold: usage.threshold, samples: usage.samples, variance: usage.variance, ...(usage.klPerDim ? { klPerDim: usage.klPerDim } : {}) };
  log(`vaeflow eval: ${usage.activeUnits} of ${run.model.latentDim} latent dimensions active (Var_x E[z_u|x] > ${usage.threshold})`);
  const checks = flowChecks(run, split, dim, n, batchSize);
  if (checks.length) {
    result.flowChecks = checks;
    const warnings = checkWarnings(checks);
    for (const w of warnings) log(`vaeflow eval: warning: ${w}`);
    if (!warnings.length)
      log(
        `vaeflow eval: every posterior flow check holds on all ${n} examples (${checks.flatMap((l) => Object.entries(l.checks).map(([k, c]) => `flow ${l.index} ${k} at most ${c.max.toPrecision(3)}`)).join(', ')})`,
      );
  }
  // ELBO surgery (Hoffman and Johnson 2016): the KL term split into I(x; z) and the aggregate posterior's KL to the prior.
  const surgery = metrics.elboSurgery(run.model, split, dim, { limit: n, rng: new Random(`surgery:${run.manifest.seed}`) });
  if (surgery) result.elboSurgery = { kl: surgery.kl, mutualInformation: surgery.mutualInformation, marginalKl: surgery.marginalKl, maxMutualInformation: Math.log(n) };
  if (run.dataset.validity) {
    const v = metrics.sampleValidity(run.model, run.dataset.validity, 1000, new Random(`validity:${run.manifest.seed}`));
    result.priorSampleValidity = v.rate;
  }
  if (o.bdmc && !o.ais) throw new UserError('--bdmc needs --ais <steps>: the number of annealing steps both directions use');
  const annealed = o.ais ? annealedBounds(metrics, run, split, dim, o, log) : null;
  if (annealed) {
    result.ais = annealed.ais;
    if (annealed.bdmc) result.bdmc = annealed.bdmc;
  }
  if (o.gaps) result.inferenceGaps = inferenceGapSplit(metrics, run, split, dim, o, log, annealed?.perExample);
  if (o.exPostGmm) {
    if (!run.model.withPrior) throw new UserError(`--ex-post-gmm replaces the model's prior; a ${run.model.kind} model has none to replace`);
    const prior = exPostGmmPrior(run, runDir, o.exPostGmm, 'vaeflow eval --ex-post-gmm', log);
    const e = isNll(run.model.withPrior(prior), `IWAE K=${o.k}, ex-post GMM prior`);
    // the same K, examples and draws as the model's own NLL, so the two differ by the prior alone
    result.exPostGmm = { components: o.exPostGmm, k: o.k, n, nll: e.nll, elbo: e.elbo };
    prior.dispose();
  }
  if (o.fcd) {
    if (!split.labels || run.dataset.inputShape.length !== 3) throw new UserError('--fcd needs a labelled image dataset');
    const cache = o.cacheDir ?? path.join(os.homedir(), '.cache', 'vaeflow');
    const { classifier, info } = await metrics.loadOrTrainClassifier(run.dataset, cache, { log });
    const real = classifier.features(dataColumns(split.x.subarray(0, n * dim), n, run.dataset), dataDim);
    const rng = new Random(`fcd:${run.manifest.seed}`);
    // A conditional model generates with its classes in turn, so the classes stay balanced.
    const generated = new Float32Array(n * dataDim);
    for (let from = 0; from < n; from += 500) {
      const b = Math.min(500, n - from);
      generated.set(
        tf.tidy(() => run.model.generate(b, rng).dataSync() as Float32Array),
        from * dataDim,
      );
    }
    const fake = classifier.features(generated, dataDim);
    result.frechetClassifierDistance = metrics.frechetDistance(metrics.moments(real, classifier.featureDim), metrics.moments(fake, classifier.featureDim));
    result.classifier = info;
  }
  result.parameters = run.model.parameterCount();
  result.seconds = (Date.now() - started) / 1000;
  run.model.dispose();
  // The numbers are printed even when they cannot be saved (a read-only run folder).
  try {
    writeFileAtomic(path.join(runDir, 'eval.json'), `${JSON.stringify(result, null, 2)}\n`);
  } catch (e) {
    const reason = userErrorFromSystem(e);
    return { result, notWritten: new UserError(`the evaluation above could not be saved to ${path.join(runDir, 'eval.json')}: ${reason ? reason.message : (e as Error).message}`) };
  }
  return { result };
}

/**
 * AIS (a stochastic lower bound on log p(x), tighter than IWAE as steps grow) on the split's first
 * examples and, with --bdmc, the BDMC sandwich on data simulated from the model, as eval.json fields.
 */
function annealedBounds(
  metrics: typeof Metrics,
  run: Awaited<ReturnType<typeof loadRun>>,
  split: { x: Float32Array; n: number },
  dim: number,
  o: EvalOptions,
  log: (l: string) => void,
): AnnealedBounds {
  if (!run.model.logLikelihoodGivenZ) throw new UserError(`--ais needs log p(x|z), which the ${run.model.kind} model does not give`);
  const steps = o.ais!;
  const chains = 16;
  const n = Math.min(split.n, o.aisLimit ?? 100);
  const started = Date.now();
  const perExample: number[] = [];
  let acceptance = 0;
  inBatches(split, dim, n, (x, from, to) => {
    const r = metrics.aisLogLikelihood(run.model, x, { steps, chains, rng: new Random(`ais:${run.manifest.seed}:${from}`) });
    perExample.push(...r.logLikelihood);
    acceptance += r.acceptance * (to - from);
    log(`vaeflow eval: AIS ${to}/${n} examples`);
  });
  const out: AnnealedBounds = { perExample, ais: { steps, chains, n, nll: -perExample.reduce((a, b) => a + b, 0) / n, acceptance: acceptance / n, seconds: (Date.now() - started) / 1000 } };
  if (o.bdmc) {
    const t0 = Date.now();
    const r = metrics.bdmc(run.model, o.bdmc, { steps, chains, rng: new Random(`bdmc:${run.manifest.seed}`) });
    r.x.dispose();
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    out.bdmc = {
      steps,
      chains,
      n: o.bdmc,
      lower: mean(r.lower.logLikelihood),
      upper: mean(r.upper.logLikelihood),
      gap: mean(r.upper.logLikelihood) - mean(r.lower.logLikelihood),
      acceptance: (r.lower.acceptance + r.upper.acceptance) / 2,
      seconds: (Date.now() - t0) / 1000,
    };
  }
  return out;
}

/**
 * The approximation and amortisation gaps (means over the first --gaps examples), log p(x) from AIS
 * with --ais: the AIS estimates already made for the first --ais-limit examples, fresh ones beyond.
 */
function inferenceGapSplit(
  metrics: typeof Metrics,
  run: Awaited<ReturnType<typeof loadRun>>,
  split: { x: Float32Array; n: number },
  dim: number,
  o: EvalOptions,
  log: (l: string) => void,
  aisDone: readonly number[] = [],
): Record<string, unknown> {
  if (!run.model.posteriorFeatures || !run.model.logWeightsGivenFeatures) throw new UserError(`--gaps needs the posterior's features, which the ${run.model.kind} model does not give`);
  const n = Math.min(split.n, o.gaps!);
  const started = Date.now();
  const sums = { approximation: 0, amortisation: 0, logPx: 0, elboAmortised: 0 };
  inBatches(split, dim, n, (x, from, to) => {
    const logPx = !o.ais
      ? undefined
      : to <= aisDone.length
        ? aisDone.slice(from, to)
        : metrics.aisLogLikelihood(run.model, x, { steps: o.ais, rng: new Random(`gaps-ais:${run.manifest.seed}:${from}`) }).logLikelihood;
    const g = metrics.inferenceGaps(run.model, x, { logPx, rng: new Random(`gaps:${run.manifest.seed}:${from}`) });
    for (let i = 0; i < to - from; i++) {
      sums.approximation += g.approximation[i];
      sums.amortisation += g.amortisation[i];
      sums.logPx += g.logPx[i];
      sums.elboAmortised += g.elboAmortised[i];
    }
    log(`vaeflow eval: inference gaps ${to}/${n} examples`);
  });
  return {
    n,
    logPxFrom: o.ais ? `AIS, ${o.ais} steps` : 'IWAE with the fitted posterior',
    logPx: sums.logPx / n,
    elboAmortised: sums.elboAmortised / n,
    approximation: sums.approximation / n,
    amortisation: sums.amortisation / n,
    seconds: (Date.now() - started) / 1000,
  };
}

/** f on the split's first n examples, 10 at a time, each batch as a [b, dim] tensor disposed after it. */
function inBatches(split: { x: Float32Array }, dim: number, n: number, f: (x: tf.Tensor2D, from: number, to: number) => void, batch = 10): void {
  for (let from = 0; from < n; from += batch) {
    const to = Math.min(n, from + batch);
    const x = tf.tensor2d(split.x.subarray(from * dim, to * dim), [to - from, dim]);
    try {
      f(x, from, to);
    } finally {
      x.dispose();
    }
  }
}

/**
 * Every posterior flow layer's own checks ({@link Flow.checks}, e.g. O-SNF's orthogonality) on
 * the split's first n examples, one posterior draw each; [] when no layer has checks.
 */
function flowChecks(
  run: Awaited<ReturnType<typeof loadRun>>,
  split: { x: Float32Array },
  dim: number,
  n: number,
  batchSize: number,
): { index: number; id: string; checks: Record<string, FlowCheckSummary> }[] {
  if (!run.model.flowHealth) return [];
  const layers = new Map<number, { index: number; id: string; checks: Record<string, FlowCheckSummary> }>();
  const rng = new Random(`flow-checks:${run.manifest.seed}`);
  inBatches(
    split,
    dim,
    n,
    (x) => {
      for (const l of run.model.flowHealth!(x, rng)) {
        if (!l.checks) continue;
        const prev = layers.get(l.index);
        layers.set(l.index, { index: l.index, id: l.id, checks: mergeCheckSummaries(prev?.checks, l.checks) });
      }
    },
    batchSize,
  );
  return [...layers.values()];
}

interface AnnealedBounds {
  /** AIS's log p(x) estimate of each example, for the gap split (not saved) */
  perExample: number[];
  ais: Record<string, unknown>;
  bdmc?: Record<string, unknown>;
}
