import type * as tf from '@tensorflow/tfjs-core';
import { defineComponent } from '../registry/plugin.js';
import type { Prior } from '../interfaces.js';
import { Module } from '../nn/module.js';
import type { Random } from '../random.js';
import { standardNormalLogProb } from '../math.js';

/** p(z) = N(0, I). Marked `standardNormal` so closed-form KLs can be used against it. */
export class StandardNormalPrior extends Module implements Prior {
  readonly standardNormal = true;
  constructor(readonly dim: number) {
    super();
  }
  logProb(z: tf.Tensor2D): tf.Tensor1D {
    return standardNormalLogProb(z);
  }
  sample(n: number, rng: Random): tf.Tensor2D {
    return rng.normal([n, this.dim]) as tf.Tensor2D;
  }
}

export const standardNormalPrior = defineComponent<Prior, Record<string, never>>({
  kind: 'prior',
  type: 'standard-normal',
  description: 'p(z) = N(0, I).',
  schema: { properties: {} },
  create: (_o, ctx) => new StandardNormalPrior(ctx.latentDim),
});
