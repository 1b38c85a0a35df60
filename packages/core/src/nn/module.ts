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

  /**
   * Runs `fn` with every variable of this module and its children seen through a gradient stop:
   * values unchanged, but no gradient reaches these variables from what `fn` computes, while
   * gradients still flow through the tensors `fn` is given. Estimators that differentiate a
   * density only along its argument use it (sticking the landing, Roeder et al. 2017; DReG,
   * Tucker et al. 2018). Variables held in fields or arrays of fields are covered.
   */
  frozen<T>(fn: () => T): T {
    return frozenModules([this], fn);
  }

  /** The variables this module holds itself, with the objects and keys that hold them (fields, or array slots). @internal */
  paramHolders(): { holder: Record<string | number, unknown>; key: string | number; v: tf.Variable }[] {
    const own = new Set<unknown>(this.ownParams.values());
    const out: { holder: Record<string | number, unknown>; key: string | number; v: tf.Variable }[] = [];
    const self = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(self)) {
      const value = self[key];
      if (own.has(value)) out.push({ holder: self, key, v: value as tf.Variable });
      else if (Array.isArray(value)) value.forEach((x, i) => own.has(x) && out.push({ holder: value as unknown as Record<number, unknown>, key: i, v: x as tf.Variable }));
    }
    return out;
  }

  /** This module and every module below it. @internal */
  subtree(): Module[] {
    return [this, ...[...this.childModules.values()].flatMap((c) => c.subtree())];
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

/** The identity with a zero gradient (tfjs has no stop-gradient op). */
export const stopGradient = (tf.customGrad as unknown as (f: (x: tf.Tensor) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor) => tf.Tensor }) => (x: tf.Tensor) => tf.Tensor)((x) => ({
  value: tf.clone(x),
  gradFunc: (dy) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;

/**
 * Runs `fn` with the variables of `modules` (and their children) behind gradient stops; see
 * {@link Module.frozen}. The fields are restored afterwards, also when `fn` throws.
 */
export function frozenModules<T>(modules: Module[], fn: () => T): T {
  const holders = [...new Set(modules.flatMap((m) => m.subtree()))].flatMap((m) => m.paramHolders());
  // The stopped views stay alive for the backward pass; the enclosing tidy disposes them.
  holders.forEach((h) => (h.holder[h.key] = stopGradient(h.v)));
  try {
    return fn();
  } finally {
    for (const h of holders) h.holder[h.key] = h.v;
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
