import { Random, conditionOnLabels, type DataSplit, type Dataset } from '@vaeflow/core';
import { binarizeInPlace, dequantizeInPlace } from './transforms.js';

/** How pixel values reach the model. */
export interface ImageDatasetOptions {
  /**
   * `dynamic`: training batches are binarised afresh each time (x ~ Bernoulli(grey)), validation
   * and test once with a fixed seed; `static`: every split binarised once; `none`: grey levels.
   */
  binarize: 'dynamic' | 'static' | 'none';
  /** with `binarize: none`: uniform dequantisation (k + u) / 256, fresh for training, fixed for evaluation */
  dequantize: boolean;
  /** fraction of the training file held out for validation */
  validationSplit: number;
  /** seed of the train/validation split and of the fixed evaluation binarisation (same across runs by default) */
  dataSeed: number;
  /** use at most this many training (train + validation) and test examples (quick runs, tests) */
  limitTrain: number | null;
  limitTest: number | null;
  /** `label`: every row carries its class as one-hot columns after the pixels, for conditional models */
  condition?: 'none' | 'label';
}

export const imageDatasetSchema = {
  properties: {
    binarize: { enum: ['dynamic', 'static', 'none'], default: 'dynamic' },
    dequantize: { type: 'boolean', default: false },
    validationSplit: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.1 },
    dataSeed: { type: 'integer', minimum: 0, default: 0 },
    limitTrain: { type: ['integer', 'null'], minimum: 2, default: null },
    limitTest: { type: ['integer', 'null'], minimum: 1, default: null },
    condition: { enum: ['none', 'label'], default: 'none', description: '"label": rows carry the class one-hot after the pixels, so a conditional VAE reads it' },
  },
};

/** The shape `vaeflow validate` reports for a 28x28 image dataset with these options (no file read). */
export function imageDataShape(o: ImageDatasetOptions, classes: number) {
  return { inputShape: [28, 28, 1], valueKind: o.binarize === 'none' ? ('continuous' as const) : ('binary' as const), ...(o.condition === 'label' ? { conditionDim: classes } : {}) };
}

function take(x: Float32Array, labels: Uint8Array, dim: number, idx: ArrayLike<number>): DataSplit {
  const out = new Float32Array(idx.length * dim);
  const lab = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    out.set(x.subarray(idx[i] * dim, (idx[i] + 1) * dim), i * dim);
    lab[i] = labels[idx[i]];
  }
  return { x: out, n: idx.length, labels: lab };
}

/**
 * Builds a {@link Dataset} of images from grey levels in [0, 1]: a seeded train/validation split
 * of the training file, and the binarisation or dequantisation the options ask for.
 */
export function makeImageDataset(
  name: string,
  shape: number[],
  train: { x: Float32Array; labels: Uint8Array },
  test: { x: Float32Array; labels: Uint8Array },
  o: ImageDatasetOptions,
  classNames?: readonly string[],
): Dataset {
  const dim = shape.reduce((a, b) => a * b, 1);
  const rng = new Random(`${name}:${o.dataSeed}`);
  const nTrainFile = Math.min(train.labels.length, o.limitTrain ?? Infinity);
  const perm = rng.permutation(train.labels.length).subarray(0, nTrainFile);
  const nVal = Math.max(o.validationSplit > 0 ? 1 : 0, Math.round(nTrainFile * o.validationSplit));
  const trainSplit = take(train.x, train.labels, dim, perm.subarray(nVal));
  const valSplit = take(train.x, train.labels, dim, perm.subarray(0, nVal));
  const nTest = Math.min(test.labels.length, o.limitTest ?? Infinity);
  const testSplit = take(
    test.x,
    test.labels,
    dim,
    Array.from({ length: nTest }, (_, i) => i),
  );

  const evalRng = new Random(`${name}:${o.dataSeed}:eval`);
  if (o.binarize !== 'none') {
    binarizeInPlace(valSplit.x, evalRng);
    binarizeInPlace(testSplit.x, evalRng);
    if (o.binarize === 'static') binarizeInPlace(trainSplit.x, evalRng);
  } else if (o.dequantize) {
    dequantizeInPlace(valSplit.x, evalRng);
    dequantizeInPlace(testSplit.x, evalRng);
  }
  const dataset: Dataset = {
    name,
    inputShape: shape,
    valueKind: o.binarize === 'none' ? 'continuous' : 'binary',
    train: trainSplit,
    val: valSplit,
    test: testSplit,
    prepareTrainBatch(x: Float32Array, r: Random) {
      if (o.binarize === 'dynamic') binarizeInPlace(x, r);
      else if (o.binarize === 'none' && o.dequantize) dequantizeInPlace(x, r);
    },
  };
  if (o.condition !== 'label') return dataset;
  const classes = classNames?.length ?? Math.max(...train.labels, ...test.labels) + 1;
  return conditionOnLabels(dataset, classes, classNames);
}
