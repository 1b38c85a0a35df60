import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import type { Flow } from '../interfaces.js';
import { Random } from '../random.js';
import { forwardRepeated } from '../flow.js';
import { logAbsDet } from '../linalg.js';
import { nativeKernelsUnavailable, selectBackend, type BackendRequest } from '../backend/select.js';
import { loadCheckpoint, saveCheckpoint, disposeCheckpoint } from '../train/checkpoint.js';
import { batchJacobian } from './jacobian.js';

export interface FlowFactoryArgs {
  dim: number;
  contextDim: number;
  rng: Random;
}

export interface FlowConformanceOptions {
  /** latent sizes to test (default [2, 8, 32]) */
  dims?: number[];
  /** context width given to conditional flows (default 6) */
  contextDim?: number;
  batch?: number;
  /** max |log-det - log|det J|| (default 1e-3) */
  logDetTolerance?: number;
  /** max |f^-1(f(z)) - z| (default 1e-4) */
  inverseTolerance?: number;
  /** std of the noise added to every variable before the checks, so no flow is tested at its identity-like initialisation (default 0.3) */
  perturbScale?: number;
  /** one backend to run on; by default the kit runs on every CPU path here: wasm, and native where its kernels load */
  backend?: BackendRequest;
  /** a fixed bijection with no parameters (e.g. logit): the gradient check is replaced by a check that it has none */
  parameterFree?: boolean;
  /** draws the forward-direction inputs (default N(0, I)); flows with a restricted domain, such as logit on (0, 1), supply their own */
  sampleInput?: (rng: Random, shape: [number, number]) => tf.Tensor2D;
  /** replaces the default perturbation (noise on every variable, then afterStep), e.g. to keep a parameter in its live range */
  perturb?: (flow: Flow, rng: Random) => void;
  /** why the inverse passes no gradient to the parameters (a numerical solve), which skips that check */
  inverseWithoutGradients?: string;
}

/** Adds N(0, s^2) to every trainable variable, then lets the flow re-impose its constraints. */
export function perturbVariables(flow: Flow, rng: Random, scale: number): void {
  for (const v of flow.trainableVariables()) tf.tidy(() => v.assign(tf.add(v, tf.mul(rng.normal(v.shape), scale))));
  flow.afterStep();
}

/**
 * The conformance kit every flow runs (first-party and third-party): shapes, the log-det
 * against an autodiff Jacobian, inverse round trip (where invertible), gradients reaching
 * every trainable variable, save/load round trip, and batch independence.
 *
 * ```ts
 * describeFlowConformance('radial', ({ dim, rng }) => new RadialFlow(dim, rng));
 * ```
 */
export function describeFlowConformance(name: string, factory: (args: FlowFactoryArgs) => Flow | Promise<Flow>, options: FlowConformanceOptions = {}): void {
  const dims = options.dims ?? [2, 8, 32];
  const contextDim = options.contextDim ?? 6;
  const B = options.batch ?? 4;
  const tolLogDet = options.logDetTolerance ?? 1e-3;
  const tolInv = options.inverseTolerance ?? 1e-4;
  const perturb = options.perturbScale ?? 0.3;

  const backends: BackendRequest[] = options.backend ? [options.backend] : ['wasm', 'native'];
  for (const backend of backends) {
    const unavailable = backend === 'native' ? nativeKernelsUnavailable() : null;
    if (unavailable) {
      describe.skip(`flow conformance: ${name} [native] (skipped: native kernels unavailable: ${unavailable})`, () => undefined);
      continue;
    }
    describeOn(backend);
  }

  function describeOn(backend: BackendRequest): void {
    describe(`flow conformance: ${name} [${backend}]`, () => {
      beforeAll(async () => {
        await selectBackend(backend, { log: null });
      });

      for (const dim of dims) {
        describe(`L = ${dim}`, () => {
          const make = async (seed: number) => {
            const rng = new Random(`${name}:${dim}:${seed}`);
            const flow = await factory({ dim, contextDim, rng });
            if (options.perturb) options.perturb(flow, rng);
            else perturbVariables(flow, rng, perturb);
            const z = options.sampleInput ? options.sampleInput(rng, [B, dim]) : (rng.normal([B, dim]) as tf.Tensor2D);
            const h = flow.conditional ? (rng.normal([B, contextDim]) as tf.Tensor2D) : undefined;
            return { flow, z, h, rng };
          };

          it('keeps shapes and rejects a wrong one', async () => {
            const { flow, z, h } = await make(1);
            expect(flow.dim).toBe(dim);
            const out = flow.forwardAndLogDet(z, h);
            expect(out.z.shape).toEqual([B, dim]);
            expect(out.logDet.shape).toEqual([B]);
            const bad = tf.zeros([B, dim + 1]) as tf.Tensor2D;
            expect(() => flow.forwardAndLogDet(bad, h)).toThrow(/z has shape/); // matched by message: the kit may run against another copy of this module
            if (flow.conditional) expect(() => flow.forwardAndLogDet(z)).toThrow(/context/);
            flow.dispose();
          });

          it(`log-det matches log|det J| of an autodiff Jacobian within ${tolLogDet}`, async () => {
            const { flow, z, h } = await make(2);
            const logDet = flow.forwardAndLogDet(z, h).logDet.arraySync() as number[];
            const J = batchJacobian((x) => flow.forwardAndLogDet(x, h).z, z);
            for (let b = 0; b < B; b++) {
              expect(Number.isFinite(logDet[b])).toBe(true);
              expect(Math.abs(logDet[b] - logAbsDet(J[b]))).toBeLessThan(tolLogDet);
            }
            flow.dispose();
          });

          it('inverts exactly where it claims to (or says it cannot)', async () => {
            const { flow, z, h } = await make(3);
            if (!flow.invertible) {
              expect(() => flow.inverseAndLogDet(z, h)).toThrow(/cannot be inverted/);
              flow.dispose();
              return;
            }
            const fwd = flow.forwardAndLogDet(z, h);
            const inv = flow.inverseAndLogDet(fwd.z, h);
            const err = tf.max(tf.abs(tf.sub(inv.z, z))).dataSync()[0];
            expect(err).toBeLessThan(tolInv);
            const ldErr = tf.max(tf.abs(tf.add(inv.logDet, fwd.logDet))).dataSync()[0];
            expect(ldErr).toBeLessThan(tolLogDet);
            flow.dispose();
          });

          it('sends gradients to every trainable variable', async () => {
            const { flow, z, h, rng } = await make(4);
            const w = rng.normal([B, dim]);
            const vars = flow.trainableVariables();
            if (options.parameterFree) {
              expect(vars).toHaveLength(0);
              return;
            }
            expect(vars.length).toBeGreaterThan(0);
            const { grads } = tf.variableGrads(() => {
              const o = flow.forwardAndLogDet(z, h);
              return tf.add(tf.sum(tf.mul(o.z, w)), tf.sum(o.logDet)) as tf.Scalar;
            }, vars);
            for (const v of vars) {
              const g = grads[v.name];
              expect(g, `no gradient for a variable of shape [${v.shape}]`).toBeDefined();
              expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
            }
            flow.dispose();
          });

          it.skipIf(!!options.inverseWithoutGradients)(
            `sends gradients to every trainable variable through its inverse too (the direction a flow model trains in)${options.inverseWithoutGradients ? ` (skipped: ${options.inverseWithoutGradients})` : ''}`,
            async () => {
              const { flow, z, h, rng } = await make(8);
              if (!flow.invertible || options.parameterFree) return;
              const y = flow.forwardAndLogDet(z, h).z;
              const w = rng.normal([B, dim]);
              const vars = flow.trainableVariables();
              const { grads } = tf.variableGrads(() => {
                const o = flow.inverseAndLogDet(y, h);
                return tf.add(tf.sum(tf.mul(o.z, w)), tf.sum(o.logDet)) as tf.Scalar;
              }, vars);
              for (const v of vars) {
                const g = grads[v.name];
                expect(g, `no gradient through the inverse for a variable of shape [${v.shape}]`).toBeDefined();
                expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
              }
              flow.dispose();
            },
          );

          it('survives a save/load round trip', async () => {
            const a = await make(5);
            const b = await make(6);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-conformance-'));
            await saveCheckpoint(path.join(dir, 'ckpt'), a.flow.namedVariables(), [], { epoch: 0, step: 0, rng: {}, bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0 });
            const c = loadCheckpoint(path.join(dir, 'ckpt'));
            b.flow.loadWeights(c.weights);
            disposeCheckpoint(c);
            fs.rmSync(dir, { recursive: true, force: true });
            const ya = a.flow.forwardAndLogDet(a.z, a.h);
            const yb = b.flow.forwardAndLogDet(a.z, a.h);
            expect(tf.max(tf.abs(tf.sub(ya.z, yb.z))).dataSync()[0]).toBeLessThan(1e-6);
            expect(tf.max(tf.abs(tf.sub(ya.logDet, yb.logDet))).dataSync()[0]).toBeLessThan(1e-6);
            a.flow.dispose();
            b.flow.dispose();
          });

          it('with a context shared by repeated rows of z (importance samples) gives what the repeated context gives', async () => {
            const { flow, z, h } = await make(8);
            if (!h) {
              flow.dispose();
              return;
            }
            // two context rows, each shared by half of z's rows (B is even) or one row shared by all
            const rows = B % 2 === 0 ? 2 : 1;
            const shared = tf.slice(h, [0, 0], [rows, -1]) as tf.Tensor2D;
            const repeats = B / rows;
            const repeated = tf.reshape(tf.tile(tf.expandDims(shared, 1), [1, repeats, 1]), [B, contextDim]) as tf.Tensor2D;
            const want = flow.forwardAndLogDet(z, repeated);
            const got = forwardRepeated(flow, z, shared, repeats);
            expect(tf.max(tf.abs(tf.sub(got.z, want.z))).dataSync()[0]).toBeLessThan(1e-5);
            expect(tf.max(tf.abs(tf.sub(got.logDet, want.logDet))).dataSync()[0]).toBeLessThan(1e-4);
            flow.dispose();
          });

          it('treats examples independently of their batch', async () => {
            const { flow, z, h } = await make(7);
            const all = flow.forwardAndLogDet(z, h);
            const one = flow.forwardAndLogDet(tf.slice(z, [1, 0], [1, -1]) as tf.Tensor2D, h ? (tf.slice(h, [1, 0], [1, -1]) as tf.Tensor2D) : undefined);
            expect(tf.max(tf.abs(tf.sub(tf.slice(all.z, [1, 0], [1, -1]), one.z))).dataSync()[0]).toBeLessThan(1e-5);
            expect(Math.abs(all.logDet.arraySync()[1] - one.logDet.arraySync()[0])).toBeLessThan(1e-4);
            flow.dispose();
          });
        });
      }
    });
  }
}
