import * as tf from '@tensorflow/tfjs-core';
import { AFFINE_COUPLING_GRAD_KERNEL, AFFINE_COUPLING_KERNEL } from './fused-kernels.js';

/** What these kernels use of tfjs-backend-wasm's backend: outputs in its heap, read in place. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** Shapes the kernels take, or a located error: x [B, D], shift and logScale like x, mask of D values, dy [B, D] and dLogDet [B]. */
function checkShapes(name: string, inputs: Record<string, tf.TensorInfo | undefined>, backward: boolean): { B: number; D: number } {
  const { x, shift, logScale, mask, dy, dLogDet } = inputs;
  const B = x?.shape[0] ?? 0;
  const D = x?.shape[1] ?? 0;
  const like = (t: tf.TensorInfo | undefined) => t != null && t.dtype === 'float32' && tf.util.arraysEqual(t.shape, [B, D]);
  const fits =
    x != null &&
    x.shape.length === 2 &&
    like(x) &&
    like(shift) &&
    like(logScale) &&
    mask != null &&
    mask.dtype === 'float32' &&
    tf.util.sizeFromShape(mask.shape) === D &&
    (!backward || (like(dy) && dLogDet != null && dLogDet.dtype === 'float32' && tf.util.arraysEqual(dLogDet.shape, [B])));
  if (!fits) {
    const shapes = Object.entries(inputs)
      .map(([k, t]) => `${k} ${t ? `[${t.shape}] ${t.dtype}` : 'missing'}`)
      .join(', ');
    throw new Error(`${name} takes float32 x [B, D], shift [B, D], logScale [B, D], mask [D]${backward ? ', dy [B, D], dLogDet [B]' : ''}; got ${shapes}`);
  }
  return { B, D };
}

/**
 * {@link AFFINE_COUPLING_KERNEL} on the wasm heap, in one pass over B x D values (see its doc for
 * the maths). Plain loops: the tensors it is for are small, and it saves the eight other kernels'
 * dispatch, output allocation and tape entries.
 */
export const affineCouplingKernel: tf.KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as unknown as WasmHeapBackend;
  const ins = inputs as Record<string, tf.TensorInfo>;
  const { B, D } = checkShapes(AFFINE_COUPLING_KERNEL, ins, false);
  const inverse = (attrs as { inverse?: boolean }).inverse === true;
  const yInfo = backend.makeOutput([B, D], 'float32');
  const ldInfo = backend.makeOutput([B], 'float32');
  // Views after every allocation: a growing heap detaches older ones.
  const [x, t, s, m, y, ld] = [ins.x, ins.shift, ins.logScale, ins.mask, yInfo, ldInfo].map((i) => backend.typedArrayFromHeap(i));
  for (let r = 0; r < B; r++) {
    let sum = 0;
    for (let i = 0, k = r * D; i < D; i++, k++) {
      if (m[i] !== 0) {
        y[k] = x[k];
        continue;
      }
      y[k] = inverse ? (x[k] - t[k]) * Math.exp(-s[k]) : x[k] * Math.exp(s[k]) + t[k];
      sum += s[k];
    }
    ld[r] = inverse ? -sum : sum;
  }
  return [yInfo, ldInfo];
};

/**
 * {@link AFFINE_COUPLING_GRAD_KERNEL}: with g = dy on a transformed coordinate (mask 0) and L the
 * per-row dLogDet,
 *   forward  dx = g exp(s),   dShift = g,            dLogScale = g x exp(s) + L
 *   inverse  dx = g exp(-s),  dShift = -g exp(-s),   dLogScale = -g (x - t) exp(-s) - L
 * and on a kept coordinate dx = dy, dShift = dLogScale = 0.
 */
export const affineCouplingGradKernel: tf.KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as unknown as WasmHeapBackend;
  const ins = inputs as Record<string, tf.TensorInfo>;
  const { B, D } = checkShapes(AFFINE_COUPLING_GRAD_KERNEL, ins, true);
  const inverse = (attrs as { inverse?: boolean }).inverse === true;
  const outs = [0, 1, 2].map(() => backend.makeOutput([B, D], 'float32'));
  const [x, t, s, m, dy, dl, dx, dt, ds] = [ins.x, ins.shift, ins.logScale, ins.mask, ins.dy, ins.dLogDet, ...outs].map((i) => backend.typedArrayFromHeap(i));
  for (let r = 0; r < B; r++) {
    const L = dl[r];
    for (let i = 0, k = r * D; i < D; i++, k++) {
      const g = dy[k];
      if (m[i] !== 0) {
        dx[k] = g;
        dt[k] = 0;
        ds[k] = 0;
      } else if (inverse) {
        const e = Math.exp(-s[k]);
        dx[k] = g * e;
        dt[k] = -g * e;
        ds[k] = -g * (x[k] - t[k]) * e - L;
      } else {
        const e = Math.exp(s[k]);
        dx[k] = g * e;
        dt[k] = g;
        ds[k] = g * x[k] * e + L;
      }
    }
  }
  return outs;
};
