import { Random, defineComponent, type DataSplit, type Dataset } from '@vaeflow/core';

export interface TwoMoonsOptions {
  nTrain: number;
  nVal: number;
  nTest: number;
  noise: number;
  dataSeed: number;
}

/**
 * Two interleaved half circles in 2-D (the dataset of seed 004, figs. 1 and 3): the upper moon
 * (cos t, sin t) and the lower (1 - cos t, 1/2 - sin t), t ~ U(0, pi), plus N(0, noise^2)
 * on each coordinate. Labels say which moon.
 */
export function twoMoons(n: number, noise: number, rng: Random): DataSplit {
  const x = new Float32Array(2 * n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.PI * rng.next();
    const lower = i % 2;
    labels[i] = lower;
    x[2 * i] = (lower ? 1 - Math.cos(t) : Math.cos(t)) + noise * rng.nextNormal();
    x[2 * i + 1] = (lower ? 0.5 - Math.sin(t) : Math.sin(t)) + noise * rng.nextNormal();
  }
  return { x, n, labels };
}

export const twoMoonsDataset = defineComponent<Dataset, TwoMoonsOptions>({
  kind: 'dataset',
  type: 'two-moons',
  description: 'Seeded two-moons data in 2-D.',
  schema: {
    properties: {
      nTrain: { type: 'integer', minimum: 1, default: 10000 },
      nVal: { type: 'integer', minimum: 1, default: 1000 },
      nTest: { type: 'integer', minimum: 1, default: 2000 },
      noise: { type: 'number', minimum: 0, default: 0.05 },
      dataSeed: { type: 'integer', minimum: 0, default: 0 },
    },
  },
  dataShape: () => ({ inputShape: [2], valueKind: 'continuous' }),
  create: (o) => {
    const rng = new Random(`two-moons:${o.dataSeed}`);
    return {
      name: 'two-moons',
      inputShape: [2],
      valueKind: 'continuous',
      train: twoMoons(o.nTrain, o.noise, rng),
      val: twoMoons(o.nVal, o.noise, rng),
      test: twoMoons(o.nTest, o.noise, rng),
      prepareTrainBatch: () => undefined,
    };
  },
});
