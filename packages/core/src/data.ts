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
}

export function inputDimOf(d: Pick<Dataset, 'inputShape'>): number {
  return d.inputShape.reduce((a, b) => a * b, 1);
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
