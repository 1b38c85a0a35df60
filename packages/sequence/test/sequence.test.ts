import { describe, expect, it } from 'vitest';
import { LOG_2PI, Random, selectBackend, tf } from '@vaeflow/core';
import { SequenceDecoder } from '../src/index.js';

await selectBackend('wasm', { log: null });

const K = 6; // end, dense, conv, pool, dropout, activation
const T = 5;
const step = (type: number, f = 0) => [...Array.from({ length: K }, (_, k) => (k === type ? 1 : 0)), f];
const seq = (...steps: number[][]) => tf.tensor2d([steps.flat()]);

function zeroed(hidden: number): SequenceDecoder {
  const d = new SequenceDecoder(new Random('seq'), 2, T, K, { hidden, feature: 'gaussian', featureScale: 0.1 });
  for (const v of d.trainableVariables()) v.assign(tf.zerosLike(v));
  return d;
}

describe('LSTM sequence decoder', () => {
  it('teacher forcing: log p(x|z) is the hand-computed sum of type and feature log-probabilities', () => {
    const d = zeroed(4);
    // constant outputs: type logits (0, 3, 0, 0, 0, 0), feature sigmoid(0) = 0.5
    d.out.bias.assign(tf.tensor1d([0, 3, 0, 0, 0, 0, 0]));
    const x = seq(step(1, 0.6), step(2, 0.3), step(1, 0.5), step(0), step(0));
    const logZ = Math.log(Math.exp(3) + 5);
    const typeLp = (k: number) => (k === 1 ? 3 : 0) - logZ;
    const featLp = (f: number) => -0.5 * (((f - 0.5) / 0.1) ** 2 + LOG_2PI) - Math.log(0.1);
    const expected = typeLp(1) + featLp(0.6) + typeLp(2) + featLp(0.3) + typeLp(1) + featLp(0.5) + typeLp(0) + typeLp(0);
    const lik = d.decode(tf.zeros([1, 2]) as tf.Tensor2D);
    expect(lik.logProb(x).dataSync()[0]).toBeCloseTo(expected, 4);
    // free running from the same constant model: dense with feature sigmoid(0) = 0.5 at every step
    const mean = lik.mean();
    expect(mean.dtype).toBe('float32');
    const row = mean.arraySync()[0] as number[];
    for (let t = 0; t < T; t++) expect(row.slice(t * (K + 1), (t + 1) * (K + 1))).toEqual(step(1, 0.5));
  });

  it('teacher forcing reads the true previous step; free running reads its own output', () => {
    // A "copy" network: the LSTM stores the one-hot type of its input and the output layer
    // predicts that type, so each step predicts the type it was fed. x0 (from z) is conv.
    const d = zeroed(K);
    const W = tf.buffer([K + 1 + K, 4 * K]);
    for (let k = 0; k < K; k++) W.set(5, k, 2 * K + k); // input type k -> candidate g_k
    d.cell.kernel.assign(W.toTensor());
    const b = new Float32Array(4 * K);
    b.fill(10, 0, K); // input gate open
    b.fill(-10, K, 2 * K); // forget gate closed
    b.fill(10, 3 * K, 4 * K); // output gate open
    d.cell.bias.assign(tf.tensor1d(b));
    const O = tf.buffer([K, K + 1]);
    for (let k = 0; k < K; k++) O.set(10, k, k);
    d.out.kernel.assign(O.toTensor());
    d.init.bias.assign(tf.tensor1d([...step(2), ...new Array(2 * K).fill(0)]));
    const z = tf.zeros([1, 2]) as tf.Tensor2D;
    const lik = d.decode(z);
    // free running: conv, then conv fed back forever
    const free = lik.mean().arraySync()[0] as number[];
    for (let t = 0; t < T; t++) expect(free.slice(t * (K + 1), t * (K + 1) + K)).toEqual(step(2).slice(0, K));
    // truth conv, dense, dense, end: teacher-forced predictions conv (x0), conv, dense, dense -> 2 of 4 right;
    // free running conv, conv, conv, conv -> 1 of 4
    const x = seq(step(2, 0.5), step(1, 0.7), step(1, 0.7), step(0), step(0));
    const m = lik.metrics!(x);
    expect(m.typeAccuracyTeacherForced.dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(m.typeAccuracyFreeRunning.dataSync()[0]).toBeCloseTo(0.25, 6);
  });

  it('samples valid one-hot steps with features in [0, 1]', () => {
    const d = new SequenceDecoder(new Random('s'), 2, T, K, { hidden: 8, feature: 'gaussian', featureScale: 0.1 });
    const s = d
      .decode(tf.zeros([3, 2]) as tf.Tensor2D)
      .sample(new Random(1))
      .arraySync() as number[][];
    for (const row of s)
      for (let t = 0; t < T; t++) {
        expect(row.slice(t * (K + 1), t * (K + 1) + K).reduce((a, v) => a + v, 0)).toBe(1);
        expect(row[t * (K + 1) + K]).toBeGreaterThanOrEqual(0);
        expect(row[t * (K + 1) + K]).toBeLessThanOrEqual(1);
      }
  });
});
