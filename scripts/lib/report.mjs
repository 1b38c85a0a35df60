// What the page scripts share when they turn a multi-seed sweep into a table: verdicts from paired
// differences, validation curves as means over seeds with 95% bands, and how much a curve still
// moves at the end of training.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { estimate } = require('@vaeflow/sweep');

/** holds / does not hold / inconclusive, from a paired difference whose sign the claim predicts (negative by default). */
export function verdict(e, { claimSign = -1 } = {}) {
  if (!e || e.n === 0) return 'not measured yet';
  if (e.n < 2) return 'inconclusive (one seed)';
  if (claimSign * e.mean - e.half > 0) return '**holds**';
  if (claimSign * e.mean + e.half < 0) return '**does not hold**';
  return 'inconclusive at this budget';
}

/** The same verdict as plain words, for inside a sentence that is not a table cell. */
export function verdictText(e, options) {
  return verdict(e, options).replace(/\*\*/g, '');
}

/** The differences a - b, seed by seed, over the seeds both have (each a Map seed -> value). */
export function pairedDifferences(a, b) {
  return [...a.entries()].filter(([seed]) => b.has(seed)).map(([seed, v]) => v - b.get(seed));
}

/** Paired differences a - b over the seeds both have, as an estimate. */
export function paired(a, b) {
  return estimate(pairedDifferences(a, b));
}

/**
 * One chart series from several seeds' curves ([{ epoch, value }] each): the mean per epoch with
 * its 95% band, from epoch `from` on.
 */
export function seedSeries(name, curves, from = 1) {
  const maxEpoch = Math.max(0, ...curves.map((c) => c.at(-1)?.epoch ?? 0));
  const points = [];
  for (let e = from; e <= maxEpoch; e++) {
    const v = estimate(curves.map((c) => c.find((p) => p.epoch === e)?.value ?? NaN));
    if (v.n) points.push({ x: e, y: v.mean, lo: Number.isFinite(v.half) ? v.mean - v.half : v.mean, hi: Number.isFinite(v.half) ? v.mean + v.half : v.mean });
  }
  return { name: `${name} (n = ${curves.length})`, points };
}

/** The change of each curve over its last `tail` epochs, as an estimate over seeds (negative: still falling). */
export function lateChange(curves, tail) {
  return estimate(
    curves.map((c) => {
      const last = c.at(-1);
      const before = last && c.find((p) => p.epoch === last.epoch - tail);
      return before ? last.value - before.value : NaN;
    }),
  );
}

/** A y range that shows the ends of the curves: from just below their lowest point to `span` above it. */
export function tailDomain(series, fromX, span) {
  const ys = series.flatMap((s) => s.points.filter((p) => p.x >= fromX).flatMap((p) => [p.lo, p.hi])).filter(Number.isFinite);
  return ys.length ? [Math.floor(Math.min(...ys)) - 0.5, Math.ceil(Math.min(...ys) + span)] : undefined;
}

/** Training images and Adam steps per epoch of an MNIST-family manifest (60,000 images less the validation split). */
export function mnistBudget(manifest) {
  const trainImages = Math.round(60000 * (1 - (manifest.data.validationSplit ?? 0.1)));
  return { trainImages, stepsPerEpoch: manifest.training.stepsPerEpoch ?? Math.floor(trainImages / manifest.training.batchSize) };
}
