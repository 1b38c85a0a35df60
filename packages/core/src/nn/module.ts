import * as tf from '@tensorflow/tfjs-core';

/**
 * A tree of named trainable variables. Every network, flow, prior and likelihood in vaeflow
 * is a Module, so the trainer, checkpoints and the conformance kit treat them alike.
 * Variable names are hierarchical (`encoder/layers/0/kernel`) and are what checkpoints store.
 */
export class Module {
  private readonly ownParams = new Map<string, tf.Variable>();
  private readonly childModules = new Map<string, Module>();

  /** Adds a variable initialised from `initial` (which the module takes ownership of). */
  protected addParam(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    if (this.ownParams.has(name) || this.childModules.has(name)) throw new Error(`duplicate parameter name "${name}"`);
    const v = tf.variable(initial, trainable, undefined, 'float32');
    initial.dispose();
    this.ownParams.set(name, v);
    return v;
  }

  /** Registers a sub-module under `name`, returning it. */
  protected addChild<M extends Module>(name: string, child: M): M {
    if (this.ownParams.has(name) || this.childModules.has(name)) throw new Error(`duplicate child name "${name}"`);
    this.childModules.set(name, child);
    return child;
  }

  /** All variables of this module and its children, keyed by path. */
  namedVariables(prefix = ''): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [k, v] of this.ownParams) out.set(prefix + k, v);
    for (const [k, c] of this.childModules) for (const [kk, v] of c.namedVariables(`${prefix}${k}/`)) out.set(kk, v);
    return out;
  }

  trainableVariables(): tf.Variable[] {
    return [...this.namedVariables().values()].filter((v) => v.trainable);
  }

  /** Number of scalar parameters (trainable and not). */
  parameterCount(): number {
    let n = 0;
    for (const v of this.namedVariables().values()) n += v.size;
    return n;
  }

  /** Copies values in by name; every variable must be present with its shape. */
  loadWeights(weights: Map<string, tf.Tensor> | Record<string, tf.Tensor>, prefix = ''): void {
    const get = (k: string) => (weights instanceof Map ? weights.get(k) : weights[k]);
    for (const [name, v] of this.namedVariables(prefix)) {
      const w = get(name);
      if (!w) throw new Error(`checkpoint has no weight "${name}"`);
      if (w.shape.join(',') !== v.shape.join(',')) throw new Error(`weight "${name}" has shape [${w.shape}] in the checkpoint but [${v.shape}] in the model`);
      v.assign(w);
    }
  }

  /** Called after each optimiser step; modules with constraints (e.g. non-negative weights) override it. */
  afterStep(): void {
    for (const c of this.childModules.values()) c.afterStep();
  }

  dispose(): void {
    for (const v of this.ownParams.values()) v.dispose();
    for (const c of this.childModules.values()) c.dispose();
    this.ownParams.clear();
    this.childModules.clear();
  }
}

/** A container that holds modules under names, for models assembled from parts. */
export class ModuleList extends Module {
  readonly items: Module[] = [];
  push<M extends Module>(m: M): M {
    this.addChild(String(this.items.length), m);
    this.items.push(m);
    return m;
  }
}

export class ModuleDict extends Module {
  set<M extends Module>(name: string, m: M): M {
    return this.addChild(name, m);
  }
}
