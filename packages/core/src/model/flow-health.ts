import * as tf from '@tensorflow/tfjs-core';
import type { Flow } from '../interfaces.js';

/** One flow layer's state on a batch (`vaeflow train` with `training.flowHealthEvery`). */
export interface FlowLayerHealth {
  /** position in the model's flow list */
  index: number;
  id: string;
  /** mean and standard deviation of log|det J| over the batch */
  logDetMean: number;
  logDetStd: number;
  /** what of this layer's result is not finite, when something is */
  nonFinite: 'output' | 'logDet' | null;
  /** max |f^-1(f(z)) - z| over the batch, for invertible layers */
  roundTripError?: number;
  /** the layer's own checks ({@link Flow.checks}) over the batch */
  checks?: Record<string, FlowCheckSummary>;
}

/** A flow check over a set of examples: the largest value, and how many of n went over the limit. */
export interface FlowCheckSummary {
  max: number;
  over: number;
  n: number;
  limit: number;
  meaning: string;
}

/**
 * Runs z through `flows` one layer at a time (with the context h of conditional flows) and reports
 * each layer's log-determinant statistics, whether its output or log-det stopped being finite,
 * and, where the layer is invertible, its inverse round-trip error.
 */
export function flowHealth(flows: Flow[], z0: tf.Tensor2D, h?: tf.Tensor2D): FlowLayerHealth[] {
  const out: FlowLayerHealth[] = [];
  tf.tidy(() => {
    let z = z0;
    flows.forEach((f, index) => {
      const context = f.conditional ? h : undefined;
      const r = f.forwardAndLogDet(z, context);
      const m = tf.moments(r.logDet);
      const [mean, variance] = [m.mean.dataSync()[0], m.variance.dataSync()[0]];
      const finite = (t: tf.Tensor) => tf.all(tf.isFinite(t)).dataSync()[0] === 1;
      const nonFinite = !finite(r.z) ? 'output' : !finite(r.logDet) ? 'logDet' : null;
      const layer: FlowLayerHealth = { index, id: f.id, logDetMean: mean, logDetStd: Math.sqrt(variance), nonFinite };
      if (f.invertible && nonFinite === null) layer.roundTripError = tf.max(tf.abs(tf.sub(f.inverseAndLogDet(r.z, context).z, z))).dataSync()[0];
      const checks = Object.entries(f.checks?.(z, context) ?? {});
      if (checks.length) {
        layer.checks = {};
        for (const [name, c] of checks) {
          const values = c.perExample.dataSync();
          let max = Number.NEGATIVE_INFINITY;
          let over = 0;
          for (const v of values) {
            // NaN counts as over: a check that cannot be computed has not passed
            if (!(v <= c.limit)) over++;
            max = Math.max(max, Number.isNaN(v) ? Number.POSITIVE_INFINITY : v);
          }
          layer.checks[name] = { max, over, n: values.length, limit: c.limit, meaning: c.meaning };
        }
      }
      out.push(layer);
      z = r.z;
    });
  });
  return out;
}

/** Summaries of the same checks over more examples (batches of an evaluation): maxima and counts add up. */
export function mergeCheckSummaries(a: Record<string, FlowCheckSummary> | undefined, b: Record<string, FlowCheckSummary>): Record<string, FlowCheckSummary> {
  const out: Record<string, FlowCheckSummary> = { ...a };
  for (const [name, s] of Object.entries(b)) {
    const prev = out[name];
    out[name] = prev ? { ...s, max: Math.max(prev.max, s.max), over: prev.over + s.over, n: prev.n + s.n } : { ...s };
  }
  return out;
}

/** One warning line per check of a layer that some example went over, e.g. for the training log. */
export function checkWarnings(layers: Pick<FlowLayerHealth, 'index' | 'id' | 'checks'>[]): string[] {
  const lines: string[] = [];
  for (const l of layers)
    for (const [name, c] of Object.entries(l.checks ?? {}))
      if (c.over > 0) lines.push(`flow ${l.index} (${l.id}): ${name} over its limit ${c.limit} for ${c.over} of ${c.n} examples (largest ${c.max.toPrecision(3)}): ${c.meaning}`);
  return lines;
}

/** "flow 3 (planar): log-det" for the first layer whose result is not finite, else null. */
export function firstNonFiniteLayer(layers: FlowLayerHealth[]): string | null {
  const bad = layers.find((l) => l.nonFinite);
  return bad ? `flow ${bad.index} (${bad.id}): ${bad.nonFinite === 'logDet' ? 'log-det' : 'output'}` : null;
}
