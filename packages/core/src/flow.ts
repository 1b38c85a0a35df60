import type * as tf from '@tensorflow/tfjs-core';
import { add as tfAdd } from '@tensorflow/tfjs-core';
import type { Flow, FlowCheck } from './interfaces.js';
import { repeatRows } from './math.js';
import { Module } from './nn/module.js';

/** Thrown by a flow with no inverse; names the flow so the message says what to change. */
export class NotInvertibleError extends Error {
  constructor(
    readonly flowId: string,
    reason = 'it has no closed-form or numerical inverse',
  ) {
    super(`flow "${flowId}" cannot be inverted: ${reason}`);
    this.name = 'NotInvertibleError';
  }
}

/** A shape error raised at the flow boundary, naming the flow and the offending tensor. */
export class FlowShapeError extends Error {
  constructor(flowId: string, what: string, got: readonly number[], want: string) {
    super(`flow "${flowId}": ${what} has shape [${got.join(', ')}], expected ${want}`);
    this.name = 'FlowShapeError';
  }
}

/**
 * Base class for flows: shapes are checked here, once, so implementations only write the maths.
 * Subclasses implement {@link forward} (required) and {@link inverse} (optional; set
 * `invertible` accordingly).
 */
export abstract class BaseFlow extends Module implements Flow {
  abstract readonly id: string;
  readonly invertible: boolean = false;

  constructor(
    readonly dim: number,
    readonly conditional: boolean,
    readonly contextDim = 0,
  ) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`flow dimension must be a positive integer, got ${dim}`);
    if (conditional && !(contextDim >= 1)) throw new Error('a conditional flow needs a positive context dimension');
  }

  /** z -> (f(z), log|det df/dz|) for z of shape [B, dim]. */
  protected abstract forward(z: tf.Tensor2D, context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D };

  /** y -> (f^-1(y), log|det df^-1/dy|). Override in invertible flows. */
  protected inverse(_y: tf.Tensor2D, _context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    throw new NotInvertibleError(this.id);
  }

  /**
   * The forward pass for z of B x repeats rows with a context of B rows (see
   * {@link Flow.forwardAndLogDetRepeated}). Here the context is repeated; flows whose parameters
   * are costly functions of it override this to compute them once per context row.
   */
  protected forwardRepeated(z: tf.Tensor2D, context: tf.Tensor2D, repeats: number): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    return this.forward(z, repeatRows(context, repeats));
  }

  private checkInputs(z: tf.Tensor2D, context?: tf.Tensor2D, repeats = 1): void {
    if (z.rank !== 2 || z.shape[1] !== this.dim) throw new FlowShapeError(this.id, 'z', z.shape, `[batch, ${this.dim}]`);
    if (this.conditional) {
      if (!context) throw new Error(`flow "${this.id}" is conditional and needs a context h of shape [batch, ${this.contextDim}]`);
      if (context.rank !== 2 || context.shape[0] * repeats !== z.shape[0] || context.shape[1] !== this.contextDim) {
        throw new FlowShapeError(this.id, 'context', context.shape, `[${z.shape[0] / repeats}, ${this.contextDim}]`);
      }
    }
  }

  private checkOutputs(z: tf.Tensor2D, out: { z: tf.Tensor2D; logDet: tf.Tensor1D }): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    if (out.z.shape[0] !== z.shape[0] || out.z.shape[1] !== this.dim) throw new FlowShapeError(this.id, 'output z', out.z.shape, `[${z.shape[0]}, ${this.dim}]`);
    if (out.logDet.rank !== 1 || out.logDet.shape[0] !== z.shape[0]) throw new FlowShapeError(this.id, 'logDet', out.logDet.shape, `[${z.shape[0]}]`);
    return out;
  }

  forwardAndLogDet(z: tf.Tensor2D, context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    this.checkInputs(z, context);
    return this.checkOutputs(z, this.forward(z, context));
  }

  forwardAndLogDetRepeated(z: tf.Tensor2D, context: tf.Tensor2D, repeats: number): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    if (!this.conditional || repeats === 1) return this.forwardAndLogDet(z, this.conditional ? context : undefined);
    if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`flow "${this.id}": repeats must be a positive integer, got ${repeats}`);
    this.checkInputs(z, context, repeats);
    return this.checkOutputs(z, this.forwardRepeated(z, context, repeats));
  }

  inverseAndLogDet(y: tf.Tensor2D, context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    if (!this.invertible) throw new NotInvertibleError(this.id);
    this.checkInputs(y, context);
    return this.checkOutputs(y, this.inverse(y, context));
  }
}

/**
 * f(z) and its log-det for z of B x repeats rows, with a context h of B rows shared by each run of
 * `repeats` consecutive rows (the K importance samples of an example): the flow's own
 * {@link Flow.forwardAndLogDetRepeated} where it has one, else h repeated row by row.
 */
export function forwardRepeated(f: Flow, z: tf.Tensor2D, context: tf.Tensor2D | undefined, repeats: number): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
  if (!f.conditional || !context || repeats === 1) return f.forwardAndLogDet(z, f.conditional ? context : undefined);
  return f.forwardAndLogDetRepeated ? f.forwardAndLogDetRepeated(z, context, repeats) : f.forwardAndLogDet(z, repeatRows(context, repeats));
}

/**
 * Flows applied one after another: f = f_n ∘ … ∘ f_1, log|det| = Σ_k log|det J_k|. Invertible
 * when every part is; a plugin uses it to offer `"layers": K` stacks of one flow type.
 */
export class SequentialFlow extends BaseFlow {
  override readonly invertible: boolean;
  readonly id: string;
  constructor(
    readonly flows: Flow[],
    id = 'sequence',
  ) {
    super(
      flows[0]?.dim ?? 1,
      flows.some((f) => f.conditional),
      Math.max(0, ...flows.map((f) => (f as { contextDim?: number }).contextDim ?? 0)),
    );
    if (flows.length === 0) throw new Error('a flow sequence needs at least one flow');
    if (flows.some((f) => f.dim !== this.dim)) throw new Error('every flow in a sequence must have the same dimension');
    this.id = id;
    this.invertible = flows.every((f) => f.invertible);
    flows.forEach((f, i) => this.addChild(String(i), f));
  }

  protected forward(z: tf.Tensor2D, context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    let logDet: tf.Tensor1D | null = null;
    for (const f of this.flows) {
      const r = f.forwardAndLogDet(z, f.conditional ? context : undefined);
      z = r.z;
      logDet = logDet ? (tfAdd(logDet, r.logDet) as tf.Tensor1D) : r.logDet;
    }
    return { z, logDet: logDet! };
  }

  protected override forwardRepeated(z: tf.Tensor2D, context: tf.Tensor2D, repeats: number): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    let logDet: tf.Tensor1D | null = null;
    for (const f of this.flows) {
      const r = f.conditional ? forwardRepeated(f, z, context, repeats) : f.forwardAndLogDet(z);
      z = r.z;
      logDet = logDet ? (tfAdd(logDet, r.logDet) as tf.Tensor1D) : r.logDet;
    }
    return { z, logDet: logDet! };
  }

  protected override inverse(y: tf.Tensor2D, context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    let logDet: tf.Tensor1D | null = null;
    for (const f of [...this.flows].reverse()) {
      const r = f.inverseAndLogDet(y, f.conditional ? context : undefined);
      y = r.z;
      logDet = logDet ? (tfAdd(logDet, r.logDet) as tf.Tensor1D) : r.logDet;
    }
    return { z: y, logDet: logDet! };
  }

  /** Each layer's own checks ({@link Flow.checks}) at that layer's input, named `<check> (layer k)`. */
  checks(z: tf.Tensor2D, context?: tf.Tensor2D): Record<string, FlowCheck> {
    const out: Record<string, FlowCheck> = {};
    let last = this.flows.length - 1;
    while (last >= 0 && !this.flows[last].checks) last--;
    for (let k = 0; k <= last; k++) {
      const f = this.flows[k];
      const c = f.conditional ? context : undefined;
      for (const [name, check] of Object.entries(f.checks?.(z, c) ?? {})) out[`${name} (layer ${k})`] = check;
      if (k < last) z = f.forwardAndLogDet(z, c).z;
    }
    return out;
  }
}

/**
 * The inverse of an invertible flow as a flow: forward is the wrapped flow's inverse and vice
 * versa (log-determinants follow). Lets a flow be used in its other direction, e.g. as a prior
 * bijection or to run the conformance kit both ways.
 */
export class InverseFlow extends BaseFlow {
  override readonly invertible = true;
  readonly id: string;
  constructor(readonly inner: Flow) {
    super(inner.dim, inner.conditional, (inner as { contextDim?: number }).contextDim ?? 0);
    if (!inner.invertible) throw new NotInvertibleError(inner.id, 'so it cannot be used in reverse');
    this.id = `inverse(${inner.id})`;
    this.addChild('inner', inner);
  }
  protected forward(z: tf.Tensor2D, context?: tf.Tensor2D) {
    return this.inner.inverseAndLogDet(z, context);
  }
  protected override inverse(y: tf.Tensor2D, context?: tf.Tensor2D) {
    return this.inner.forwardAndLogDet(y, context);
  }
}
