import type { DataSplit, Random } from '@vaeflow/core';
import { toyDataset, type ToyOptions } from './toy2d.js';

export type TwoMoonsOptions = ToyOptions;

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

export const twoMoonsDataset = toyDataset('two-moons', 'Seeded two-moons data in 2-D.', twoMoons, 0.05);
