import { Dense, Module, tf, type LatentTerms, type Objective, type ObjectiveResult, type Random } from '@vaeflow/core';
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
 * batch. Its weights are stored in checkpoints (its optimiser state is not).
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
    private readonly rng: Random,
  ) {
    this.discriminator = new Discriminator(rng, dim, width, layers);
    this.optimizer = tf.train.adam(learningRate, 0.5, 0.9);
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
        const B = z.shape[0];
        const real = tf.oneHot(tf.zeros([B], 'int32') as tf.Tensor1D, 2);
        const fake = tf.oneHot(tf.ones([B], 'int32') as tf.Tensor1D, 2);
        const perm = permuteDims(prev, this.rng);
        const { grads } = tf.variableGrads(
          () => tf.mul(0.5, tf.add(tf.losses.softmaxCrossEntropy(real, this.discriminator.apply(z)), tf.losses.softmaxCrossEntropy(fake, this.discriminator.apply(perm)))) as tf.Scalar,
          vars,
        );
        this.optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      });
    }
    this.previous?.dispose();
    this.previous = z;
  }
  namedVariables(): Map<string, tf.Variable> {
    return this.discriminator.namedVariables('discriminator/');
  }
}
