import * as tf from '@tensorflow/tfjs-core';
import type { Flow } from '../interfaces.js';
import { Module, ModuleList } from '../nn/module.js';

/**
 * Flows applied one after another, z_k = f_k(z_{k-1}), with the summed log|det|; the inverse
 * runs them backwards. Weights are named by position (`0/...`, `1/...`). With
 * `inverseNeededFor`, every flow must be invertible, and the error says what needs it.
 */
export class FlowChain extends ModuleList {
  constructor(
    readonly flows: Flow[],
    inverseNeededFor?: string,
  ) {
    super();
    for (const f of flows) {
      if (inverseNeededFor && !f.invertible) throw new Error(`flow "${f.id}" is not invertible; ${inverseNeededFor}`);
      this.push(f);
    }
  }
  get empty(): boolean {
    return this.flows.length === 0;
  }
  forward(z: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    let logDet = tf.zeros([z.shape[0]]) as tf.Tensor1D;
    for (const f of this.flows) {
      const r = f.forwardAndLogDet(z);
      z = r.z;
      logDet = tf.add(logDet, r.logDet) as tf.Tensor1D;
    }
    return { z, logDet };
  }
  inverse(y: tf.Tensor2D): tf.Tensor2D {
    for (let i = this.flows.length - 1; i >= 0; i--) y = this.flows[i].inverseAndLogDet(y).z;
    return y;
  }
}

/**
 * Bijections applied to the data before a model sees it (e.g. logit then ActNorm, as in
 * Papamakarios et al. 2017 and the AEF paper, appendix D.3): y = T(x). The model's density of
 * x counts them by the change of variables, log p(x) = log p(y) + log|det dT/dx|, and its
 * samples and reconstructions are mapped back with T^-1.
 */
export class Preprocessing extends Module {
  readonly chain: FlowChain;
  constructor(flows: Flow[]) {
    super();
    this.chain = this.addChild('flows', new FlowChain(flows, 'preprocessing must be inverted to map samples back to data space'));
  }
  get flows(): Flow[] {
    return this.chain.flows;
  }
  get empty(): boolean {
    return this.chain.empty;
  }
  /** y = T(x) with log|det dT/dx| per example. */
  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const { z, logDet } = this.chain.forward(x);
    return { y: z, logDet };
  }
  /** x = T^-1(y). */
  inverse(y: tf.Tensor2D): tf.Tensor2D {
    return this.chain.inverse(y);
  }
}
