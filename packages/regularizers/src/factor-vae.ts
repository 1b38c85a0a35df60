import { Dense, Module, Random, createAdam, tf, type LatentTerms, type Objective, type ObjectiveResult, type ObjectiveState } from '@vaeflow/core';
import { recAndKl } from './common.js';

/** FactorVAE's discriminator: `layers` x [Linear(width), LeakyReLU(0.2)] -> 2 logits. */
export class Discriminator extends Module {
  readonly layers: Dense[] = [];
  readonly out: Dense;
  constructor(rng: Random, dim: number, width: number, layers: number) {
    super();
    let d = dim;
    for (let i = 0; i < layers; i++) {
      this.layers.push(this.addChild(`l${i}`, new Dense(rng, d, width, 'leaky_relu')));
      d = width;
    }
    this.out = this.addChild('out', new Dense(rng, d, 2));
  }
  apply(z: tf.Tensor2D): tf.Tensor2D {
    let h = z;
    for (const l of this.layers) h = l.apply(h);
    return this.out.apply(h);
  }
}

/** Permutes each column of z independently across the batch: samples of prod_j q(z_j). */
export function permuteDims(z: tf.Tensor2D, rng: Random): tf.Tensor2D {
  const B = z.shape[0];
  const cols = tf.unstack(z, 1).map((c) => tf.gather(c, tf.tensor1d(rng.permutation(B), 'int32')));
  return tf.stack(cols, 1) as tf.Tensor2D;
}

/**
 * FactorVAE (Kim & Mnih 2018, arXiv 1802.05983): loss = -E[log p(x|z)] + KL + gamma TC, with the
 * total correlation estimated by a discriminator as TC = E[D_0(z) - D_1(z)] (the logit of
 * "z is from q(z)" against "from prod_j q(z_j)"). The discriminator trains after every model
 * step, with its own Adam, on this batch's z against a dimension-permuted z of the previous
 * batch. Checkpoints keep its weights, and its Adam moments, the batch it compares against and
 * its random stream, so a resumed run continues exactly.
 */
export class FactorVae implements Objective {
  readonly id = 'factor-vae';
  readonly discriminator: Discriminator;
  private readonly optimizer: tf.Optimizer;
  private current: tf.Tensor2D | null = null;
  private previous: tf.Tensor2D | null = null;
  constructor(
    readonly gamma: number,
    dim: number,
    width: number,
    layers: number,
    learningRate: number,
    private rng: Random,
  ) {
    this.discriminator = new Discriminator(rng, dim, width, layers);
    // the fused Adam where the backend has it: the same update in one kernel a variable
    this.optimizer = createAdam(learningRate, 0.5, 0.9);
  }
  loss(t: LatentTerms, _p: unknown, training: boolean): ObjectiveResult {
    const { rec, kl, elbo } = recAndKl(t);
    const logits = this.discriminator.apply(t.z);
    const tc = tf.mean(tf.sub(tf.slice(logits, [0, 0], [-1, 1]), tf.slice(logits, [0, 1], [-1, 1]))) as tf.Scalar;
    if (training) {
      this.current?.dispose();
      this.current = tf.keep(tf.clone(t.z)) as tf.Tensor2D;
    }
    return { loss: tf.addN([rec, kl, tf.mul(this.gamma, tc)]) as tf.Scalar, terms: { elbo, rec, kl, tc } };
  }
  afterStep(): void {
    const z = this.current;
    if (!z) return;
    this.current = null;
    if (this.previous && this.previous.shape[0] === z.shape[0]) {
      const prev = this.previous;
      const vars = this.discriminator.trainableVariables();
      tf.tidy(() => {
        const perm = permuteDims(prev, this.rng);
        const { grads } = tf.variableGrads(() => this.discriminatorLoss(z, perm), vars);
        this.optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      });
    }
    this.previous?.dispose();
    this.previous = z;
  }
  /**
   * The discriminator's loss, 1/2 [CE(real, D(z)) + CE(permuted, D(z~))] with z~ a dimension-permuted
   * batch of the same size: one pass over the 2B rows [z; z~], whose mean cross-entropy is that
   * average, instead of two passes of B.
   */
  discriminatorLoss(z: tf.Tensor2D, permuted: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const B = z.shape[0];
      const labels = tf.oneHot(tf.concat([tf.zeros([B], 'int32'), tf.ones([B], 'int32')]) as tf.Tensor1D, 2);
      return tf.losses.softmaxCrossEntropy(labels, this.discriminator.apply(tf.concat([z, permuted], 0))) as tf.Scalar;
    });
  }
  namedVariables(): Map<string, tf.Variable> {
    return this.discriminator.namedVariables('discriminator/');
  }
  /** The discriminator's Adam state (`optimizer/<i>`, in its order: iterations, first moments, second moments), the previous batch's z and the random stream. */
  async saveState(): Promise<ObjectiveState> {
    const weights = await this.optimizer.getWeights();
    // By position: tfjs names the moments after variable ids, which differ from process to process.
    const tensors = weights.map((w, i) => ({ name: `optimizer/${String(i).padStart(4, '0')}`, tensor: w.tensor instanceof tf.Variable ? tf.clone(w.tensor) : w.tensor }));
    if (this.previous) tensors.push({ name: 'previous', tensor: tf.clone(this.previous) });
    return { tensors, json: { rng: this.rng.state() } };
  }
  async restoreState(state: ObjectiveState): Promise<void> {
    const optimizer = state.tensors.filter((t) => t.name.startsWith('optimizer/')).sort((a, b) => (a.name < b.name ? -1 : 1));
    // setWeights makes variables of the tensors, which hold their own reference to the data: the checkpoint can be disposed.
    if (optimizer.length) await this.optimizer.setWeights(optimizer.map((t) => ({ name: `discriminator-${t.name}`, tensor: t.tensor })));
    const previous = state.tensors.find((t) => t.name === 'previous');
    this.previous?.dispose();
    this.previous = previous ? (tf.keep(tf.clone(previous.tensor)) as tf.Tensor2D) : null;
    const rng = (state.json as { rng?: object } | undefined)?.rng;
    if (rng) this.rng = Random.fromState(rng);
  }
}
