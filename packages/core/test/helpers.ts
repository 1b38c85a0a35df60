import * as tf from '@tensorflow/tfjs-core';
import { BaseFlow, Random, conditionOnLabels, createRegistry, definePlugin, defineComponent, selectBackend, type Dataset, type Manifest, resolveManifest } from '../src/index.js';

export async function useWasm(): Promise<void> {
  await selectBackend('wasm', { log: null });
}

/** A tiny synthetic binary dataset (no files): 4x4x1 "images" of stripes, labelled by the lit row. */
export function stripesDataset(nTrain = 64, nVal = 16, nTest = 16): Dataset {
  const rng = new Random('stripes');
  const make = (n: number) => {
    const x = new Float32Array(n * 16);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const row = rng.int(4);
      labels[i] = row;
      for (let j = 0; j < 4; j++) x[i * 16 + row * 4 + j] = 1;
    }
    return { x, n, labels };
  };
  return { name: 'stripes', inputShape: [4, 4, 1], valueKind: 'binary', train: make(nTrain), val: make(nVal), test: make(nTest), prepareTrainBatch: () => undefined };
}

export const testDataPlugin = definePlugin({
  name: 'test-data',
  version: '0.0.0',
  components: [
    defineComponent<Dataset, { nTrain: number; condition: boolean }>({
      kind: 'dataset',
      type: 'stripes',
      description: 'tiny synthetic stripes',
      schema: { properties: { nTrain: { type: 'integer', minimum: 4, default: 64 }, condition: { type: 'boolean', default: false } } },
      dataShape: (o) => ({ inputShape: [4, 4, 1], valueKind: 'binary', ...(o.condition ? { conditionDim: 4 } : {}) }),
      create: (o) => (o.condition ? conditionOnLabels(stripesDataset(o.nTrain), 4) : stripesDataset(o.nTrain)),
    }),
  ],
});

export function tinyManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 3,
    data: { type: 'stripes' },
    model: {
      latentDim: 2,
      encoder: { type: 'mlp', hidden: [8] },
      decoder: { type: 'mlp', hidden: [8] },
    },
    training: { epochs: 2, batchSize: 16, samples: 4 },
    ...overrides,
  };
}

export function tinyRegistryAndManifest(overrides: Record<string, unknown> = {}): { registry: ReturnType<typeof createRegistry>; manifest: Manifest } {
  const registry = createRegistry(testDataPlugin);
  return { registry, manifest: resolveManifest(tinyManifest(overrides), registry) };
}

/** z -> 2z, log|det| = dim log 2, invertible: a flow whose effect is known exactly. */
export class DoubleFlow extends BaseFlow {
  readonly id = 'double';
  override readonly invertible = true;
  protected forward(z: tf.Tensor2D) {
    return { z: tf.mul(z, 2) as tf.Tensor2D, logDet: tf.fill([z.shape[0]], this.dim * Math.log(2)) as tf.Tensor1D };
  }
  protected override inverse(y: tf.Tensor2D) {
    return { z: tf.div(y, 2) as tf.Tensor2D, logDet: tf.fill([y.shape[0]], -this.dim * Math.log(2)) as tf.Tensor1D };
  }
}
