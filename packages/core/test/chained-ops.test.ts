import { describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../src/index.js';

describe('tensor methods', () => {
  it('x.reshape(), x.add(), x.matMul() and the rest work as the ops they name (plugin authors use them)', async () => {
    const { CHAINED_OPS } = await import('../src/backend/chained-ops.js');
    const ops = tf as unknown as Record<string, unknown>;
    expect(CHAINED_OPS.filter((n) => typeof ops[n] !== 'function')).toEqual([]);
    await selectBackend('cpu', { log: null });
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const chained = x.reshape([4]).add(1).square().sum();
    expect(chained.dataSync()[0]).toBe(tf.sum(tf.square(tf.add(tf.reshape(x, [4]), 1))).dataSync()[0]);
    expect(Array.from(x.matMul(x).dataSync())).toEqual([7, 10, 15, 22]);
    expect(x.asType('int32').dtype).toBe('int32');
    expect(x.flatten().shape).toEqual([4]);
    expect(tf.ones([1, 2, 2, 1]).resizeBilinear([4, 4]).shape).toEqual([1, 4, 4, 1]);
  });
});

describe('gradients through comparisons', () => {
  it('a tf.where on less, lessEqual, greater, equal, notEqual or logical ops differentiates (the comparison adds nothing)', async () => {
    await selectBackend('cpu', { log: null });
    const x = tf.tensor1d([-2, -0.5, 0.5, 2]);
    const masks: ((v: tf.Tensor) => tf.Tensor)[] = [
      (v) => tf.less(v, 0),
      (v) => tf.lessEqual(v, 0),
      (v) => tf.logicalNot(tf.greater(v, 0)),
      (v) => tf.logicalOr(tf.equal(v, -2), tf.equal(v, -0.5)),
      (v) => tf.logicalAnd(tf.notEqual(v, 0.5), tf.notEqual(v, 2)),
    ];
    for (const mask of masks) {
      // f = x^2 where x < 0, 3x elsewhere: f' = 2x or 3
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.where(mask(v) as tf.Tensor, tf.square(v), tf.mul(v, 3))))(x);
      expect(Array.from(g.dataSync())).toEqual([-4, -1, 3, 3]);
    }
  });
});
