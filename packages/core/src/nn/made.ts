import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { fanInUniform } from './layers.js';
import type { Random } from '../random.js';

/**
 * Autoregressive degrees for MADE (Germain et al. 2015, arXiv 1502.03509). Inputs get the
 * degrees of `order` (a permutation of 1..L); hidden unit k gets 1 + (k mod max(1, L - 1)),
 * so every degree in 1..L-1 is represented; output i (for input i) gets degree order[i].
 * A hidden unit of degree d sees inputs of degree <= d; an output of degree d sees hidden
 * units of degree < d, so output i depends only on inputs that come before i in `order`.
 */
export function madeMasks(order: number[], hidden: number[]): Float32Array[] {
  const L = order.length;
  const degrees: number[][] = [order];
  for (const H of hidden) degrees.push(Array.from({ length: H }, (_, k) => 1 + (k % Math.max(1, L - 1))));
  const masks: Float32Array[] = [];
  for (let l = 1; l < degrees.length; l++) {
    const [prev, cur] = [degrees[l - 1], degrees[l]];
    const m = new Float32Array(prev.length * cur.length);
    for (let i = 0; i < prev.length; i++) for (let j = 0; j < cur.length; j++) m[i * cur.length + j] = cur[j] >= prev[i] ? 1 : 0;
    masks.push(m);
  }
  const last = degrees[degrees.length - 1];
  const out = new Float32Array(last.length * L);
  for (let i = 0; i < last.length; i++) for (let j = 0; j < L; j++) out[i * L + j] = order[j] > last[i] ? 1 : 0;
  masks.push(out);
  return masks;
}

/** A dense layer whose kernel is multiplied by a fixed 0/1 mask: y = x (W ⊙ M) + b. */
export class MaskedDense extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  private readonly mask: tf.Tensor2D;
  constructor(
    rng: Random,
    inputDim: number,
    readonly outputDim: number,
    mask: Float32Array,
    biasInit?: number,
    initScale = 1,
  ) {
    super();
    this.mask = tf.tensor2d(mask, [inputDim, outputDim]);
    const fanIn = Math.max(1, tf.sum(this.mask).dataSync()[0] / outputDim);
    this.kernel = this.addParam('kernel', fanInUniform(rng, [inputDim, outputDim], fanIn, initScale));
    this.bias = this.addParam('bias', biasInit === undefined ? fanInUniform(rng, [outputDim], fanIn, initScale) : tf.fill([outputDim], biasInit));
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, tf.mul(this.kernel, this.mask) as tf.Tensor2D), this.bias) as tf.Tensor2D;
  }
  override dispose(): void {
    this.mask.dispose();
    super.dispose();
  }
}

/** One output head of MADE: `size` numbers per input dimension, starting at `bias` (random when undefined). */
export interface MadeHead {
  name: string;
  size: number;
  bias?: number;
}

/**
 * MADE with named output heads, head_i = MADE(z_<i, h) for every dimension i: masked hidden
 * layers (ELU) with the context h added, unmasked, to the first hidden layer (Kingma et al. 2016).
 * A head of size P gives [B, L * P] outputs, P per dimension (column i * P + p for dimension i).
 */
export class MADE extends Module {
  readonly layers: MaskedDense[] = [];
  readonly heads: MaskedDense[] = [];
  readonly context?: tf.Variable;
  constructor(
    rng: Random,
    readonly order: number[],
    hidden: number[],
    contextDim: number,
    readonly headSpecs: readonly MadeHead[],
  ) {
    super();
    if (hidden.length === 0) throw new Error('MADE needs at least one hidden layer');
    const masks = madeMasks(order, hidden);
    const L = order.length;
    const sizes = [L, ...hidden];
    for (let l = 0; l < hidden.length; l++) this.layers.push(this.addChild(`hidden${l}`, new MaskedDense(rng, sizes[l], sizes[l + 1], masks[l])));
    const outMask = masks[masks.length - 1];
    const H = hidden[hidden.length - 1];
    for (const head of headSpecs) {
      // Each dimension's mask column repeated for its P outputs.
      const mask = new Float32Array(H * L * head.size);
      for (let i = 0; i < H; i++) for (let j = 0; j < L; j++) for (let p = 0; p < head.size; p++) mask[(i * L + j) * head.size + p] = outMask[i * L + j];
      // Small output weights: the flow starts close to its bias-determined transform.
      this.heads.push(this.addChild(head.name, new MaskedDense(rng, H, L * head.size, mask, head.bias ?? 0, 0.1)));
    }
    if (contextDim > 0) this.context = this.addParam('context', fanInUniform(rng, [contextDim, hidden[0]], contextDim));
  }
  /** Every head's output, by name, each [B, L * size]. */
  apply(z: tf.Tensor2D, h?: tf.Tensor2D): Record<string, tf.Tensor2D> {
    let a = this.layers[0].apply(z);
    if (this.context && h) a = tf.add(a, tf.matMul(h, this.context as tf.Tensor2D)) as tf.Tensor2D;
    a = tf.elu(a) as tf.Tensor2D;
    for (let l = 1; l < this.layers.length; l++) a = tf.elu(this.layers[l].apply(a)) as tf.Tensor2D;
    const out: Record<string, tf.Tensor2D> = {};
    this.headSpecs.forEach((spec, k) => {
      out[spec.name] = this.heads[k].apply(a);
    });
    return out;
  }
}
