import { Module, tf } from '@vaeflow/core';

/**
 * One invertible step of an image flow, on [B, H, W, C] tensors. `forward` is Glow's direction,
 * data to latent (x -> f(x)), with log|det df/dx| per example; `inverse` undoes it with the
 * inverse's log-determinant.
 */
export abstract class ImageStep extends Module {
  abstract forward(x: tf.Tensor4D): { y: tf.Tensor4D; logDet: tf.Tensor1D };
  abstract inverse(y: tf.Tensor4D): { x: tf.Tensor4D; logDet: tf.Tensor1D };
}

/**
 * Squeeze (Dinh et al. 2017, section 3.6): every 2x2 block of pixels becomes one pixel with four
 * times the channels, [B, H, W, C] -> [B, H/2, W/2, 4C]. A permutation: log|det| = 0.
 */
export function squeeze(x: tf.Tensor4D): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [B, H / 2, 2, W / 2, 2, C]), [0, 1, 3, 2, 4, 5]), [B, H / 2, W / 2, 4 * C]) as tf.Tensor4D;
}

/** The inverse of {@link squeeze}: [B, H, W, 4C] -> [B, 2H, 2W, C]. */
export function unsqueeze(y: tf.Tensor4D): tf.Tensor4D {
  const [B, H, W, C4] = y.shape;
  const C = C4 / 4;
  return tf.reshape(tf.transpose(tf.reshape(y, [B, H, W, 2, 2, C]), [0, 1, 3, 2, 4, 5]), [B, 2 * H, 2 * W, C]) as tf.Tensor4D;
}

/** A per-example constant log-determinant, [B]. */
export const perExample = (B: number, value: tf.Scalar): tf.Tensor1D => tf.mul(tf.ones([B]), value) as tf.Tensor1D;
