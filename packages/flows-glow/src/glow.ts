import { BaseFlow, ModuleList, type Random, tf } from '@vaeflow/core';
import { ChannelActNorm } from './actnorm.js';
import { ConvAffineCoupling } from './conv-coupling.js';
import { type ImageStep, squeeze, unsqueeze } from './image-step.js';
import { InvertibleConv1x1 } from './invertible-conv.js';

export interface GlowOptions {
  /** the image shape [H, W, C] of the flattened vectors the flow acts on */
  shape: [number, number, number];
  /** L: levels, each a squeeze, K steps and (all but the last) a split */
  levels: number;
  /** K: steps per level, each ActNorm, invertible 1x1 convolution, affine coupling */
  steps: number;
  /** channels of the couplings' convolutional conditioners */
  hidden: number;
}

/**
 * Glow (Kingma & Dhariwal 2018, arXiv 1807.03039), multi-scale (Dinh et al. 2017): a level
 * squeezes [h, w, c] to [h/2, w/2, 4c], runs K steps (channel ActNorm, LU 1x1 convolution, affine
 * coupling with a conv conditioner, alternating halves), then factors out half the channels to
 * the base distribution and hands the other half to the next level; the last level keeps all.
 * On flattened [B, H W C] vectors (NHWC order), so it works wherever a flow does: in a `flow` model
 * on images, as a prior on image-shaped latents. Glow's own direction, data to latent, is this
 * flow's inverse (the density direction of a flow model: one pass, no triangular solves); the
 * forward, sampling, direction inverts the 1x1 convolutions.
 */
export class Glow extends BaseFlow {
  readonly id = 'glow';
  override readonly invertible = true;
  /** steps per level */
  readonly levels: ImageStep[][] = [];
  private readonly shape: [number, number, number];
  constructor(
    dim: number,
    rng: Random,
    readonly options: GlowOptions,
  ) {
    super(dim, false);
    const [H, W, C] = options.shape;
    if (H * W * C !== dim) throw new Error(`glow: shape [${options.shape.join(', ')}] holds ${H * W * C} values, the flow acts on ${dim}`);
    const side = 2 ** options.levels;
    if (H % side !== 0 || W % side !== 0)
      throw new Error(`glow: ${options.levels} levels squeeze ${options.levels} times, so height and width must be multiples of ${side}; [${H}, ${W}] are not (use fewer levels)`);
    this.shape = options.shape;
    const all = this.addChild('levels', new ModuleList());
    let c = C;
    for (let l = 0; l < options.levels; l++) {
      c *= 4;
      const level = all.push(new ModuleList());
      const steps: ImageStep[] = [];
      for (let k = 0; k < options.steps; k++) {
        const step = level.push(new ModuleList());
        steps.push(step.push(new ChannelActNorm(c)), step.push(new InvertibleConv1x1(c, rng)), step.push(new ConvAffineCoupling(c, options.hidden, k, rng)));
      }
      this.levels.push(steps);
      if (l < options.levels - 1) c /= 2;
    }
  }

  /** Glow's direction at level l (data to latent): squeeze, steps, split off half and recurse, unsqueeze. */
  private toLatent(x: tf.Tensor4D, l: number): { y: tf.Tensor4D; logDet: tf.Tensor1D } {
    let y = squeeze(x);
    let logDet = tf.zeros([x.shape[0]]) as tf.Tensor1D;
    for (const step of this.levels[l]) {
      const r = step.forward(y);
      y = r.y;
      logDet = tf.add(logDet, r.logDet) as tf.Tensor1D;
    }
    if (l < this.levels.length - 1) {
      const [kept, out] = tf.split(y, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
      const r = this.toLatent(kept, l + 1);
      y = tf.concat([r.y, out], 3) as tf.Tensor4D;
      logDet = tf.add(logDet, r.logDet) as tf.Tensor1D;
    }
    return { y: unsqueeze(y), logDet };
  }

  /** The inverse of {@link toLatent}: squeeze, join the next level's inverse with the factored-out half, steps backwards, unsqueeze. */
  private toData(y: tf.Tensor4D, l: number): { x: tf.Tensor4D; logDet: tf.Tensor1D } {
    let x = squeeze(y);
    let logDet = tf.zeros([y.shape[0]]) as tf.Tensor1D;
    if (l < this.levels.length - 1) {
      const [kept, out] = tf.split(x, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
      const r = this.toData(kept, l + 1);
      x = tf.concat([r.x, out], 3) as tf.Tensor4D;
      logDet = r.logDet;
    }
    for (const step of [...this.levels[l]].reverse()) {
      const r = step.inverse(x);
      x = r.x;
      logDet = tf.add(logDet, r.logDet) as tf.Tensor1D;
    }
    return { x: unsqueeze(x), logDet };
  }

  private image(v: tf.Tensor2D): tf.Tensor4D {
    return tf.reshape(v, [v.shape[0], ...this.shape]) as tf.Tensor4D;
  }

  /** Sampling direction, latent to data. */
  protected forward(z: tf.Tensor2D) {
    const { x, logDet } = this.toData(this.image(z), 0);
    return { z: tf.reshape(x, [z.shape[0], this.dim]) as tf.Tensor2D, logDet };
  }

  /** Density direction, data to latent: Glow's f. */
  protected override inverse(x: tf.Tensor2D) {
    const { y, logDet } = this.toLatent(this.image(x), 0);
    return { z: tf.reshape(y, [x.shape[0], this.dim]) as tf.Tensor2D, logDet };
  }
}
