import * as tf from '@tensorflow/tfjs-core';
import type { Flow } from '../interfaces.js';
import { Module, ModuleList } from '../nn/module.js';

/**
 * Bijections applied to the data before a model sees it (e.g. logit then ActNorm, as in
 * Papamakarios et al. 2017 and the AEF paper, appendix D.3): y = T(x). The model's density of
 * x counts them by the change of variables, log p(x) = log p(y) + log|det dT/dx|, and its
 * samples and reconstructions are mapped back with T^-1.
 */
export class Preprocessing extends Module {
  readonly list: ModuleList;
  constructor(readonly flows: Flow[]) {
    super();
    this.list = this.addChild('flows', new ModuleList());
    for (const f of flows) {
      if (!f.invertible) throw new Error(`preprocessing flow "${f.id}" is not invertible; samples could not be mapped back to data space`);
      this.list.push(f);
    }
  }
  get empty(): boolean {
    return this.flows.length === 0;
  }
  /** y = T(x) with log|det dT/dx| per example. */
  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    let y = x;
    let logDet = tf.zeros([x.shape[0]]) as tf.Tensor1D;
    for (const f of this.flows) {
      const r = f.forwardAndLogDet(y);
      y = r.z;
      logDet = tf.add(logDet, r.logDet) as tf.Tensor1D;
    }
    return { y, logDet };
  }
  /** x = T^-1(y). */
  inverse(y: tf.Tensor2D): tf.Tensor2D {
    let x = y;
    for (let i = this.flows.length - 1; i >= 0; i--) x = this.flows[i].inverseAndLogDet(x).z;
    return x;
  }
}
