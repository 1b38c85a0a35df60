import type { Random } from './random.js';

/** One split: `n` examples of `dim` values each, row-major in `x`. */
export interface DataSplit {
  x: Float32Array;
  n: number;
  /** Class labels where the dataset has them. */
  labels?: Uint8Array;
}

/**
 * A dataset as the trainer sees it. Values are flattened per example; `inputShape` says how to
 * fold them (e.g. [28, 28, 1]). Validation and test data are fixed at load time (one seeded
 * binarisation, say) so figures compare across runs; training batches go through
 * {@link Dataset.prepareTrainBatch} every time they are drawn (dynamic binarisation,
 * dequantisation noise).
 */
export interface Dataset {
  readonly name: string;
  readonly inputShape: number[];
  /** `binary` values are 0/1 (Bernoulli likelihood); `continuous` are reals. */
  readonly valueKind: 'binary' | 'continuous';
  readonly train: DataSplit;
  readonly val: DataSplit;
  readonly test: DataSplit;
  /** Transforms a freshly gathered training batch in place. */
  prepareTrainBatch(x: Float32Array, rng: Random): void;
  /** Renders one example's values into [0, 1] grey levels for image grids (default: clamp). */
  toPixels?(x: Float32Array): Float32Array;
  /** A readable rendering of one example (e.g. an architecture sequence); sample files use it. */
  describe?(row: Float32Array): string;
  /** null when one example (e.g. a decoded sample) is valid for the domain, else the reason. */
  validity?(row: Float32Array): string | null;
  /**
   * Columns after the data in every row that condition the model (a one-hot label, see
   * {@link conditionOnLabels}); 0 or absent for unconditional data. `inputShape` describes the
   * data columns only.
   */
  readonly conditionDim?: number;
  /** A name per condition column (class names), for sample figures and `vaeflow sample --label`. */
  readonly conditionNames?: readonly string[];
}

export function inputDimOf(d: Pick<Dataset, 'inputShape'>): number {
  return d.inputShape.reduce((a, b) => a * b, 1);
}

/** Values per row as the model reads them: the data, then the condition columns where the dataset has them. */
export function rowDimOf(d: Pick<Dataset, 'inputShape' | 'conditionDim'>): number {
  return inputDimOf(d) + (d.conditionDim ?? 0);
}

/** The data columns of `n` rows (the rows themselves when the dataset carries no condition), for images and data metrics. */
export function dataColumns(rows: Float32Array, n: number, d: Pick<Dataset, 'inputShape' | 'conditionDim'>): Float32Array {
  if (!d.conditionDim) return rows;
  const D = inputDimOf(d);
  const R = D + d.conditionDim;
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) out.set(rows.subarray(i * R, i * R + D), i * D);
  return out;
}

/**
 * A labelled dataset whose rows carry their class as a one-hot vector after the data, so a
 * conditional model reads x and its label c together (the conditional VAE of Sohn et al. 2015,
 * p(x|z, c) with q(z|x, c)). `classes` counts the columns; labels must lie below it. Training
 * batch preparation (binarisation, dequantisation) touches the data columns only.
 */
export function conditionOnLabels(d: Dataset, classes: number, names?: readonly string[]): Dataset {
  if (d.conditionDim) throw new Error(`${d.name} is already conditioned`);
  if (names && names.length !== classes) throw new Error(`${classes} classes but ${names.length} names`);
  const D = inputDimOf(d);
  const R = D + classes;
  const withLabels = (split: DataSplit, which: string): DataSplit => {
    if (!split.labels) throw new Error(`${d.name} has no labels in its ${which} split, so it cannot condition a model on them`);
    const x = new Float32Array(split.n * R);
    for (let i = 0; i < split.n; i++) {
      const c = split.labels[i];
      if (c >= classes) throw new Error(`${d.name} ${which} example ${i} has label ${c}, outside the ${classes} classes`);
      x.set(split.x.subarray(i * D, (i + 1) * D), i * R);
      x[i * R + D + c] = 1;
    }
    return { x, n: split.n, labels: split.labels };
  };
  const prepare = d.prepareTrainBatch.bind(d);
  return {
    name: d.name,
    inputShape: d.inputShape,
    valueKind: d.valueKind,
    train: withLabels(d.train, 'training'),
    val: withLabels(d.val, 'validation'),
    test: withLabels(d.test, 'test'),
    conditionDim: classes,
    ...(names ? { conditionNames: names } : {}),
    prepareTrainBatch(rows, rng) {
      const n = rows.length / R;
      const data = dataColumns(rows, n, { inputShape: d.inputShape, conditionDim: classes });
      prepare(data, rng);
      for (let i = 0; i < n; i++) rows.set(data.subarray(i * D, (i + 1) * D), i * R);
    },
    ...(d.toPixels ? { toPixels: d.toPixels.bind(d) } : {}),
    ...(d.describe ? { describe: d.describe.bind(d) } : {}),
    ...(d.validity ? { validity: d.validity.bind(d) } : {}),
  };
}

/** About n samples laid out one row per class: ceil(n / classes) columns, `classes` rows, and each sample's class. */
export function classGrid(n: number, classes: number): { n: number; columns: number; labels: number[] } {
  const columns = Math.max(1, Math.ceil(n / classes));
  return { n: columns * classes, columns, labels: Array.from({ length: columns * classes }, (_, i) => Math.floor(i / columns)) };
}

/** One-hot rows [n, classes] with the classes in turn (row i is class i mod classes): default conditions for n samples. */
export function oneHotInTurn(n: number, classes: number): Float32Array {
  return oneHotRows(
    Array.from({ length: n }, (_, i) => i % classes),
    classes,
  );
}

/** One-hot rows [n, classes] for the given labels. */
export function oneHotRows(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

/** Copies the rows `idx[from..to)` of a split into one contiguous batch. */
export function gatherRows(split: DataSplit, dim: number, idx: ArrayLike<number>, from: number, to: number): Float32Array {
  const out = new Float32Array((to - from) * dim);
  for (let i = from; i < to; i++) {
    const r = idx[i];
    out.set(split.x.subarray(r * dim, (r + 1) * dim), (i - from) * dim);
  }
  return out;
}
