import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernel tests' common shell: run f on the cpu backend (the reference) and on wasm (with
 * whichever kernels are registered for it), and compare the results. Used by @vaeflow/native's
 * kernel tests and by core's wasm kernel tests.
 */
export async function onCpuAndWasm(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: number[][]; wasm: number[][] }> {
  const run = () => {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const arrays = list.map((t) => Array.from(t.dataSync()));
    tf.dispose(list);
    return arrays;
  };
  await tf.setBackend('cpu');
  const cpu = run();
  await tf.setBackend('wasm');
  return { cpu, wasm: run() };
}

/**
 * Largest difference between two lists of arrays of equal shapes, |a - b| / max(1, |a|) when
 * `relative` (else |a - b|); NaN in one and not the other counts as infinite, and arrays of
 * different lengths too.
 */
export function maxDiff(a: number[][], b: number[][], relative = false): number {
  let m = 0;
  if (a.length !== b.length || a.some((arr, i) => arr.length !== b[i].length)) return Infinity;
  a.forEach((arr, i) =>
    arr.forEach((v, j) => {
      const w = b[i][j];
      if (Number.isNaN(v) || Number.isNaN(w))
        m = Number.isNaN(v) && Number.isNaN(w) ? m : Infinity; // NaN must stay NaN
      else m = Math.max(m, Math.abs(v - w) / (relative ? Math.max(1, Math.abs(v)) : 1));
    }),
  );
  return m;
}

/** Runs `step` once to warm up, then five times more: the change in the active backend's live data ids (0: no leak). */
export function dataIdsLeaked(step: () => void): number {
  const count = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  step();
  const before = count();
  for (let i = 0; i < 5; i++) step();
  return count() - before;
}

/** Every transpose combination of a matrix product, [transposeA, transposeB]. */
export const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** a b (each transposed as asked) and the gradients of sum(sin(a b)) with respect to a and b. */
export function productAndGradients(a: tf.Tensor3D, b: tf.Tensor3D, ta: boolean, tb: boolean): tf.Tensor[] {
  const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, ta, tb)));
  return [tf.matMul(a, b, ta, tb), ...tf.grads(f)([a, b])];
}
