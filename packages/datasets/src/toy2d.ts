import { Random, defineComponent, type DataSplit, type Dataset } from '@vaeflow/core';

/** Options every seeded 2-D toy dataset takes. */
export interface ToyOptions {
  nTrain: number;
  nVal: number;
  nTest: number;
  noise: number;
  dataSeed: number;
}

/** Draws n labelled points in 2-D. */
export type ToySampler = (n: number, noise: number, rng: Random) => DataSplit;

/**
 * A seeded 2-D toy dataset component: train, val and test drawn one after another from one
 * generator seeded by the type and `dataSeed`, so every run sees the same points.
 */
export function toyDataset(type: string, description: string, sample: ToySampler, noise: number) {
  return defineComponent<Dataset, ToyOptions>({
    kind: 'dataset',
    type,
    description,
    schema: {
      properties: {
        nTrain: { type: 'integer', minimum: 1, default: 10000 },
        nVal: { type: 'integer', minimum: 1, default: 1000 },
        nTest: { type: 'integer', minimum: 1, default: 2000 },
        noise: { type: 'number', minimum: 0, default: noise },
        dataSeed: { type: 'integer', minimum: 0, default: 0 },
      },
    },
    dataShape: () => ({ inputShape: [2], valueKind: 'continuous' }),
    create: (o) => {
      const rng = new Random(`${type}:${o.dataSeed}`);
      return {
        name: type,
        inputShape: [2],
        valueKind: 'continuous',
        train: sample(o.nTrain, o.noise, rng),
        val: sample(o.nVal, o.noise, rng),
        test: sample(o.nTest, o.noise, rng),
        prepareTrainBatch: () => undefined,
      };
    },
  });
}

/**
 * Four concentric rings of radii 0.5, 1, 1.5 and 2 (a ring drawn uniformly per point, the
 * angle uniformly), the radius blurred by N(0, noise^2). Labels say which ring.
 */
export function rings(n: number, noise: number, rng: Random): DataSplit {
  const x = new Float32Array(2 * n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const ring = rng.int(4);
    const r = 0.5 * (ring + 1) + noise * rng.nextNormal();
    const t = 2 * Math.PI * rng.next();
    labels[i] = ring;
    x[2 * i] = r * Math.cos(t);
    x[2 * i + 1] = r * Math.sin(t);
  }
  return { x, n, labels };
}

/**
 * A 4 x 4 checkerboard on [-2, 2]^2: points uniform on its 8 dark squares (those whose column
 * and row have the same parity), plus N(0, noise^2) per coordinate. Labels number the squares 0-7.
 */
export function checkerboard(n: number, noise: number, rng: Random): DataSplit {
  const x = new Float32Array(2 * n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const square = rng.int(8);
    const col = square % 4;
    const row = 2 * Math.floor(square / 4) + (col % 2); // same parity as the column
    labels[i] = square;
    x[2 * i] = -2 + col + rng.next() + noise * rng.nextNormal();
    x[2 * i + 1] = -2 + row + rng.next() + noise * rng.nextNormal();
  }
  return { x, n, labels };
}

export const ringsDataset = toyDataset('rings', 'Seeded 2-D data: four concentric rings of radii 0.5 to 2.', rings, 0.05);
export const checkerboardDataset = toyDataset('checkerboard', 'Seeded 2-D data: uniform on the dark squares of a 4 x 4 checkerboard on [-2, 2]^2.', checkerboard, 0);
