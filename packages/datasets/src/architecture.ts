import type { Random } from '@vaeflow/core';

/**
 * Neural-network architectures as sequences (seed 002, sec. 4.1): each step is a one-hot layer
 * type and one feature value normalised to [0, 1]. After the last layer comes `end`, repeated
 * to the fixed length T. An example is T x (K + 1) values, K = number of types.
 */
export const LAYER_TYPES = ['end', 'dense', 'conv', 'pool', 'dropout', 'activation'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];
export interface Layer {
  type: LayerType;
  /** width (dense), filters (conv), pool size (pool), rate (dropout), kind (activation: relu, tanh, sigmoid) */
  value: number | string;
}

const ACTIVATION_KINDS = ['relu', 'tanh', 'sigmoid'];

/** The feature value of a layer, normalised to [0, 1]; throws on a value outside the type's range. */
export function normaliseFeature(layer: Layer): number {
  const v = layer.value;
  switch (layer.type) {
    case 'dense':
      if (typeof v !== 'number' || !Number.isInteger(Math.log2(v)) || v < 16 || v > 1024) throw new Error(`dense width must be a power of two in 16..1024, got ${JSON.stringify(v)}`);
      return Math.log2(v) / 10;
    case 'conv':
      if (typeof v !== 'number' || !Number.isInteger(Math.log2(v)) || v < 8 || v > 256) throw new Error(`conv filters must be a power of two in 8..256, got ${JSON.stringify(v)}`);
      return Math.log2(v) / 10;
    case 'pool':
      if (v !== 2 && v !== 3) throw new Error(`pool size must be 2 or 3, got ${JSON.stringify(v)}`);
      return v / 4;
    case 'dropout':
      if (typeof v !== 'number' || v < 0.05 || v > 0.9) throw new Error(`dropout rate must be in 0.05..0.9, got ${JSON.stringify(v)}`);
      return v;
    case 'activation': {
      const k = ACTIVATION_KINDS.indexOf(String(v));
      if (k < 0) throw new Error(`activation must be one of ${ACTIVATION_KINDS.join(', ')}, got ${JSON.stringify(v)}`);
      return (k + 1) / 4;
    }
    case 'end':
      return 0;
  }
}

/** The nearest valid layer value for a normalised feature (for decoded sequences). */
export function denormaliseFeature(type: LayerType, f: number): number | string {
  switch (type) {
    case 'dense':
      return 2 ** Math.min(10, Math.max(4, Math.round(f * 10)));
    case 'conv':
      return 2 ** Math.min(8, Math.max(3, Math.round(f * 10)));
    case 'pool':
      return f * 4 < 2.5 ? 2 : 3;
    case 'dropout':
      return Math.round(Math.min(0.9, Math.max(0.05, f)) * 100) / 100;
    case 'activation':
      return ACTIVATION_KINDS[Math.min(2, Math.max(0, Math.round(f * 4) - 1))];
    case 'end':
      return 0;
  }
}

/**
 * The grammar of valid architectures: a convolutional part (conv, optionally followed by
 * activation, pool, dropout) then a dense part (dense, optionally activation, dropout), at least
 * one layer, starting with conv or dense, ending with dense; no conv or pool after a dense; pool
 * only right after conv or activation; no dropout or activation twice in a row.
 * Returns null when valid, else the reason.
 */
export function checkArchitecture(layers: Layer[]): string | null {
  if (layers.length === 0) return 'no layers';
  if (layers[0].type !== 'conv' && layers[0].type !== 'dense') return `starts with ${layers[0].type}`;
  if (layers[layers.length - 1].type !== 'dense') return `ends with ${layers[layers.length - 1].type}, not dense`;
  let seenDense = false;
  for (let i = 0; i < layers.length; i++) {
    const { type } = layers[i];
    const prev = layers[i - 1]?.type;
    if (type === 'end') return `end token inside the architecture at layer ${i}`;
    if (type === 'dense') seenDense = true;
    if ((type === 'conv' || type === 'pool') && seenDense) return `${type} after a dense layer at layer ${i}`;
    if (type === 'pool' && prev !== 'conv' && prev !== 'activation') return `pool after ${prev} at layer ${i}`;
    if ((type === 'dropout' || type === 'activation') && prev === type) return `two ${type} layers in a row at layer ${i}`;
    try {
      normaliseFeature(layers[i]);
    } catch (e) {
      return `layer ${i}: ${(e as Error).message}`;
    }
  }
  return null;
}

/** A random valid architecture of at most `maxLayers` layers. */
export function randomArchitecture(rng: Random, maxLayers: number): Layer[] {
  for (;;) {
    const layers: Layer[] = [];
    const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
    if (rng.next() < 0.6) {
      for (let b = 0, blocks = 1 + rng.int(3); b < blocks; b++) {
        layers.push({ type: 'conv', value: pick([8, 16, 32, 64, 128, 256]) });
        if (rng.next() < 0.6) layers.push({ type: 'activation', value: pick(ACTIVATION_KINDS) });
        if (rng.next() < 0.5) layers.push({ type: 'pool', value: pick([2, 3]) });
        if (rng.next() < 0.3) layers.push({ type: 'dropout', value: pick([0.1, 0.2, 0.3, 0.5]) });
      }
    }
    for (let b = 0, blocks = 1 + rng.int(3); b < blocks; b++) {
      if (b > 0 || layers.length > 0) {
        if (rng.next() < 0.4 && layers.length && layers[layers.length - 1].type !== 'activation') layers.push({ type: 'activation', value: pick(ACTIVATION_KINDS) });
        if (rng.next() < 0.4 && layers.length && layers[layers.length - 1].type !== 'dropout') layers.push({ type: 'dropout', value: pick([0.1, 0.2, 0.3, 0.5]) });
      }
      layers.push({ type: 'dense', value: pick([16, 32, 64, 128, 256, 512, 1024]) });
    }
    if (layers.length <= maxLayers && checkArchitecture(layers) === null) return layers;
  }
}

/** Encodes layers as T x (K + 1) values: one-hot type, normalised feature; `end` fills the rest. */
export function encodeArchitecture(layers: Layer[], steps: number): Float32Array {
  if (layers.length >= steps) throw new Error(`${layers.length} layers do not fit ${steps} steps (one is kept for the end token)`);
  const K = LAYER_TYPES.length;
  const out = new Float32Array(steps * (K + 1));
  for (let t = 0; t < steps; t++) {
    const layer = layers[t] ?? { type: 'end', value: 0 };
    out[t * (K + 1) + LAYER_TYPES.indexOf(layer.type)] = 1;
    out[t * (K + 1) + K] = normaliseFeature(layer);
  }
  return out;
}

/** Decodes T x (K + 1) values (one-hot or scores per type, then the feature) up to the first `end`. */
export function decodeArchitecture(row: Float32Array | number[], steps: number): Layer[] {
  const K = LAYER_TYPES.length;
  const layers: Layer[] = [];
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (row[t * (K + 1) + k] > row[t * (K + 1) + best]) best = k;
    const type = LAYER_TYPES[best];
    if (type === 'end') break;
    layers.push({ type, value: denormaliseFeature(type, row[t * (K + 1) + K]) });
  }
  return layers;
}

/** A readable one-line architecture: `conv(32) -> activation(relu) -> dense(128)`. */
export function formatArchitecture(layers: Layer[]): string {
  return layers.length ? layers.map((l) => `${l.type}(${l.value})`).join(' -> ') : '(empty)';
}

/**
 * How a page shows an example of this data (`vaeflow export` bundles this module, which has no
 * Node-only import): the decoded architecture as text, and why it is not a valid one (or null).
 * `inputShape` is [T, K + 1].
 */
export const pageDescriber = {
  describe: (row: Float32Array, inputShape: number[]): string => formatArchitecture(decodeArchitecture(row, inputShape[0])),
  validity: (row: Float32Array, inputShape: number[]): string | null => checkArchitecture(decodeArchitecture(row, inputShape[0])),
};
