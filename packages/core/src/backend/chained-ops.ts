import * as tf from '@tensorflow/tfjs-core';
// The method declarations (module augmentations of tfjs-core's Tensor), types only: at run time
// this file attaches the methods itself.
export type * from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

/**
 * Tensor methods (`x.reshape(shape)`, `x.add(y)`, ...). tfjs-core's type declarations promise them
 * but its Node bundle does not attach them (the union package @tensorflow/tfjs does), so a plugin
 * author met "reshape is not a function" at run time. Each method calls the op of the same name
 * with the tensor as its first argument, as tfjs's own chained ops do; methods already present
 * are left alone.
 */
export const CHAINED_OPS = [
  'abs',
  'acos',
  'acosh',
  'add',
  'all',
  'any',
  'argMax',
  'argMin',
  'asin',
  'asinh',
  'atan',
  'atan2',
  'atanh',
  'avgPool',
  'batchToSpaceND',
  'broadcastTo',
  'cast',
  'ceil',
  'clipByValue',
  'concat',
  'conv1d',
  'conv2d',
  'conv2dTranspose',
  'cos',
  'cosh',
  'cumprod',
  'cumsum',
  'depthToSpace',
  'depthwiseConv2d',
  'dilation2d',
  'div',
  'divNoNan',
  'dot',
  'elu',
  'equal',
  'erf',
  'euclideanNorm',
  'exp',
  'expandDims',
  'expm1',
  'fft',
  'floor',
  'floorDiv',
  'gather',
  'greater',
  'greaterEqual',
  'ifft',
  'irfft',
  'isFinite',
  'isInf',
  'isNaN',
  'leakyRelu',
  'less',
  'lessEqual',
  'localResponseNormalization',
  'log',
  'log1p',
  'logSigmoid',
  'logSoftmax',
  'logSumExp',
  'logicalAnd',
  'logicalNot',
  'logicalOr',
  'logicalXor',
  'matMul',
  'max',
  'maxPool',
  'maximum',
  'mean',
  'min',
  'minimum',
  'mirrorPad',
  'mod',
  'mul',
  'neg',
  'norm',
  'notEqual',
  'oneHot',
  'onesLike',
  'pad',
  'pool',
  'pow',
  'prelu',
  'prod',
  'reciprocal',
  'relu',
  'relu6',
  'reshape',
  'reverse',
  'rfft',
  'round',
  'rsqrt',
  'selu',
  'separableConv2d',
  'sigmoid',
  'sign',
  'sin',
  'sinh',
  'slice',
  'softmax',
  'softplus',
  'spaceToBatchND',
  'split',
  'sqrt',
  'square',
  'squaredDifference',
  'squeeze',
  'stack',
  'step',
  'stridedSlice',
  'sub',
  'sum',
  'tan',
  'tanh',
  'tile',
  'topk',
  'transpose',
  'unique',
  'unsortedSegmentSum',
  'unstack',
  'where',
  'zerosLike',
] as const;

type Proto = Record<string, unknown> & { throwIfDisposed(): void };

function attach(name: string, f: (self: tf.Tensor, ...args: unknown[]) => unknown): void {
  const proto = tf.Tensor.prototype as unknown as Proto;
  if (typeof proto[name] === 'function') return;
  proto[name] = function (this: tf.Tensor & Proto, ...args: unknown[]) {
    this.throwIfDisposed();
    return f(this, ...args);
  };
}

/** Attaches the methods to tf.Tensor (idempotent); runs when @vaeflow/core is imported. */
export function registerChainedOps(): void {
  const ops = tf as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of CHAINED_OPS) if (typeof ops[name] === 'function') attach(name, (self, ...args) => ops[name](self, ...args));
  attach('asType', (self, dtype) => tf.cast(self, dtype as tf.DataType));
  attach('toFloat', (self) => tf.cast(self, 'float32'));
  attach('toInt', (self) => tf.cast(self, 'int32'));
  attach('toBool', (self) => tf.cast(self, 'bool'));
  attach('flatten', (self) => tf.reshape(self, [self.size]));
  attach('asScalar', (self) => tf.reshape(self, []));
  attach('as1D', (self) => tf.reshape(self, [self.size]));
  attach('as2D', (self, rows, columns) => tf.reshape(self, [rows as number, columns as number]));
  attach('as3D', (self, a, b, c) => tf.reshape(self, [a, b, c] as number[]));
  attach('as4D', (self, a, b, c, d) => tf.reshape(self, [a, b, c, d] as number[]));
  attach('as5D', (self, a, b, c, d, e) => tf.reshape(self, [a, b, c, d, e] as number[]));
  attach('reshapeAs', (self, other) => tf.reshape(self, (other as tf.Tensor).shape));
  attach('resizeBilinear', (self, size, alignCorners) => tf.image.resizeBilinear(self as tf.Tensor4D, size as [number, number], alignCorners as boolean));
  attach('resizeNearestNeighbor', (self, size, alignCorners) => tf.image.resizeNearestNeighbor(self as tf.Tensor4D, size as [number, number], alignCorners as boolean));
}

registerChainedOps();
