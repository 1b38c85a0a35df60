import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dense, MLP, Random, Module, disposeCheckpoint, loadCheckpoint, saveCheckpoint, tf, writeFileAtomic, type Dataset } from '@vaeflow/core';

/**
 * A small MLP classifier trained with vaeflow itself on a dataset's labels; its penultimate
 * activations are the feature space of the Frechet classifier distance. Weights are stored
 * once per dataset with a SHA-256 checksum and reused.
 */
export class FeatureClassifier extends Module {
  readonly trunk: MLP;
  readonly head: Dense;
  constructor(
    rng: Random,
    inputDim: number,
    readonly classes: number,
    hidden = [256, 128],
  ) {
    super();
    this.trunk = this.addChild('trunk', new MLP(rng, [inputDim, ...hidden], 'relu', 'relu'));
    this.head = this.addChild('head', new Dense(rng, hidden[hidden.length - 1], classes));
  }
  get featureDim(): number {
    return this.trunk.outputDim;
  }
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return this.head.apply(this.trunk.apply(x));
  }
  /** Penultimate-layer features of n examples, [n, featureDim] row-major. */
  features(x: Float32Array, dim: number, batchSize = 1000): Float32Array {
    const n = x.length / dim;
    const out = new Float32Array(n * this.featureDim);
    for (let from = 0; from < n; from += batchSize) {
      const to = Math.min(n, from + batchSize);
      out.set(
        tf.tidy(() => this.trunk.apply(tf.tensor2d(x.subarray(from * dim, to * dim), [to - from, dim])).dataSync() as Float32Array),
        from * this.featureDim,
      );
    }
    return out;
  }
  accuracy(x: Float32Array, labels: Uint8Array, dim: number): number {
    let correct = 0;
    for (let from = 0; from < labels.length; from += 1000) {
      const to = Math.min(labels.length, from + 1000);
      const pred = tf.tidy(() => tf.argMax(this.logits(tf.tensor2d(x.subarray(from * dim, to * dim), [to - from, dim])), 1).dataSync());
      for (let i = from; i < to; i++) if (pred[i - from] === labels[i]) correct++;
    }
    return correct / labels.length;
  }
}

export interface ClassifierInfo {
  dataset: string;
  /** what made the classifier: the training data, labels, epochs and architecture (see classifierKey) */
  key?: string;
  sha256: string;
  testAccuracy: number;
  epochs: number;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Trains the classifier with Adam and softmax cross-entropy on the training split's labels. */
export function trainClassifier(dataset: Dataset, o: { epochs?: number; seed?: number; log?: (l: string) => void } = {}): FeatureClassifier {
  const labels = dataset.train.labels;
  if (!labels) throw new Error(`dataset ${dataset.name} has no labels; a feature classifier needs them`);
  const dim = dataset.inputShape.reduce((a, b) => a * b, 1);
  const classes = Math.max(...labels) + 1;
  const rng = new Random(`classifier:${o.seed ?? 0}`);
  const net = new FeatureClassifier(rng, dim, classes);
  const optimizer = tf.train.adam(1e-3);
  const vars = net.trainableVariables();
  const bs = 128;
  for (let epoch = 0; epoch < (o.epochs ?? 3); epoch++) {
    const perm = rng.permutation(dataset.train.n);
    for (let from = 0; from + bs <= perm.length; from += bs) {
      const x = new Float32Array(bs * dim);
      const y = new Int32Array(bs);
      for (let i = 0; i < bs; i++) {
        x.set(dataset.train.x.subarray(perm[from + i] * dim, (perm[from + i] + 1) * dim), i * dim);
        y[i] = labels[perm[from + i]];
      }
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), classes), net.logits(tf.tensor2d(x, [bs, dim]))) as tf.Scalar, vars);
        optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      });
    }
    o.log?.(`classifier epoch ${epoch + 1}: validation accuracy ${(net.accuracy(dataset.val.x, dataset.val.labels!, dim) * 100).toFixed(2)}%`);
  }
  optimizer.dispose();
  return net;
}

/** Bumped when the classifier's architecture or training changes, so old caches are not reused. */
const CLASSIFIER_VERSION = 1;

/**
 * A hash of everything that made a classifier: the architecture version, the epochs, the input
 * shape and every training and validation example and label. A classifier trained on a
 * `--limit-train` subset (or another binarisation) gets another key, so it is never reused for
 * a full run.
 */
export function classifierKey(dataset: Dataset, epochs: number): string {
  const h = createHash('sha256').update(JSON.stringify({ v: CLASSIFIER_VERSION, name: dataset.name, shape: dataset.inputShape, epochs, n: [dataset.train.n, dataset.val.n] }));
  for (const split of [dataset.train, dataset.val]) {
    h.update(new Uint8Array(split.x.buffer, split.x.byteOffset, split.x.byteLength));
    if (split.labels) h.update(new Uint8Array(split.labels.buffer, split.labels.byteOffset, split.labels.byteLength));
  }
  return h.digest('hex');
}

/**
 * The dataset's feature classifier from `cacheDir`, verified against its stored checksum, or
 * trained and stored there when absent or damaged. The cache entry is named by
 * {@link classifierKey}: only a classifier made from the same data, epochs and architecture is
 * reused.
 */
export async function loadOrTrainClassifier(
  dataset: Dataset,
  cacheDir: string,
  o: { epochs?: number; log?: (l: string) => void } = {},
): Promise<{ classifier: FeatureClassifier; info: ClassifierInfo }> {
  const dim = dataset.inputShape.reduce((a, b) => a * b, 1);
  const key = classifierKey(dataset, o.epochs ?? 3);
  const dir = path.join(cacheDir, `classifier-${dataset.name}-${key.slice(0, 16)}`);
  const infoFile = path.join(dir, 'classifier.json');
  const classes = dataset.train.labels ? Math.max(...dataset.train.labels) + 1 : 0;
  if (fs.existsSync(infoFile)) {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as ClassifierInfo;
    const weights = path.join(dir, 'checkpoint', 'weights.bin');
    if (info.key === key && fs.existsSync(weights) && sha256(weights) === info.sha256) {
      const net = new FeatureClassifier(new Random(0), dim, classes);
      const c = loadCheckpoint(path.join(dir, 'checkpoint'));
      net.loadWeights(c.weights);
      disposeCheckpoint(c);
      return { classifier: net, info };
    }
    o.log?.(`vaeflow: ${dir} fails its checksum; training the classifier again`);
  }
  o.log?.(`vaeflow: training the ${dataset.name} feature classifier once (stored in ${dir})`);
  const net = trainClassifier(dataset, o);
  await saveCheckpoint(path.join(dir, 'checkpoint'), net.namedVariables(), [], { epoch: o.epochs ?? 3, step: 0, rng: {}, bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0 });
  const info: ClassifierInfo = {
    dataset: dataset.name,
    key,
    sha256: sha256(path.join(dir, 'checkpoint', 'weights.bin')),
    testAccuracy: net.accuracy(dataset.test.x, dataset.test.labels!, dim),
    epochs: o.epochs ?? 3,
  };
  writeFileAtomic(infoFile, JSON.stringify(info, null, 2));
  return { classifier: net, info };
}
