import { BaseFlow, type Random, tf } from '@vaeflow/core';
import { PICNN } from './picnn.js';
import { choleskyF64, choleskyLogDet, choleskySolve } from './cholesky.js';

export interface PcpMapOptions {
  /** widths of the PICNN's hidden (convex) layers */
  hidden: number[];
  /** width of the context path */
  contextWidth: number;
  /** initial g1 (the PICNN's weight is softplus(g1)), g2, g3 (the quadratic's weight is relu(g2) + softplus(g3)) */
  g1: number;
  g2: number;
  g3: number;
  /** inverse solver: gradient-norm tolerance and iteration cap */
  inverseTolerance: number;
  inverseIterations: number;
}

/**
 * PCP-Map flow (Wang et al. 2023, arXiv 2310.16975; seeds 000/001): the map is the gradient of
 * a potential that is strongly convex in z0 and conditioned on h,
 *   G(z0, h) = softplus(g1) F(z0, h) + (relu(g2) + softplus(g3)) |z0|^2 / 2,  z_T = grad_z0 G,
 * with F a PICNN. Its Jacobian is the Hessian of G, symmetric positive definite, so
 *   log|det dz_T/dz0| = log det Hess G = 2 sum log diag(chol(Hess G)),
 * computed by a batched Cholesky whose gradient is (Hess G)^-1. The inverse minimises the strongly convex
 * G(x, h) - <x, z_T> by damped Newton steps with backtracking (the exact Hessian is at hand),
 * started at x = z_T.
 */
export class PcpMapFlow extends BaseFlow {
  readonly id = 'pcpmap';
  override readonly invertible = true;
  readonly picnn: PICNN;
  readonly g1: tf.Variable;
  readonly g2: tf.Variable;
  readonly g3: tf.Variable;
  constructor(
    dim: number,
    contextDim: number,
    rng: Random,
    readonly options: PcpMapOptions,
  ) {
    super(dim, contextDim > 0, contextDim);
    this.picnn = this.addChild('picnn', new PICNN(rng, dim, Math.max(1, contextDim), options.hidden, options.contextWidth));
    this.g1 = this.addParam('g1', tf.scalar(options.g1));
    this.g2 = this.addParam('g2', tf.scalar(options.g2));
    this.g3 = this.addParam('g3', tf.scalar(options.g3));
  }

  private contextOf(z: tf.Tensor2D, h?: tf.Tensor2D): tf.Tensor2D {
    return this.conditional ? h! : (tf.ones([z.shape[0], 1]) as tf.Tensor2D);
  }

  /** G, grad G and (optionally) Hess G at z0. */
  potential(z0: tf.Tensor2D, h: tf.Tensor2D | undefined, withHessian: boolean): { value: tf.Tensor1D; grad: tf.Tensor2D; hessian?: tf.Tensor3D } {
    const alpha = tf.softplus(this.g1);
    const beta = tf.add(tf.relu(this.g2), tf.softplus(this.g3));
    const f = this.picnn.evaluate(z0, this.contextOf(z0, h), withHessian);
    const value = tf.add(tf.mul(alpha, f.value), tf.mul(tf.mul(beta, 0.5), tf.sum(tf.square(z0), 1))) as tf.Tensor1D;
    const grad = tf.add(tf.mul(alpha, f.grad), tf.mul(beta, z0)) as tf.Tensor2D;
    if (!withHessian) return { value, grad };
    const eye = tf.reshape(tf.eye(this.dim), [1, this.dim, this.dim]);
    return { value, grad, hessian: tf.add(tf.mul(alpha, f.hessian!), tf.mul(beta, eye)) as tf.Tensor3D };
  }

  protected forward(z0: tf.Tensor2D, h?: tf.Tensor2D) {
    const { grad, hessian } = this.potential(z0, h, true);
    return { z: grad, logDet: choleskyLogDet(hessian!) };
  }

  protected override inverse(y: tf.Tensor2D, h?: tf.Tensor2D) {
    const [B, L] = y.shape;
    const target = y.arraySync() as number[][];
    const x = target.map((r) => r.slice());
    const active = new Array<boolean>(B).fill(true);
    const objective = (xs: number[][]) =>
      tf.tidy(() => {
        const xt = tf.tensor2d(xs, [B, L]);
        const { value } = this.potential(xt, h, false);
        const dot = tf.sum(tf.mul(xt, y), 1);
        return tf.sub(value, dot).arraySync() as number[];
      });
    for (let it = 0; it < this.options.inverseIterations && active.some(Boolean); it++) {
      const { f0, g, H } = tf.tidy(() => {
        const xt = tf.tensor2d(x, [B, L]);
        const p = this.potential(xt, h, true);
        return {
          f0: tf.sub(p.value, tf.sum(tf.mul(xt, y), 1)).arraySync() as number[],
          g: tf.sub(p.grad, y).arraySync() as number[][],
          H: p.hessian!.arraySync() as number[][][],
        };
      });
      const steps: number[][] = [];
      for (let b = 0; b < B; b++) {
        const gn = Math.sqrt(g[b].reduce((s, v) => s + v * v, 0));
        if (gn < this.options.inverseTolerance) active[b] = false;
        steps.push(active[b] ? choleskySolve(choleskyF64(H[b]), g[b]) : new Array<number>(L).fill(0));
      }
      // Backtracking (Armijo) per example, all examples evaluated together. Near the solution
      // the predicted decrease is below float32 resolution of G; there the full Newton step
      // (quadratically convergent) is taken without a line search.
      let t = 1;
      const done = active.map((a) => !a);
      for (let b = 0; b < B; b++) {
        const decrease = steps[b].reduce((s, v, i) => s + v * g[b][i], 0);
        if (!done[b] && decrease <= 1e-6 * (1 + Math.abs(f0[b]))) {
          x[b] = x[b].map((v, i) => v - steps[b][i]);
          done[b] = true;
        }
      }
      for (let ls = 0; ls < 30 && done.some((d) => !d); ls++) {
        const trial = x.map((r, b) => (done[b] ? r : r.map((v, i) => v - t * steps[b][i])));
        const f1 = objective(trial);
        for (let b = 0; b < B; b++) {
          if (done[b]) continue;
          const decrease = steps[b].reduce((s, v, i) => s + v * g[b][i], 0);
          if (f1[b] <= f0[b] - 1e-4 * t * decrease || t < 1e-6) {
            x[b] = trial[b];
            done[b] = true;
          }
        }
        t *= 0.5;
      }
    }
    const z0 = tf.tensor2d(x, [B, L]);
    const { hessian } = this.potential(z0, h, true);
    return { z: z0, logDet: tf.neg(choleskyLogDet(hessian!)) as tf.Tensor1D };
  }
}
