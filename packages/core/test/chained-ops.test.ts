import { describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../src/index.js';

describe('tensor methods', () => {
  it('x.reshape(), x.add(), x.matMul() and the rest work as the ops they name (plugin authors use them)', async () => {
    const { CHAINED_OPS } = await import('../src/backend/chained-ops.js');
    const ops = tf as unknown as Record<string, unknown>;
    expect(CHAINED_OPS.filter((n) => typeof ops[n] !== 'function')).toEqual([]);
    await selectBackend('cpu', { log: null });
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const chained = x.reshape([4]).add(1).square().sum();
    expect(chained.dataSync()[0]).toBe(tf.sum(tf.square(tf.add(tf.reshape(x, [4]), 1))).dataSync()[0]);
    expect(Array.from(x.matMul(x).dataSync())).toEqual([7, 10, 15, 22]);
    expect(x.asType('int32').dtype).toBe('int32');
    expect(x.flatten().shape).toEqual([4]);
    expect(tf.ones([1, 2, 2, 1]).resizeBilinear([4, 4]).shape).toEqual([1, 4, 4, 1]);
  });
});
