import * as tf from '@tensorflow/tfjs-core';
import { AFFINE_COUPLING_GRAD_KERNEL, AFFINE_COUPLING_KERNEL } from './fused-kernels.js';
import { affineCouplingGradKernel, affineCouplingKernel } from './wasm-affine-coupling.js';

/**
 * Kernel overrides for `@tensorflow/tfjs-backend-wasm`, registered through tfjs's public
 * kernel registry (no prototype is patched).
 *
 * 1. BatchMatMul / _FusedMatMul with transposeA or transposeB. The stock wasm kernel hands
 *    XNNPACK only the untransposed case and falls back to a slow loop otherwise; every
 *    backward pass of a dense layer asks for a transposed product. A Transpose kernel
 *    followed by the plain product is several times faster (docs/performance.md).
 * 2. Conv2DBackpropInput, which stock wasm runs as a scalar loop (see below).
 * 3. Conv2DBackpropFilter, which stock wasm lacks (so conv layers could not train):
 *    dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*sh + kh - pt, ow*sw + kw - pl, ci] * dy[b,oh,ow,co],
 *    computed as an im2col matrix P[M, K] (M = B*OH*OW, K = KH*KW*CI) and dW = P^T dy, or
 *    (dy^T P)^T when K < CO: XNNPACK packs the right-hand operand on every call, so the
 *    smaller of dy and P goes there (the wrong choice measured twice as slow).
 * 4. Slice, Unpack and SplitV. The stock Slice copies its whole input out of the wasm heap
 *    before taking the slice, so unstacking K layers' parameters cost K copies of all of them
 *    (80 slices of a 1.3 MB tensor: 50 ms). These read the input in place.
 * 5. Concat. The stock kernel, like the stock slices, copies each run of consecutive values
 *    with a typed-array view and `set`, which for a channel split or join of NHWC images (runs
 *    of a few values, one per pixel) costs more than the copy: Glow spent 20% of a step in
 *    Concat and SplitV. Short runs are copied value by value here, in slices and joins alike.
 * 6. PadV2 (the gradient of every Slice): the stock kernel pads element by element (about 20 ns
 *    a value, 8% of an amortised planar flow's step); here the output is filled with the
 *    constant and the input's rows are copied into place as runs.
 * 7. Identity. The autodiff tape and tf.clone call it hundreds of times a step, and stock wasm
 *    copies the whole tensor each time (4% of the reference VAE's step, 13% of a Sylvester
 *    flow's). Tensors are immutable and no kernel here or in @vaeflow/native writes into its
 *    inputs, so the output shares the input's buffer (a reference count, as Reshape and the cpu
 *    backend's Identity do). Cast to the dtype a tensor already has likewise: tfjs's gradients of
 *    Multiply, RealDiv, Square and Sqrt cast float32 operands to float32, a copy each time.
 * 8. Comparisons (Greater, GreaterEqual, Less, LessEqual, Equal, NotEqual) whose shapes
 *    broadcast. Stock wasm computes an index per element then: a spline's bin search
 *    (x [B, D, 1] >= knots [B, D, K]) took 4.4 ms for 51k values, ten times its cost without
 *    broadcasting. Here the shapes are coalesced and each input walks its own strides (0 along
 *    broadcast axes): about 0.3-0.6 ms. Broadcast arithmetic was tried the same way and was no
 *    faster than stock in JavaScript, so it stays stock, as do comparisons of equal shapes.
 */

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: tf.DataId): void;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId): boolean;
}

const MARK = 'vaeflowTuned';

function kernelFunc(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`tfjs-backend-wasm has no ${name} kernel; is @tensorflow/tfjs-backend-wasm ${tf.version_core} installed?`);
  return k.kernelFunc;
}

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** Wraps a matmul kernel so transposed operands are materialised by Transpose first. */
function untransposing(original: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const inputs = { ...args.inputs } as Record<string, tf.TensorInfo>;
    const temps: tf.TensorInfo[] = [];
    for (const [key, flag] of [
      ['a', attrs.transposeA],
      ['b', attrs.transposeB],
    ] as const) {
      if (!flag) continue;
      const t = transpose({ inputs: { x: inputs[key] }, backend: args.backend, attrs: { perm: swapLastTwo(inputs[key].shape.length) } }) as tf.TensorInfo;
      temps.push(t);
      inputs[key] = t;
    }
    const out = original({ inputs, backend: args.backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    for (const t of temps) backend.disposeData(t.dataId);
    return out;
  };
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The geometry of an NHWC convolution, with M = B*OH*OW patch rows and K = KH*KW*CI patch columns. */
function convGeometry(kernel: string, attrs: unknown, inputShape: number[], filterShape: number[]) {
  const a = attrs as ConvAttrs;
  if (a.dataFormat === 'NCHW') throw new Error(`vaeflow wasm ${kernel} supports NHWC only`);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  return { info, M: info.batchSize * info.outHeight * info.outWidth, K: info.filterHeight * info.filterWidth * info.inChannels };
}

/**
 * Visits every (patch row, input pixel) pair of a convolution: `visit(patchOffset, inputOffset)`
 * for patch element (b, oh, ow, kh, kw, :) and input pixel (b, ih, iw, :) it reads, skipping
 * padding. im2col copies input -> patch; col2im adds patch -> input.
 */
function forEachPatchPixel(info: tf.backend_util.Conv2DInfo, K: number, visit: (patch: number, input: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const row = ((n * outHeight + oh) * outWidth + ow) * K;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw - left;
            if (iw < 0 || iw >= inWidth) continue;
            visit(row + (kh * filterWidth + kw) * inChannels, ((n * inHeight + ih) * inWidth + iw) * inChannels);
          }
        }
      }
    }
  }
}

function conv2dBackpropFilter(matMul: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend: b, attrs }) => {
    const backend = b as unknown as WasmBackendLike;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { filterShape } = attrs as unknown as { filterShape: number[] };
    const { info, M, K } = convGeometry('Conv2DBackpropFilter', attrs, x.shape, filterShape);
    const { inChannels, outChannels } = info;
    const patches = backend.makeOutput([M, K], 'float32');
    const P = backend.typedArrayFromHeap(patches);
    const X = backend.typedArrayFromHeap(x);
    P.fill(0);
    forEachPatchPixel(info, K, (dst, src) => {
      if (inChannels >= 16) P.set(X.subarray(src, src + inChannels), dst);
      else for (let c = 0; c < inChannels; c++) P[dst + c] = X[src + c];
    });
    const dy2: tf.TensorInfo = { dataId: dy.dataId, shape: [M, outChannels], dtype: 'float32' };
    const plain = { transposeA: false, transposeB: false };
    if (K < outChannels) {
      // dW^T = dy^T P keeps the packed right-hand operand (P, M x K) the smaller one.
      const dyT = transpose({ inputs: { x: dy2 }, backend: b, attrs: { perm: [1, 0] } }) as tf.TensorInfo;
      const dwT = matMul({ inputs: { a: dyT, b: patches }, backend: b, attrs: plain }) as tf.TensorInfo;
      backend.disposeData(dyT.dataId);
      backend.disposeData(patches.dataId);
      const dw = transpose({ inputs: { x: { dataId: dwT.dataId, shape: [outChannels, K], dtype: 'float32' } }, backend: b, attrs: { perm: [1, 0] } }) as tf.TensorInfo;
      backend.disposeData(dwT.dataId);
      return { dataId: dw.dataId, shape: filterShape, dtype: 'float32' };
    }
    const pT = transpose({ inputs: { x: patches }, backend: b, attrs: { perm: [1, 0] } }) as tf.TensorInfo;
    backend.disposeData(patches.dataId);
    const out = matMul({ inputs: { a: pT, b: dy2 }, backend: b, attrs: plain }) as tf.TensorInfo;
    backend.disposeData(pT.dataId);
    return { dataId: out.dataId, shape: filterShape, dtype: 'float32' };
  };
}

/**
 * Conv2DBackpropInput (the input gradient of Conv2D, and the forward pass of a transposed
 * convolution). Stock wasm runs it as a scalar loop; here it is one XNNPACK product and a
 * col2im scatter: C = dy[M, CO] W[K, CO]^T, then dx[b, oh*sh + kh - pt, ow*sw + kw - pl, :] += C[(b,oh,ow), (kh,kw,:)].
 */
function conv2dBackpropInput(matMul: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend: b, attrs }) => {
    const backend = b as unknown as WasmBackendLike;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { inputShape } = attrs as unknown as { inputShape: [number, number, number, number] };
    const { info, M, K } = convGeometry('Conv2DBackpropInput', attrs, inputShape, filter.shape);
    const { inChannels, outChannels } = info;
    const w2: tf.TensorInfo = { dataId: filter.dataId, shape: [K, outChannels], dtype: 'float32' };
    const wT = transpose({ inputs: { x: w2 }, backend: b, attrs: { perm: [1, 0] } }) as tf.TensorInfo;
    const dy2: tf.TensorInfo = { dataId: dy.dataId, shape: [M, outChannels], dtype: 'float32' };
    const cols = matMul({ inputs: { a: dy2, b: wT }, backend: b, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
    backend.disposeData(wT.dataId);
    const out = backend.makeOutput(inputShape, 'float32');
    const dx = backend.typedArrayFromHeap(out);
    const C = backend.typedArrayFromHeap(cols);
    dx.fill(0);
    forEachPatchPixel(info, K, (src, dst) => {
      for (let c = 0; c < inChannels; c++) dx[dst + c] += C[src + c];
    });
    backend.disposeData(cols.dataId);
    return out;
  };
}

/** Values in a run below which a plain loop copies faster than a subarray view and `set` (about 18 in Node 20). */
const SHORT_RUN = 20;

/** A view of the whole wasm heap with `like`'s element type, cached until the heap grows (a new buffer). */
let heapView: tf.TypedArray | null = null;
function wholeHeap(like: tf.TypedArray): tf.TypedArray {
  if (heapView?.buffer !== like.buffer || heapView.constructor !== like.constructor) {
    const View = like.constructor as new (buffer: ArrayBufferLike) => tf.TypedArray;
    heapView = new View(like.buffer);
  }
  return heapView;
}

/** Where a view of the heap starts, in elements of the heap view. */
const start = (view: tf.TypedArray) => view.byteOffset / view.BYTES_PER_ELEMENT;

/**
 * heap[d .. d + len) = heap[s .. s + len), offsets in elements of one whole-heap view (every
 * tensor lives in the wasm heap). Short runs value by value; longer ones by copyWithin, a memmove
 * that needs no subarray object per run as set() does: twice as fast for runs of 20-100 values
 * (an amortised planar stack's 80 layer maps are joined and split in runs of 2L + 1).
 */
function copyRun(heap: tf.TypedArray, s: number, d: number, len: number): void {
  if (len < SHORT_RUN) for (let i = 0; i < len; i++) heap[d + i] = heap[s + i];
  else heap.copyWithin(d, s, s + len);
}

/** Copies x[begin : begin + size] into `out` (already allocated), reading the heap in place. */
function copySlice(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[], out: tf.TensorInfo): void {
  const n = tf.util.sizeFromShape(size);
  if (n === 0) return;
  // Views are taken after every allocation: a growing heap detaches older ones.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = tf.util.computeStrides(x.shape);
  if (rank === 0 || tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const offset = rank === 0 ? 0 : tf.slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(offset, offset + n));
    return;
  }
  const heap = wholeHeap(dst);
  const s0 = start(src),
    d0 = start(dst);
  const inner = size[rank - 1];
  const index = new Array(rank - 1).fill(0);
  for (let row = 0; row < n / inner; row++) {
    let offset = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) offset += (begin[d] + index[d]) * strides[d];
    copyRun(heap, s0 + offset, d0 + row * inner, inner);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
}

/** Slices along one axis into pieces of the given sizes (Unpack: all 1, axis dropped from the shapes). */
function piecesAlong(backend: WasmBackendLike, x: tf.TensorInfo, axis: number, sizes: number[], dropAxis: boolean): tf.TensorInfo[] {
  const begin = new Array(x.shape.length).fill(0);
  const outs: tf.TensorInfo[] = [];
  for (const s of sizes) {
    const size = [...x.shape];
    size[axis] = s;
    const out = backend.makeOutput(size, x.dtype);
    copySlice(backend, x, begin, size, out);
    outs.push(dropAxis ? { ...out, shape: size.filter((_, d) => d !== axis) } : out);
    begin[axis] += s;
  }
  return outs;
}

function sliceKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    if (x.dtype === 'string') return original(args);
    const attrs = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(size, x.dtype);
    copySlice(backend, x, begin, size, out);
    return out;
  };
}

function unpackKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { value: tf.TensorInfo }).value;
    if (x.dtype === 'string') return original(args);
    const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, x.shape)[0];
    return piecesAlong(args.backend as unknown as WasmBackendLike, x, axis, new Array(x.shape[axis]).fill(1), true);
  };
}

function splitKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    if (x.dtype === 'string') return original(args);
    const attrs = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis) as number[];
    return piecesAlong(args.backend as unknown as WasmBackendLike, x, axis, sizes, false);
  };
}

/** Concat along any axis: per outer index, each input's run of values in turn (short runs value by value). */
function concatKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const all = args.inputs as unknown as tf.TensorInfo[];
    if (all[0].dtype === 'string') return original(args);
    const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, all[0].shape)[0];
    tf.backend_util.assertParamsConsistent(
      all.map((t) => t.shape),
      axis,
    );
    const outShape = tf.backend_util.computeOutShape(
      all.map((t) => t.shape),
      axis,
    );
    const inputs = all.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (inputs.length <= 1) return original(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(outShape, inputs[0].dtype);
    // Views after the allocation: a growing heap detaches older ones.
    const dst = backend.typedArrayFromHeap(out);
    const heap = wholeHeap(dst);
    const starts = inputs.map((t) => start(backend.typedArrayFromHeap(t)));
    const runs = inputs.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const outer = tf.util.sizeFromShape(outShape.slice(0, axis));
    let d = start(dst);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < starts.length; i++) {
        copyRun(heap, starts[i] + o * runs[i], d, runs[i]);
        d += runs[i];
      }
    return out;
  };
}

/** PadV2 with a constant: fill the output, then copy the input's innermost rows into place. */
function padKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const { paddings, constantValue } = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
    const rank = x.shape.length;
    const n = tf.util.sizeFromShape(x.shape);
    if (x.dtype === 'string' || rank === 0 || n === 0) return original(args);
    const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(outShape, x.dtype);
    // Views after the allocation: a growing heap detaches older ones.
    const dst = backend.typedArrayFromHeap(out);
    const src = backend.typedArrayFromHeap(x);
    dst.fill(constantValue);
    const heap = wholeHeap(dst);
    const s0 = start(src),
      d0 = start(dst);
    const strides = tf.util.computeStrides(outShape);
    const inner = x.shape[rank - 1];
    const index = new Array(rank - 1).fill(0);
    for (let row = 0; row < n / inner; row++) {
      let offset = paddings[rank - 1][0];
      for (let d = 0; d < rank - 1; d++) offset += (paddings[d][0] + index[d]) * strides[d];
      copyRun(heap, s0 + row * inner, d0 + offset, inner);
      for (let d = rank - 2; d >= 0; d--) {
        if (++index[d] < x.shape[d]) break;
        index[d] = 0;
      }
    }
    return out;
  };
}

/**
 * Identity, and Cast to the input's own dtype, without a copy: the output shares the input's
 * buffer (immutable), one more reference to it. Strings and real casts go to the stock kernel.
 */
function sharingKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const dtype = (args.attrs as { dtype?: tf.DataType } | undefined)?.dtype ?? x.dtype;
    if (x.dtype === 'string' || dtype !== x.dtype) return original(args);
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/**
 * A block of `rows` x `n` outputs written in order from oi: out = a op b, each input at its own
 * offset, stepping by its inner stride along a row and its outer stride from row to row. One
 * function per op, so each loop stays monomorphic; two levels, so a short innermost axis (a
 * spline's 8 bins) does not cost a call per row.
 */
type Run = (o: tf.TypedArray, oi: number, rows: number, n: number, a: tf.TypedArray, ai: number, aRow: number, as: number, b: tf.TypedArray, bi: number, bRow: number, bs: number) => void;

const COMPARISON_RUNS: Record<string, Run> = {
  Greater: (o, oi, rows, n, a, a0, aRow, as, b, b0, bRow, bs) => {
    for (let r = 0; r < rows; r++, oi += n) {
      let ai = a0 + r * aRow,
        bi = b0 + r * bRow;
      for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] > b[bi] ? 1 : 0;
    }
  },
  GreaterEqual: (o, oi, rows, n, a, a0, aRow, as, b, b0, bRow, bs) => {
    for (let r = 0; r < rows; r++, oi += n) {
      let ai = a0 + r * aRow,
        bi = b0 + r * bRow;
      for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] >= b[bi] ? 1 : 0;
    }
  },
  Less: (o, oi, rows, n, a, a0, aRow, as, b, b0, bRow, bs) => {
    for (let r = 0; r < rows; r++, oi += n) {
      let ai = a0 + r * aRow,
        bi = b0 + r * bRow;
      for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] < b[bi] ? 1 : 0;
    }
  },
  LessEqual: (o, oi, rows, n, a, a0, aRow, as, b, b0, bRow, bs) => {
    for (let r = 0; r < rows; r++, oi += n) {
      let ai = a0 + r * aRow,
        bi = b0 + r * bRow;
      for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] <= b[bi] ? 1 : 0;
    }
  },
  Equal: (o, oi, rows, n, a, a0, aRow, as, b, b0, bRow, bs) => {
    for (let r = 0; r < rows; r++, oi += n) {
      let ai = a0 + r * aRow,
        bi = b0 + r * bRow;
      for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] === b[bi] ? 1 : 0;
    }
  },
  NotEqual: (o, oi, rows, n, a, a0, aRow, as, b, b0, bRow, bs) => {
    for (let r = 0; r < rows; r++, oi += n) {
      let ai = a0 + r * aRow,
        bi = b0 + r * bRow;
      for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] !== b[bi] ? 1 : 0;
    }
  },
};

/**
 * The output's shape with adjacent axes merged wherever both inputs step through them
 * contiguously (or both broadcast along them), and each input's stride per merged axis (0 where
 * it is broadcast): [128, 50, 1] against [128, 50, 8] is 6400 rows of 8.
 */
function coalescedStrides(outShape: number[], aShape: number[], bShape: number[]): { shape: number[]; sa: number[]; sb: number[] } {
  const R = outShape.length;
  const stridesOf = (shape: number[]) => {
    const padded = [...new Array(R - shape.length).fill(1), ...shape];
    const strides = new Array(R).fill(0);
    let s = 1;
    for (let d = R - 1; d >= 0; d--) {
      strides[d] = padded[d] === 1 && outShape[d] !== 1 ? 0 : s;
      s *= padded[d];
    }
    return strides;
  };
  const fa = stridesOf(aShape),
    fb = stridesOf(bShape);
  const shape: number[] = [],
    sa: number[] = [],
    sb: number[] = [];
  for (let d = 0; d < R; d++) {
    if (outShape[d] === 1) continue;
    const last = shape.length - 1;
    if (last >= 0 && sa[last] === fa[d] * outShape[d] && sb[last] === fb[d] * outShape[d]) {
      shape[last] *= outShape[d];
      sa[last] = fa[d];
      sb[last] = fb[d];
    } else {
      shape.push(outShape[d]);
      sa.push(fa[d]);
      sb.push(fb[d]);
    }
  }
  if (shape.length === 0) return { shape: [1], sa: [0], sb: [0] };
  return { shape, sa, sb };
}

/** A comparison of float32 or int32 tensors whose shapes broadcast, in JavaScript; the rest to the stock kernel. */
function comparisonKernel(name: string, original: tf.KernelFunc): tf.KernelFunc {
  const run = COMPARISON_RUNS[name];
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if ((a.dtype !== 'float32' && a.dtype !== 'int32') || a.dtype !== b.dtype) return original(args);
    if (tf.util.arraysEqual(a.shape, b.shape)) return original(args); // as fast as this loop when nothing broadcasts
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(outShape, 'bool');
    const n = tf.util.sizeFromShape(outShape);
    if (n === 0) return out;
    // Views after the allocation: a growing heap detaches older ones.
    const o = backend.typedArrayFromHeap(out),
      av = backend.typedArrayFromHeap(a),
      bv = backend.typedArrayFromHeap(b);
    const { shape, sa, sb } = coalescedStrides(outShape, a.shape, b.shape);
    if (shape.length === 1) {
      shape.unshift(1);
      sa.unshift(0);
      sb.unshift(0);
    }
    // The two innermost axes in one call; an odometer over the rest moves each input's offset.
    const R = shape.length;
    const rows = shape[R - 2],
      inner = shape[R - 1],
      block = rows * inner;
    const index = new Array(R - 2).fill(0);
    let ai = 0,
      bi = 0;
    for (let oi = 0; oi < n; oi += block) {
      run(o, oi, rows, inner, av, ai, sa[R - 2], sa[R - 1], bv, bi, sb[R - 2], sb[R - 1]);
      for (let d = R - 3; d >= 0; d--) {
        ai += sa[d];
        bi += sb[d];
        if (++index[d] < shape[d]) break;
        ai -= sa[d] * shape[d];
        bi -= sb[d] * shape[d];
        index[d] = 0;
      }
    }
    return out;
  };
}

type Marked = tf.KernelConfig & { [MARK]?: tf.KernelConfig | null };

function replace(kernelName: string, make: (original: tf.KernelFunc | null) => tf.KernelFunc): void {
  const current = tf.getKernel(kernelName, 'wasm') as Marked | undefined;
  if (current?.[MARK] !== undefined) return;
  if (current) tf.unregisterKernel(kernelName, 'wasm');
  // Keep the stock setupFunc/disposeFunc: they bind the wasm exports the stock kernel calls.
  tf.registerKernel({ ...current, kernelName, backendName: 'wasm', kernelFunc: make(current?.kernelFunc ?? null), [MARK]: current ?? null } as Marked);
}

/**
 * Registers vaeflow's wasm kernels (idempotent). Must run after the wasm backend module has
 * been imported. Conv2DBackpropFilter is added because stock wasm has none, and so are vaeflow's
 * fused kernels written in JavaScript (the affine coupling step); the matmul
 * overrides replace stock kernels and can be undone by {@link restoreStockWasmKernels}.
 */
export function installWasmKernels(): void {
  const transpose = kernelFunc('Transpose');
  const batchMatMul = kernelFunc('BatchMatMul');
  replace('BatchMatMul', (orig) => untransposing(orig!, transpose));
  replace('_FusedMatMul', (orig) => untransposing(orig!, transpose));
  replace('Conv2DBackpropFilter', () => conv2dBackpropFilter(batchMatMul, transpose));
  replace('Conv2DBackpropInput', () => conv2dBackpropInput(batchMatMul, transpose));
  replace('Slice', (orig) => sliceKernel(orig!));
  replace('Unpack', (orig) => unpackKernel(orig!));
  replace('SplitV', (orig) => splitKernel(orig!));
  replace('Concat', (orig) => concatKernel(orig!));
  replace('PadV2', (orig) => padKernel(orig!));
  replace('Identity', (orig) => sharingKernel(orig!));
  replace('Cast', (orig) => sharingKernel(orig!));
  for (const name of Object.keys(COMPARISON_RUNS)) replace(name, (orig) => comparisonKernel(name, orig!));
  replace(AFFINE_COUPLING_KERNEL, () => affineCouplingKernel);
  replace(AFFINE_COUPLING_GRAD_KERNEL, () => affineCouplingGradKernel);
}

/**
 * Puts tfjs's own BatchMatMul, _FusedMatMul, Conv2DBackpropInput, Slice, Unpack, SplitV, Concat, PadV2, Identity, Cast and the comparisons back (for side-by-side benchmarks). The
 * added Conv2DBackpropFilter stays: stock wasm has no kernel to restore.
 */
export function restoreStockWasmKernels(): void {
  for (const name of ['BatchMatMul', '_FusedMatMul', 'Conv2DBackpropInput', 'Slice', 'Unpack', 'SplitV', 'Concat', 'PadV2', 'Identity', 'Cast', ...Object.keys(COMPARISON_RUNS)]) {
    const current = tf.getKernel(name, 'wasm') as Marked | undefined;
    const original = current?.[MARK];
    if (!original) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
}

/** True when the tuned matmul kernels are the ones registered. */
export function wasmKernelsTuned(): boolean {
  return (tf.getKernel('BatchMatMul', 'wasm') as Marked | undefined)?.[MARK] != null;
}
