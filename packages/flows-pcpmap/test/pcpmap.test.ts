import { describe, expect, it } from 'vitest';
import { Random, logAbsDet, selectBackend, tf } from '@vaeflow/core';
import { batchJacobian, describeFlowConformance, perturbVariables } from '@vaeflow/core/testing';
import { PICNN, PcpMapFlow, choleskyFactor, choleskyLogDet } from '../src/index.js';

const options = { hidden: [12, 12], contextWidth: 10, g1: 0, g2: 0.1, g3: 0.1, inverseTolerance: 1e-6, inverseIterations: 60 };

// The quadratic's weight is relu(g2) + softplus(g3) as in the authors' code, so g2 has no
// gradient while it is <= 0 (it starts at 0.1); the perturbation keeps it in its live range.
const perturb = (flow: unknown, rng: Random) => {
  const f = flow as PcpMapFlow;
  perturbVariables(f, rng, 0.3);
  f.g2.assign(tf.abs(f.g2));
};
const noInverseGradient = 'the inverse is a numerical solve of grad G(x) = y, not differentiated; PCP-Map trains in its forward direction';
describeFlowConformance('pcpmap', ({ dim, contextDim, rng }) => new PcpMapFlow(dim, contextDim, rng, options), { perturb, inverseWithoutGradients: noInverseGradient });
describeFlowConformance('pcpmap (unconditional, one layer)', ({ dim, rng }) => new PcpMapFlow(dim, 0, rng, { ...options, hidden: [8] }), {
  dims: [2, 8],
  perturb,
  inverseWithoutGradients: noInverseGradient,
});

await selectBackend('wasm', { log: null });

describe('PICNN', () => {
  const rng = new Random('picnn');
  const net = new PICNN(rng, 4, 3, [10, 10, 6], 5);
  for (const v of net.trainableVariables()) v.assign(tf.mul(rng.normal(v.shape), 0.5));
  net.afterStep();
  const x = rng.normal([3, 4]) as tf.Tensor2D;
  const v = rng.normal([3, 3]) as tf.Tensor2D;

  it('has a closed-form gradient equal to autodiff', () => {
    const { grad } = net.evaluate(x, v, false);
    const auto = tf.grad((xx: tf.Tensor) => tf.sum(net.evaluate(xx as tf.Tensor2D, v, false).value))(x);
    expect(tf.max(tf.abs(tf.sub(grad, auto))).dataSync()[0]).toBeLessThan(1e-4);
  });

  it('has a closed-form Hessian equal to the autodiff Jacobian of its gradient', () => {
    const { hessian } = net.evaluate(x, v, true);
    const H = hessian!.arraySync() as number[][][];
    const J = batchJacobian((xx) => net.evaluate(xx, v, false).grad, x);
    for (let b = 0; b < 3; b++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(Math.abs(H[b][i][j] - J[b][i][j])).toBeLessThan(1e-4);
  });

  it('is convex in x: positive semi-definite Hessians and non-negative W+ after projection', () => {
    const { hessian } = net.evaluate(rng.normal([16, 4]) as tf.Tensor2D, rng.normal([16, 3]) as tf.Tensor2D, true);
    const H = hessian!.arraySync() as number[][][];
    for (const Hb of H) {
      // Sylvester-free check: x^T H x >= 0 for random directions
      for (let t = 0; t < 10; t++) {
        const d = Array.from({ length: 4 }, () => rng.nextNormal());
        const q = d.reduce((s, di, i) => s + di * d.reduce((u, dj, j) => u + Hb[i][j] * dj, 0), 0);
        expect(q).toBeGreaterThanOrEqual(-1e-5);
      }
    }
    for (const w of net.wPlus) expect(tf.min(w).dataSync()[0]).toBeGreaterThanOrEqual(0);
  });
});

describe('batched Cholesky', () => {
  it('factors SPD matrices and gives their log-determinant', () => {
    const rng = new Random('chol');
    const M = rng.normal([5, 6, 6]) as tf.Tensor3D;
    const A = tf.add(tf.matMul(M, M, false, true), tf.mul(tf.eye(6), 0.5)) as tf.Tensor3D;
    const L = choleskyFactor(A);
    expect(tf.max(tf.abs(tf.sub(tf.matMul(L, L, false, true), A))).dataSync()[0]).toBeLessThan(1e-3);
    const As = A.arraySync() as number[][][];
    const ld = choleskyLogDet(A).arraySync() as number[];
    for (let b = 0; b < 5; b++) expect(Math.abs(ld[b] - logAbsDet(As[b]))).toBeLessThan(1e-3);
  });

  it('has the gradient A^-1, checked against finite differences', () => {
    const rng = new Random('chol-grad');
    const M = rng.normal([2, 4, 4]) as tf.Tensor3D;
    const A = tf.add(tf.matMul(M, M, false, true), tf.mul(tf.eye(4), 1)) as tf.Tensor3D;
    // perturb symmetrically through a symmetric parametrisation S -> (S + S^T) / 2
    const f = (s: tf.Tensor) => tf.sum(choleskyLogDet(tf.div(tf.add(s, tf.transpose(s, [0, 2, 1])), 2) as tf.Tensor3D));
    const g = tf.grad(f)(A).arraySync() as number[][][];
    const As = A.arraySync() as number[][][];
    const h = 1e-2;
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          const plus = As.map((m) => m.map((r) => r.slice()));
          const minus = As.map((m) => m.map((r) => r.slice()));
          plus[b][i][j] += h;
          minus[b][i][j] -= h;
          const fd = (f(tf.tensor3d(plus)).dataSync()[0] - f(tf.tensor3d(minus)).dataSync()[0]) / (2 * h);
          expect(Math.abs(g[b][i][j] - fd)).toBeLessThan(2e-3);
        }
      }
    }
  });

  it('has a gradient that inverts A at larger sizes (A^-1 A = I)', () => {
    const rng = new Random('chol-inv');
    const M = rng.normal([3, 32, 32]) as tf.Tensor3D;
    const A = tf.add(tf.matMul(M, M, false, true), tf.mul(tf.eye(32), 2)) as tf.Tensor3D;
    const g = tf.grad((a: tf.Tensor) => tf.sum(choleskyLogDet(a as tf.Tensor3D)))(A) as tf.Tensor3D;
    expect(tf.max(tf.abs(tf.sub(tf.matMul(g, A), tf.eye(32)))).dataSync()[0]).toBeLessThan(1e-3);
    expect(tf.max(tf.abs(tf.sub(g, tf.transpose(g, [0, 2, 1])))).dataSync()[0]).toBe(0);
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() =>
      choleskyLogDet(
        tf.tensor3d([
          [
            [1, 2],
            [2, 1],
          ],
        ]),
      ),
    ).toThrow(/not positive definite/);
  });
});

describe('PCP-Map', () => {
  it('maps to the gradient of a strongly convex potential: its Jacobian is symmetric', () => {
    const rng = new Random('sym');
    const f = new PcpMapFlow(5, 3, rng, options);
    perturbVariables(f, rng, 0.3);
    const z = rng.normal([2, 5]) as tf.Tensor2D;
    const h = rng.normal([2, 3]) as tf.Tensor2D;
    const J = batchJacobian((x) => f.forwardAndLogDet(x, h).z, z);
    for (const Jb of J) for (let i = 0; i < 5; i++) for (let j = 0; j < i; j++) expect(Math.abs(Jb[i][j] - Jb[j][i])).toBeLessThan(1e-4);
  });
});
