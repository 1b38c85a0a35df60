import * as tf from '@tensorflow/tfjs-core';
import type { NativeBinding } from './load';

/**
 * Native kernels for `@tensorflow/tfjs-backend-wasm`, registered through tfjs's public kernel
 * registry. Tensors stay in the wasm heap: the addon receives the heap's ArrayBuffer and byte
 * offsets, reads the inputs and writes outputs that were allocated (by makeOutput) before the
 * heap was taken, since any allocation may grow the heap and detach the old buffer.
 *
 * Shapes a kernel does not handle (NCHW, broadcast batch dimensions other than 1, biases that
 * are not per column) go to the kernel that was registered before, so nothing is lost.
 */

/** Kernel names vaeflow's core looks for (one pass per variable; one reduction for all gradients). */
export const ADAM_KERNEL = 'VaeflowAdam';
export const GLOBAL_NORM_KERNEL = 'VaeflowGlobalNorm';
export const BERNOULLI_LOG_PROB_KERNEL = 'VaeflowBernoulliLogProb';
export const BJORCK_KERNEL = 'VaeflowBjorck';
export const BJORCK_GRAD_KERNEL = 'VaeflowBjorckGrad';
export const RQ_SPLINE_KERNEL = 'VaeflowRQSpline';
export const RQ_SPLINE_GRAD_KERNEL = 'VaeflowRQSplineGrad';
export const MLP_KERNEL = 'VaeflowMLP';
export const MLP_GRAD_KERNEL = 'VaeflowMLPGrad';
/** The most bins the native spline takes. */
export const RQ_SPLINE_MAX_BINS = 64;

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.BackendValues): tf.TensorInfo;
  getMemoryOffset(dataId: tf.DataId): number;
  wasm: { HEAPU8: Uint8Array };
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, prelu: 3, leakyrelu: 4, sigmoid: 5, elu: 6 };

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function offsets(backend: WasmBackend, ...ts: (tf.TensorInfo | undefined)[]): number[] {
  return ts.map((t) => (t == null ? -1 : backend.getMemoryOffset(t.dataId)));
}

/**
 * The length of a bias or PReLU weight tensor the native kernel can broadcast to [M, N]: one
 * value, one per column, or (bias only) one per element of the [M, N] matrix; null otherwise.
 */
function broadcastLength(t: tf.TensorInfo | undefined, M: number, N: number, allowMatrix: boolean): number | null {
  if (t == null) return 0;
  const n = size(t.shape);
  const r = t.shape.length;
  if (n === 1) return 1;
  if (n === N && t.shape[r - 1] === N) return N;
  if (allowMatrix && n === M * N && r >= 2 && t.shape[r - 1] === N && t.shape[r - 2] === M) return M * N;
  return null;
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

function matMulKernel(native: NativeBinding, previous: tf.KernelFunc | null): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { a, b, bias, preluActivationWeights: prelu } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as MatMulAttrs;
    const act = ACTIVATIONS[attrs.activation ?? 'linear'];
    const A = a!,
      B = b!;
    const rA = A.shape.length,
      rB = B.shape.length;
    const M = attrs.transposeA ? A.shape[rA - 1] : A.shape[rA - 2];
    const K = attrs.transposeA ? A.shape[rA - 2] : A.shape[rA - 1];
    const N = attrs.transposeB ? B.shape[rB - 2] : B.shape[rB - 1];
    const outerA = A.shape.slice(0, -2),
      outerB = B.shape.slice(0, -2);
    const batchA = size(outerA),
      batchB = size(outerB);
    const biasLen = broadcastLength(bias, M, N, true),
      preluLen = broadcastLength(prelu, M, N, false);
    const simple = A.dtype === 'float32' && B.dtype === 'float32' && (tf.util.arraysEqual(outerA, outerB) || batchA === 1 || batchB === 1) && act !== undefined && biasLen != null && preluLen != null;
    if (!simple) {
      if (!previous) throw new Error(`vaeflow native matmul: unsupported case (shapes [${A.shape}] x [${B.shape}]) and no kernel to fall back on`);
      return previous(args);
    }
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
    const batch = Math.max(batchA, batchB);
    const out = backend.makeOutput([...outer, M, N], 'float32');
    if (batch * M * N === 0) return out;
    const [oa, ob, oo, obias, oprelu] = offsets(backend, A, B, out, bias, prelu);
    native.matmul(
      backend.wasm.HEAPU8.buffer as ArrayBuffer,
      oa,
      ob,
      oo,
      obias,
      oprelu,
      batch,
      batchA === 1 ? 0 : M * K,
      batchB === 1 ? 0 : K * N,
      M,
      N,
      K,
      attrs.transposeA ? 1 : 0,
      attrs.transposeB ? 1 : 0,
      act,
      attrs.leakyreluAlpha ?? 0.2,
      biasLen!,
      preluLen!,
    );
    return out;
  };
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The 15 geometry numbers addon.cc reads, from tfjs's own computeConv2DInfo. */
function geometry(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

type ConvKind = 'Conv2D' | 'Conv2DBackpropInput' | 'Conv2DBackpropFilter';

function convKernel(kind: ConvKind, native: NativeBinding, previous: tf.KernelFunc | null): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape?: number[]; filterShape?: number[] };
    const inputs = args.inputs as Record<string, tf.TensorInfo>;
    const all = Object.values(inputs);
    if (attrs.dataFormat === 'NCHW' || all.some((t) => t.dtype !== 'float32')) {
      if (!previous) throw new Error(`vaeflow native ${kind}: NCHW and non-float32 inputs are not supported`);
      return previous(args);
    }
    const xShape = (kind === 'Conv2DBackpropInput' ? attrs.inputShape! : inputs.x.shape) as [number, number, number, number];
    const wShape = (kind === 'Conv2DBackpropFilter' ? attrs.filterShape! : inputs.filter.shape) as [number, number, number, number];
    const dilations = kind === 'Conv2D' ? (attrs.dilations ?? 1) : 1;
    const info = tf.backend_util.computeConv2DInfo(xShape, wShape, attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    const g = geometry(info);
    const heap = () => backend.wasm.HEAPU8.buffer as ArrayBuffer;
    if (kind === 'Conv2D') {
      const out = backend.makeOutput(info.outShape, 'float32');
      if (size(info.outShape) > 0) native.conv2d(heap(), ...offsets(backend, inputs.x, inputs.filter, out), ...g);
      return out;
    }
    if (kind === 'Conv2DBackpropInput') {
      const out = backend.makeOutput(xShape, 'float32');
      if (size(xShape) > 0) native.conv2dBackpropInput(heap(), ...offsets(backend, inputs.dy, inputs.filter, out), ...g);
      return out;
    }
    const out = backend.makeOutput(wShape, 'float32');
    if (size(wShape) > 0) native.conv2dBackpropFilter(heap(), ...offsets(backend, inputs.x, inputs.dy, out), ...g);
    return out;
  };
}

/**
 * Sum over a contiguous block of axes, x viewed as [A, R, C]: the bias gradients (axis 0) and
 * per-example sums (last axis) of every step. Stock wasm transposes first when the axes are not
 * the innermost. Other axis sets and other dtypes go to the previous kernel.
 */
function sumKernel(native: NativeBinding, previous: tf.KernelFunc | null): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = x.shape.length === 0 ? [] : tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const contiguous = axes.length > 0 && axes.every((a, i) => a === axes[0] + i);
    if (x.dtype !== 'float32' || !contiguous) {
      if (!previous) throw new Error('vaeflow native Sum: unsupported case and no kernel to fall back on');
      return previous(args);
    }
    const first = axes[0],
      last = axes[axes.length - 1];
    const A = size(x.shape.slice(0, first)),
      R = size(x.shape.slice(first, last + 1)),
      C = size(x.shape.slice(last + 1));
    const outShape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : [...x.shape.slice(0, first), ...x.shape.slice(last + 1)];
    const out = backend.makeOutput(outShape, 'float32');
    if (A * C > 0) native.reduceSum(backend.wasm.HEAPU8.buffer as ArrayBuffer, ...(offsets(backend, x, out) as [number, number]), A, R, C);
    return out;
  };
}

/** Tile as block copies (IWAE repeats every row K times); 4-byte dtypes, others to the previous kernel. */
function tileKernel(native: NativeBinding, previous: tf.KernelFunc | null): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { reps } = args.attrs as unknown as { reps: number[] };
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || reps.length !== x.shape.length) {
      if (!previous) throw new Error('vaeflow native Tile: unsupported case and no kernel to fall back on');
      return previous(args);
    }
    const out = backend.makeOutput(
      x.shape.map((d, i) => d * reps[i]),
      x.dtype,
    );
    if (size(out.shape) > 0) native.tile(backend.wasm.HEAPU8.buffer as ArrayBuffer, ...(offsets(backend, x, out) as [number, number]), 4, x.shape, reps);
    return out;
  };
}

/** Softplus, log(1 + e^x), split across the native threads for large tensors. */
function softplusKernel(native: NativeBinding, previous: tf.KernelFunc | null): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') {
      if (!previous) throw new Error('vaeflow native Softplus: float32 only');
      return previous(args);
    }
    const out = backend.makeOutput(x.shape, 'float32');
    if (size(x.shape) > 0) native.softplus(backend.wasm.HEAPU8.buffer as ArrayBuffer, ...(offsets(backend, x, out) as [number, number]), size(x.shape));
    return out;
  };
}

/** VaeflowBernoulliLogProb: inputs {x, logits} of one shape [rows, dims]; output [rows] = sum_d x l - softplus(l). */
function bernoulliLogProbKernel(native: NativeBinding): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { x, logits } = args.inputs as Record<string, tf.TensorInfo>;
    if (x.shape.length !== 2 || !tf.util.arraysEqual(x.shape, logits.shape) || x.dtype !== 'float32' || logits.dtype !== 'float32') {
      throw new Error(`${BERNOULLI_LOG_PROB_KERNEL} takes float32 x and logits of one shape [rows, dims]; got [${x.shape}] and [${logits.shape}]`);
    }
    const [rows, dims] = x.shape;
    const out = backend.makeOutput([rows], 'float32');
    if (rows > 0) native.bernoulliLogProb(backend.wasm.HEAPU8.buffer as ArrayBuffer, ...(offsets(backend, x, logits, out) as [number, number, number]), rows, dims);
    return out;
  };
}

/** Attributes of {@link BJORCK_KERNEL} and {@link BJORCK_GRAD_KERNEL}. */
export interface BjorckKernelAttrs {
  maxIterations: number;
  tolerance: number;
}

/**
 * VaeflowBjorck: input {q} [batch, D, M] (M <= D), output the orthogonalised matrices;
 * VaeflowBjorckGrad: inputs {q, dy}, output dL/dq. See bjorck in src/native/kernels.h.
 */
function bjorckKernel(native: NativeBinding, backward: boolean): tf.KernelFunc {
  const name = backward ? BJORCK_GRAD_KERNEL : BJORCK_KERNEL;
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { q, dy } = args.inputs as Record<string, tf.TensorInfo>;
    const { maxIterations, tolerance } = args.attrs as unknown as BjorckKernelAttrs;
    const ins = backward ? [q, dy] : [q];
    if (q.shape.length !== 3 || q.shape[2] > q.shape[1] || ins.some((t) => t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, q.shape))) {
      throw new Error(`${name} takes float32 [batch, D, M] with M <= D${backward ? ' and dy of the same shape' : ''}; got ${ins.map((t) => `[${t.shape}] ${t.dtype}`).join(', ')}`);
    }
    const [B, D, M] = q.shape;
    const out = backend.makeOutput(q.shape, 'float32');
    if (B > 0) {
      const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
      const [qAt, dyAt, outAt] = offsets(backend, q, dy, out);
      if (backward) native.bjorckBackward(heap, qAt, dyAt, outAt, B, D, M, maxIterations, tolerance);
      else native.bjorck(heap, qAt, outAt, B, D, M, maxIterations, tolerance);
    }
    return out;
  };
}

/** Attributes of {@link RQ_SPLINE_KERNEL} and {@link RQ_SPLINE_GRAD_KERNEL}. */
export interface RQSplineKernelAttrs {
  bound: number;
  minBinSize: number;
  minDerivative: number;
  inverse: boolean;
}

/**
 * VaeflowRQSpline: inputs {v [..., D], widths, heights [..., D, K], derivatives [..., D, K - 1]},
 * outputs [out, logAbsDet] shaped like v; VaeflowRQSplineGrad: the same inputs and {dOut,
 * dLogAbsDet}, outputs the gradients of v, widths, heights and derivatives. See rqSpline in
 * src/native/kernels.h.
 */
function rqSplineKernel(native: NativeBinding, backward: boolean): tf.KernelFunc {
  const name = backward ? RQ_SPLINE_GRAD_KERNEL : RQ_SPLINE_KERNEL;
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { v, widths, heights, derivatives, dOut, dLogAbsDet } = args.inputs as Record<string, tf.TensorInfo>;
    const a = args.attrs as unknown as RQSplineKernelAttrs;
    const K = widths.shape[widths.shape.length - 1];
    const n = size(v.shape);
    const params = [widths, heights, derivatives];
    const ins = backward ? [v, ...params, dOut, dLogAbsDet] : [v, ...params];
    const shaped = (t: tf.TensorInfo, last: number | null) => tf.util.arraysEqual(t.shape, last == null ? v.shape : [...v.shape, last]);
    if (
      ins.some((t) => t == null || t.dtype !== 'float32') ||
      !(K >= 2 && K <= RQ_SPLINE_MAX_BINS) ||
      !shaped(widths, K) ||
      !shaped(heights, K) ||
      !shaped(derivatives, K - 1) ||
      (backward && (!shaped(dOut, null) || !shaped(dLogAbsDet, null)))
    ) {
      throw new Error(
        `${name} takes float32 v [..., D], widths and heights [..., D, K], derivatives [..., D, K - 1] with 2 <= K <= ${RQ_SPLINE_MAX_BINS}${backward ? ', and dOut, dLogAbsDet shaped like v' : ''}; got ${ins.map((t) => (t == null ? 'nothing' : `[${t.shape}] ${t.dtype}`)).join(', ')}`,
      );
    }
    const outs = (backward ? [v, ...params] : [v, v]).map((t) => backend.makeOutput(t.shape, 'float32'));
    if (n > 0) {
      const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
      const tail = [n, K, a.bound, a.minBinSize, a.minDerivative, a.inverse ? 1 : 0] as const;
      if (backward) {
        const o = offsets(backend, ...ins, ...outs) as [number, number, number, number, number, number, number, number, number, number];
        native.rqSplineBackward(heap, ...o, ...tail);
      } else {
        const o = offsets(backend, ...ins, ...outs) as [number, number, number, number, number, number];
        native.rqSpline(heap, ...o, ...tail);
      }
    }
    return outs;
  };
}

/** Activations {@link MLP_KERNEL} takes, by name, and their codes in src/native/kernels.h. */
export const MLP_ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, leakyrelu: 2, tanh: 3, sigmoid: 4, elu: 5 };

/** Attributes of {@link MLP_KERNEL} and {@link MLP_GRAD_KERNEL}. */
export interface MLPKernelAttrs {
  /** hidden layers' activation, a key of {@link MLP_ACTIVATIONS} */
  hidden: string;
  /** the last layer's */
  output: string;
  /** leakyrelu's slope for negative inputs */
  alpha: number;
}

/**
 * VaeflowMLP: inputs as a list [x [B, n_0], w_0 [n_0, n_1], b_0 [n_1], w_1, b_1, ...], output y
 * [B, n_L]; VaeflowMLPGrad: the same list and dy last, outputs [dx, dw_0, db_0, dw_1, db_1, ...].
 * See mlpForward in src/native/kernels.h.
 */
function mlpKernel(native: NativeBinding, backward: boolean): tf.KernelFunc {
  const name = backward ? MLP_GRAD_KERNEL : MLP_KERNEL;
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const list = Object.values(args.inputs as Record<string, tf.TensorInfo>);
    const a = args.attrs as unknown as MLPKernelAttrs;
    const dy = backward ? list.pop() : undefined;
    const [x, ...params] = list;
    const L = Math.floor(params.length / 2);
    const sizes = [x?.shape[1]];
    for (let l = 0; l < L; l++) sizes.push(params[2 * l].shape[1]);
    const B = x?.shape[0];
    const fits =
      x != null &&
      x.shape.length === 2 &&
      x.dtype === 'float32' &&
      L >= 1 &&
      params.length === 2 * L &&
      params.every((t, i) => t.dtype === 'float32' && (i % 2 === 0 ? t.shape.length === 2 && t.shape[0] === sizes[i / 2] : t.shape.length === 1 && t.shape[0] === sizes[(i + 1) / 2])) &&
      MLP_ACTIVATIONS[a.hidden] !== undefined &&
      MLP_ACTIVATIONS[a.output] !== undefined &&
      (!backward || (dy != null && dy.dtype === 'float32' && tf.util.arraysEqual(dy.shape, [B, sizes[L]])));
    if (!fits) {
      throw new Error(
        `${name} takes float32 [x [B, n0], w0 [n0, n1], b0 [n1], w1 [n1, n2], ...${backward ? ', dy [B, nL]' : ''}] and activations among ${Object.keys(MLP_ACTIVATIONS).join(', ')}; got ${[...list, ...(dy ? [dy] : [])].map((t) => `[${t.shape}] ${t.dtype}`).join(', ')}, ${a.hidden}/${a.output}`,
      );
    }
    const outs = backward ? [x, ...params].map((t) => backend.makeOutput(t.shape, 'float32')) : [backend.makeOutput([B, sizes[L]], 'float32')];
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    const paramAt = offsets(backend, ...params);
    const codes = [MLP_ACTIVATIONS[a.hidden], MLP_ACTIVATIONS[a.output], a.alpha] as const;
    if (backward) {
      const [xAt, dyAt, dxAt, ...gradAt] = offsets(backend, x, dy, ...outs);
      native.mlpBackward(heap, xAt, dyAt, dxAt, paramAt, gradAt, sizes, B, ...codes);
      return outs;
    }
    const [xAt, yAt] = offsets(backend, x, outs[0]);
    native.mlp(heap, xAt, yAt, paramAt, sizes, B, ...codes);
    return outs[0];
  };
}

export interface AdamKernelAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** multiplies the gradient first (global-norm clipping) */
  gradScale: number;
  /** 1 - beta1^t and 1 - beta2^t for this step t (t from 1) */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

/** VaeflowAdam: inputs {x, gradient, m, v}; outputs [x', m', v'] as new tensors (never in place). */
function adamKernel(native: NativeBinding): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { x, gradient, m, v } = args.inputs as Record<string, tf.TensorInfo>;
    const a = args.attrs as unknown as AdamKernelAttrs;
    const outs = [x, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
    const n = size(x.shape);
    if (n > 0)
      native.adam(
        backend.wasm.HEAPU8.buffer as ArrayBuffer,
        ...offsets(backend, x, gradient, m, v, ...outs),
        n,
        a.learningRate,
        a.beta1,
        a.beta2,
        a.epsilon,
        a.gradScale,
        a.oneMinusAccBeta1,
        a.oneMinusAccBeta2,
      );
    return outs;
  };
}

/** VaeflowGlobalNorm: any number of float32 inputs -> scalar sqrt(sum of all squares), summed in double. */
function globalNormKernel(native: NativeBinding): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const ts = Object.values(args.inputs as Record<string, tf.TensorInfo>);
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    let total = 0;
    for (const t of ts) total += native.sumSquares(heap, backend.getMemoryOffset(t.dataId), size(t.shape));
    return backend.makeOutput([], 'float32', undefined, new Float32Array([Math.sqrt(total)]));
  };
}

const MARK = 'vaeflowNative';
type Marked = tf.KernelConfig & { [MARK]?: tf.KernelConfig | null };

/** The kernels this package registers for wasm, by name. */
export const NATIVE_KERNEL_NAMES = [
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'Sum',
  'Tile',
  'Softplus',
  ADAM_KERNEL,
  GLOBAL_NORM_KERNEL,
  BERNOULLI_LOG_PROB_KERNEL,
  BJORCK_KERNEL,
  BJORCK_GRAD_KERNEL,
  RQ_SPLINE_KERNEL,
  RQ_SPLINE_GRAD_KERNEL,
  MLP_KERNEL,
  MLP_GRAD_KERNEL,
] as const;

function replace(name: string, make: (previous: tf.KernelFunc | null) => tf.KernelFunc): void {
  const current = tf.getKernel(name, 'wasm') as Marked | undefined;
  if (current?.[MARK] !== undefined) return;
  if (current) tf.unregisterKernel(name, 'wasm');
  // Keep the previous setupFunc/disposeFunc: the stock kernels bind their wasm exports there.
  tf.registerKernel({ ...current, kernelName: name, backendName: 'wasm', kernelFunc: make(current?.kernelFunc ?? null), [MARK]: current ?? null } as Marked);
}

/** Registers the native kernels for the wasm backend (idempotent); the wasm backend module must be loaded. */
export function registerNativeKernels(native: NativeBinding): void {
  replace('BatchMatMul', (prev) => matMulKernel(native, prev));
  replace('_FusedMatMul', (prev) => matMulKernel(native, prev));
  for (const kind of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const) replace(kind, (prev) => convKernel(kind, native, prev));
  replace('Sum', (prev) => sumKernel(native, prev));
  replace('Tile', (prev) => tileKernel(native, prev));
  replace('Softplus', (prev) => softplusKernel(native, prev));
  replace(ADAM_KERNEL, () => adamKernel(native));
  replace(GLOBAL_NORM_KERNEL, () => globalNormKernel(native));
  replace(BERNOULLI_LOG_PROB_KERNEL, () => bernoulliLogProbKernel(native));
  replace(BJORCK_KERNEL, () => bjorckKernel(native, false));
  replace(BJORCK_GRAD_KERNEL, () => bjorckKernel(native, true));
  replace(RQ_SPLINE_KERNEL, () => rqSplineKernel(native, false));
  replace(RQ_SPLINE_GRAD_KERNEL, () => rqSplineKernel(native, true));
  replace(MLP_KERNEL, () => mlpKernel(native, false));
  replace(MLP_GRAD_KERNEL, () => mlpKernel(native, true));
}

/** Puts back the kernels that were registered before {@link registerNativeKernels}. */
export function unregisterNativeKernels(): void {
  for (const name of NATIVE_KERNEL_NAMES) {
    const current = tf.getKernel(name, 'wasm') as Marked | undefined;
    if (current?.[MARK] === undefined) continue;
    tf.unregisterKernel(name, 'wasm');
    if (current[MARK]) tf.registerKernel(current[MARK]);
  }
}

/** True when the native kernels are the ones registered for wasm. */
export function nativeKernelsRegistered(): boolean {
  return (tf.getKernel('BatchMatMul', 'wasm') as Marked | undefined)?.[MARK] !== undefined;
}
