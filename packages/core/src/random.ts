import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';

/** The serialisable state of a {@link Random}; stored in checkpoints so `--resume` continues exactly. */
export type RandomState = object;

/**
 * A seeded, checkpointable random source (seedrandom's Alea generator). All randomness in
 * vaeflow — shuffling, binarisation, reparameterisation noise, dequantisation — draws from
 * one of these, so a run is reproducible on one backend and resumes exactly.
 */
export class Random {
  private readonly prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  private spare: number | null = null;

  constructor(seed: number | string = 0, state?: RandomState) {
    this.prng = state ? seedrandom.alea('', { state: state as seedrandom.State.Alea }) : seedrandom.alea(String(seed), { state: true });
  }

  static fromState(state: RandomState): Random {
    const { prng, spare } = state as { prng: RandomState; spare: number | null };
    const r = new Random(0, prng);
    r.spare = spare;
    return r;
  }

  state(): RandomState {
    return { prng: this.prng.state(), spare: this.spare };
  }

  /** A uniform draw in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** A standard-normal draw (Box–Muller, the second value kept for the next call). */
  nextNormal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = this.prng();
    while (u <= 1e-12) u = this.prng();
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  uniformArray(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.prng();
    return out;
  }

  normalArray(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextNormal();
    return out;
  }

  /** eps ~ N(0, I) as a tensor of the given shape. */
  normal(shape: number[]): tf.Tensor {
    return tf.tensor(this.normalArray(shape.reduce((a, b) => a * b, 1)), shape, 'float32');
  }

  /** u ~ U[0, 1) as a tensor of the given shape. */
  uniform(shape: number[]): tf.Tensor {
    return tf.tensor(this.uniformArray(shape.reduce((a, b) => a * b, 1)), shape, 'float32');
  }

  /** A Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** An independent generator seeded from this one (for a sub-task that must not shift this stream). */
  fork(): Random {
    return new Random(Math.floor(this.prng() * 2 ** 32));
  }
}
