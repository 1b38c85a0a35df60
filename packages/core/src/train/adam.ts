import * as tf from '@tensorflow/tfjs-core';
import { ADAM_KERNEL, hasKernel } from '../backend/fused-kernels.js';
import type { NamedTensor } from './checkpoint.js';

interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/**
 * Adam (Kingma & Ba 2015, arXiv 1412.6980) as one fused kernel per variable, for backends that
 * register `VaeflowAdam` (@vaeflow/native does):
 *   m' = b1 m + (1 - b1) s g,  v' = b2 v + (1 - b2) (s g)^2,
 *   x' = x - lr (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps),
 * with s the clipping scale, folded into the same pass. 1 - b^t is computed from the step count
 * t in double precision, so a resumed run continues with exactly the same factors.
 *
 * Its state has tfjs's AdamOptimizer layout (`iter`, then each `<variable>/m`, then each
 * `<variable>/v`), so a checkpoint written by either optimiser loads in the other.
 */
export class FusedAdam extends tf.Optimizer {
  static get className(): string {
    return 'Adam';
  }
  /** tfjs makes `instanceof Optimizer` (and so of every subclass) a duck-typing test; here it means this class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class the test is asked of (a subclass included), not FusedAdam alone
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
  private first: Slot[] = [];
  private second: Slot[] = [];

  /** mutable: the trainer sets it before each step when a schedule is in use */
  constructor(
    public learningRate: number,
    readonly beta1: number,
    readonly beta2: number,
    readonly epsilon: number,
  ) {
    super();
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    this.applyScaledGradients(list, 1);
  }

  /** One step with every gradient multiplied by `scale` (global-norm clipping) inside the kernel. */
  applyScaledGradients(gradients: NamedTensor[], scale: number): void {
    if (!hasKernel(ADAM_KERNEL)) throw new Error(`FusedAdam needs the ${ADAM_KERNEL} kernel, which backend "${tf.getBackend()}" does not have; use tf.train.adam there`);
    const t = this.iterations + 1;
    const attrs = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      gradScale: scale,
      oneMinusAccBeta1: 1 - this.beta1 ** t,
      oneMinusAccBeta2: 1 - this.beta2 ** t,
    };
    tf.tidy(() => {
      gradients.forEach(({ name, tensor }, i) => {
        const x = tf.engine().registeredVariables[name];
        this.first[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(x).variable(false)) };
        this.second[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(x).variable(false)) };
        if (tensor == null) return;
        const m = this.first[i].variable;
        const v = this.second[i].variable;
        // New tensors, then assign: the wasm backend caches packed weights per tensor, so a
        // weight must never change in place.
        const [x2, m2, v2] = tf.engine().runKernel(ADAM_KERNEL, { x, gradient: tensor, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        x.assign(x2);
        m.assign(m2);
        v.assign(v2);
      });
    });
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose([...this.first, ...this.second].map((s) => s.variable));
  }

  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...[...this.first, ...this.second].map((s) => ({ name: s.originalName, tensor: s.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const n = values.length / 2;
    tf.dispose([...this.first, ...this.second].map((s) => s.variable));
    this.first = values.slice(0, n).map((w) => ({ originalName: w.name, variable: w.tensor.variable(false) }));
    this.second = values.slice(n, 2 * n).map((w) => ({ originalName: w.name, variable: w.tensor.variable(false) }));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** An optimiser whose update can fold in a gradient scale (the fused Adam). */
export interface ScaledOptimizer extends tf.Optimizer {
  applyScaledGradients(gradients: NamedTensor[], scale: number): void;
}

export function appliesScaledGradients(o: tf.Optimizer): o is ScaledOptimizer {
  return typeof (o as Partial<ScaledOptimizer>).applyScaledGradients === 'function';
}

/** Adam for the active backend: the fused kernel where it is registered, tfjs's Adam otherwise. */
export function createAdam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8): tf.Optimizer {
  return hasKernel(ADAM_KERNEL) ? new FusedAdam(learningRate, beta1, beta2, epsilon) : tf.train.adam(learningRate, beta1, beta2, epsilon);
}

/** The optimisers `training.optimizer` names. */
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop';

/**
 * The manifest's optimiser: Adam (Kingma & Ba 2015) and AdamW (Adam with decoupled weight decay,
 * Loshchilov & Hutter 2019, applied by the training step) on the fused kernel where the backend
 * has it; SGD with momentum (plain SGD at momentum 0) and RMSprop (Tieleman & Hinton 2012, decay
 * 0.9, the given momentum) from tfjs.
 */
export function createOptimizer(o: { optimizer: OptimizerName; learningRate: number; adam: { beta1: number; beta2: number; epsilon: number }; momentum: number }): tf.Optimizer {
  switch (o.optimizer) {
    case 'adam':
    case 'adamw':
      return createAdam(o.learningRate, o.adam.beta1, o.adam.beta2, o.adam.epsilon);
    case 'sgd':
      return o.momentum > 0 ? tf.train.momentum(o.learningRate, o.momentum) : tf.train.sgd(o.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(o.learningRate, 0.9, o.momentum, 1e-8);
  }
}

/**
 * Sets an optimiser's learning rate for its next step. tfjs's SGD and momentum keep it in a
 * scalar tensor (their setLearningRate); Adam and RMSprop, and the fused Adam, read the field.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
