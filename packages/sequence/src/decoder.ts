import { Dense, LOG_2PI, Module, tf, type Decoder, type Likelihood, type Random } from '@vaeflow/core';
import { LSTMCell } from './lstm.js';

export interface SequenceDecoderOptions {
  hidden: number;
  /** likelihood of the feature value: Gaussian with a fixed scale, or Bernoulli on the normalised value */
  feature: 'gaussian' | 'bernoulli';
  featureScale: number;
}

/**
 * Sequence decoder of seed 002 (sec. 4.1): an MLP maps z to the first input x0 and the LSTM's
 * initial h and c; each step's output gives logits over the K types and the feature (through a
 * sigmoid, as a normalised value). Examples are T steps of (one-hot type, feature), flattened.
 *
 * - `logProb(x)` uses teacher forcing: step t reads the true step t - 1 (x0 at t = 0);
 *   log p(x|z) = sum_t [log softmax(l_t)[type_t] + 1{type_t != end} log p(f_t | m_t)].
 * - `mean()` decodes greedily: step t reads its own previous output (argmax type, feature mean).
 * - `sample()` draws the type from the softmax and the feature from its likelihood.
 * - `metrics(x)` reports type accuracy and feature error, teacher-forced and free-running.
 * The `end` type is index 0 (as in @vaeflow/datasets' arch-seq); steps after it are ignored by the metrics.
 */
export class SequenceDecoder extends Module implements Decoder {
  readonly init: Dense;
  readonly cell: LSTMCell;
  readonly out: Dense;
  readonly width: number;
  constructor(
    rng: Random,
    latentDim: number,
    readonly steps: number,
    readonly types: number,
    readonly o: SequenceDecoderOptions,
  ) {
    super();
    this.width = types + 1;
    this.init = this.addChild('init', new Dense(rng, latentDim, this.width + 2 * o.hidden));
    this.cell = this.addChild('cell', new LSTMCell(rng, this.width, o.hidden));
    this.out = this.addChild('out', new Dense(rng, o.hidden, this.width));
  }

  private start(z: tf.Tensor2D) {
    const s = this.init.apply(z);
    const H = this.o.hidden;
    return {
      x0: tf.slice(s, [0, 0], [-1, this.width]) as tf.Tensor2D,
      h: tf.tanh(tf.slice(s, [0, this.width], [-1, H])) as tf.Tensor2D,
      c: tf.slice(s, [0, this.width + H], [-1, H]) as tf.Tensor2D,
    };
  }

  /** One step's outputs: type logits [B, K] and feature parameter (pre-sigmoid) [B, 1]. */
  private emit(h: tf.Tensor2D) {
    const y = this.out.apply(h);
    return { logits: tf.slice(y, [0, 0], [-1, this.types]) as tf.Tensor2D, feature: tf.slice(y, [0, this.types], [-1, 1]) as tf.Tensor2D };
  }

  private stepOf(x: tf.Tensor2D, t: number): tf.Tensor2D {
    return tf.slice(x, [0, t * this.width], [-1, this.width]) as tf.Tensor2D;
  }

  /** Runs the LSTM over T steps; `next(t, out)` gives the input of step t + 1 (teacher forcing or free running). */
  private unroll(z: tf.Tensor2D, next: (t: number, out: { logits: tf.Tensor2D; feature: tf.Tensor2D }) => tf.Tensor2D) {
    let { x0: input, h, c } = this.start(z);
    const outs: { logits: tf.Tensor2D; feature: tf.Tensor2D }[] = [];
    for (let t = 0; t < this.steps; t++) {
      ({ h, c } = this.cell.step(input, h, c));
      const o = this.emit(h);
      outs.push(o);
      if (t + 1 < this.steps) input = next(t, o);
    }
    return outs;
  }

  private greedyInput(o: { logits: tf.Tensor2D; feature: tf.Tensor2D }): tf.Tensor2D {
    return tf.concat([tf.cast(tf.oneHot(tf.argMax(o.logits, 1) as tf.Tensor1D, this.types), 'float32'), tf.sigmoid(o.feature)], 1) as tf.Tensor2D;
  }

  private featureLogProb(f: tf.Tensor2D, param: tf.Tensor2D): tf.Tensor2D {
    if (this.o.feature === 'bernoulli') return tf.sub(tf.mul(f, param), tf.softplus(param)) as tf.Tensor2D;
    const s = this.o.featureScale;
    return tf.sub(tf.mul(-0.5, tf.add(tf.square(tf.div(tf.sub(f, tf.sigmoid(param)), s)), LOG_2PI)), Math.log(s)) as tf.Tensor2D;
  }

  decode(z: tf.Tensor2D): Likelihood {
    const K = this.types;
    const teacherForced = (x: tf.Tensor2D) => this.unroll(z, (t) => this.stepOf(x, t));
    const freeRunning = () => this.unroll(z, (_t, o) => this.greedyInput(o));
    const assemble = (outs: { logits: tf.Tensor2D; feature: tf.Tensor2D }[]) =>
      tf.concat(
        outs.map((o) => this.greedyInput(o)),
        1,
      ) as tf.Tensor2D;
    /** accuracy of types and mean |feature error| over the steps up to and including the true end */
    const score = (x: tf.Tensor2D, outs: { logits: tf.Tensor2D; feature: tf.Tensor2D }[]) => {
      let correct: tf.Tensor = tf.scalar(0);
      let count: tf.Tensor = tf.scalar(0);
      let ferr: tf.Tensor = tf.scalar(0);
      let fcount: tf.Tensor = tf.scalar(0);
      let alive: tf.Tensor = tf.ones([x.shape[0]]);
      outs.forEach((o, t) => {
        const xt = this.stepOf(x, t);
        const truth = tf.argMax(tf.slice(xt, [0, 0], [-1, K]), 1);
        const isLayer = tf.sub(1, tf.reshape(tf.slice(xt, [0, 0], [-1, 1]), [-1]));
        correct = tf.add(correct, tf.sum(tf.mul(alive, tf.cast(tf.equal(tf.argMax(o.logits, 1), truth), 'float32'))));
        count = tf.add(count, tf.sum(alive));
        const fe = tf.abs(tf.sub(tf.reshape(tf.slice(xt, [0, K], [-1, 1]), [-1]), tf.reshape(tf.sigmoid(o.feature), [-1])));
        ferr = tf.add(ferr, tf.sum(tf.mul(tf.mul(alive, isLayer), fe)));
        fcount = tf.add(fcount, tf.sum(tf.mul(alive, isLayer)));
        alive = tf.mul(alive, isLayer); // steps after the first end are not scored
      });
      return { accuracy: tf.div(correct, count) as tf.Scalar, featureError: tf.div(ferr, tf.maximum(fcount, 1)) as tf.Scalar };
    };
    return {
      logProb: (x) => {
        const outs = teacherForced(x);
        const terms = outs.map((o, t) => {
          const xt = this.stepOf(x, t);
          const onehot = tf.slice(xt, [0, 0], [-1, K]);
          const typeLogP = tf.sum(tf.mul(onehot, tf.logSoftmax(o.logits)), 1);
          const isLayer = tf.sub(1, tf.reshape(tf.slice(xt, [0, 0], [-1, 1]), [-1]));
          const featLogP = tf.mul(isLayer, tf.reshape(this.featureLogProb(tf.slice(xt, [0, K], [-1, 1]) as tf.Tensor2D, o.feature), [-1]));
          return tf.add(typeLogP, featLogP);
        });
        return tf.addN(terms) as tf.Tensor1D;
      },
      mean: () => assemble(freeRunning()),
      sample: (rng: Random) =>
        tf.concat(
          this.unroll(z, (_t, o) => this.greedyInput(o)).map((o) => {
            const u = rng.uniform(o.logits.shape);
            const gumbel = tf.neg(tf.log(tf.neg(tf.log(tf.add(u, 1e-12)))));
            const type = tf.cast(tf.oneHot(tf.argMax(tf.add(o.logits, gumbel), 1) as tf.Tensor1D, K), 'float32');
            const f = this.o.feature === 'bernoulli' ? tf.sigmoid(o.feature) : tf.clipByValue(tf.add(tf.sigmoid(o.feature), tf.mul(this.o.featureScale, rng.normal(o.feature.shape))), 0, 1);
            return tf.concat([type, f], 1);
          }),
          1,
        ) as tf.Tensor2D,
      metrics: (x) => {
        const tfr = score(x, teacherForced(x));
        const free = score(x, freeRunning());
        return { typeAccuracyTeacherForced: tfr.accuracy, typeAccuracyFreeRunning: free.accuracy, featureErrorTeacherForced: tfr.featureError, featureErrorFreeRunning: free.featureError };
      },
    };
  }
}
