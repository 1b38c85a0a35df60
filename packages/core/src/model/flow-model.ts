import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.js';
import { InverseFlow, SequentialFlow } from '../flow.js';
import type { Flow, LatentModel, LatentTerms, Objective, Prior } from '../interfaces.js';
import type { Random } from '../random.js';
import { flowHealth, type FlowLayerHealth } from './flow-health.js';
import { Preprocessing } from './preprocessing.js';

/**
 * A normalizing flow as a density model of the data (maximum likelihood, no encoder): flows
 * f_1..f_K listed in the sampling direction, x = T^-1(f_K o ... o f_1(u)), u ~ base, so
 *   log p(x) = log p_base(u) + sum_k log|det d f_k^-1| + log|det dT/dx|,  u = f_1^-1 o ... o f_K^-1(T(x)),
 * with T the preprocessing (dequantised images: logit). Every flow must be invertible; flows
 * whose inverse is one pass (MAF, coupling layers) evaluate densities fast. In the terms, logPx
 * is the preprocessing's log-det, logQz minus the flows' (density direction), logPz the base's
 * log-density, so logPx + logPz - logQz = log p(x) exactly (train with the `nll` objective).
 */
export class FlowModel extends Module implements LatentModel {
  readonly kind = 'flow';
  readonly exactLikelihood = true;
  readonly latentDim: number;
  readonly preprocessing: Preprocessing;
  /** data (after preprocessing) -> base, the density direction */
  readonly density: Flow;
  readonly prior: Prior;
  /** f_1..f_K, in the sampling direction */
  private readonly flows: Flow[];
  constructor(flows: Flow[], base: Prior, preprocessing: Flow[]) {
    super();
    if (flows.length === 0) throw new Error('a flow model needs at least one flow');
    for (const f of flows) {
      if (!f.invertible) throw new Error(`flow "${f.id}" is not invertible; a flow model evaluates densities through the inverses of its flows`);
      if (f.conditional) throw new Error(`flow "${f.id}" is conditional; a flow model gives its flows no context (set "conditional": false)`);
    }
    this.latentDim = flows[0].dim;
    this.flows = flows;
    this.preprocessing = this.addChild('preprocessing', new Preprocessing(preprocessing));
    this.density = this.addChild('flows', new InverseFlow(flows.length === 1 ? flows[0] : new SequentialFlow(flows, 'flows')));
    this.prior = this.addChild('base', base);
  }

  objectiveProblem(objective: Objective): string | null {
    return objective.id === 'nll' ? null : `a flow model is trained by its exact negative log-likelihood, not "${objective.id}"; use { "type": "nll" }`;
  }

  /** Deterministic: `rng` is unused. */
  terms(x: tf.Tensor2D, _rng: Random | null, _training: boolean): LatentTerms {
    const { y, logDet: logDetT } = this.preprocessing.forward(x);
    const { z, logDet } = this.density.forwardAndLogDet(y);
    const logPz = this.prior.logProb(z);
    const logQz = tf.neg(logDet) as tf.Tensor1D;
    return { logPx: logDetT, logPz, logQz, kl: tf.sub(logQz, logPz) as tf.Tensor1D, z, mean: z };
  }

  /**
   * Each flow's log-det statistics, finiteness and round-trip error on a batch, taken the way the
   * density goes (data to base: f_K^-1 first, its log-det that of f_K^-1); index and id are the
   * flow's in the model's list. `rng` is unused.
   */
  flowHealth(x: tf.Tensor2D, _rng: Random): FlowLayerHealth[] {
    const K = this.flows.length;
    const inverses = this.flows.map((f) => new InverseFlow(f)).reverse();
    let layers: FlowLayerHealth[] = [];
    tf.tidy(() => {
      layers = flowHealth(inverses, this.preprocessing.forward(x).y);
    });
    return layers.map((l) => ({ ...l, index: K - 1 - l.index, id: this.flows[K - 1 - l.index].id }));
  }

  /** log p(x) per example, exact. */
  logLikelihood(x: tf.Tensor2D): tf.Tensor1D {
    const t = this.terms(x, null, false);
    return tf.sub(tf.add(t.logPx, t.logPz), t.logQz) as tf.Tensor1D;
  }

  /** Every weight is the exact log p(x), so any K estimates it without error. */
  logWeights(x: tf.Tensor2D, k: number): tf.Tensor2D {
    return tf.tile(tf.expandDims(this.logLikelihood(x), 1), [1, k]) as tf.Tensor2D;
  }

  generate(n: number, rng: Random): tf.Tensor2D {
    return this.preprocessing.inverse(this.density.inverseAndLogDet(this.prior.sample(n, rng)).z);
  }

  /** A bijection reconstructs exactly: the data through the flows and back. */
  reconstruct(x: tf.Tensor2D): tf.Tensor2D {
    return this.preprocessing.inverse(this.density.inverseAndLogDet(this.encodeMean(x)).z);
  }

  /** The base-space code u of each example. */
  encodeMean(x: tf.Tensor2D): tf.Tensor2D {
    return this.density.forwardAndLogDet(this.preprocessing.forward(x).y).z;
  }
}
