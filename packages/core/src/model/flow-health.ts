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
      out.push(layer);
      z = r.z;
    });
  });
  return out;
}

/** "flow 3 (planar): log-det" for the first layer whose result is not finite, else null. */
export function firstNonFiniteLayer(layers: FlowLayerHealth[]): string | null {
  const bad = layers.find((l) => l.nonFinite);
  return bad ? `flow ${bad.index} (${bad.id}): ${bad.nonFinite === 'logDet' ? 'log-det' : 'output'}` : null;
}
