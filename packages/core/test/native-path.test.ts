import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  ADAM_KERNEL,
  BERNOULLI_LOG_PROB_KERNEL,
  BJORCK_KERNEL,
  FusedAdam,
  type FusedMLPActivation,
  MLP_KERNEL,
  fusedMLP,
  GLOBAL_NORM_KERNEL,
  bernoulliLogProb,
  bjorckOrthogonalise,
  Random,
  appliesScaledGradients,
  backendNumerics,
  createAdam,
  globalNorm,
  hasKernel,
  nativeKernelsUnavailable,
  selectBackend,
} from '../src/index.js';

// The parts of core that change on the native path: backend choice, the fused Adam and the
// fused gradient norm. The kernels themselves are tested in @vaeflow/native.
const unavailable = nativeKernelsUnavailable();
const coreDist = path.resolve(__dirname, '..', 'dist', 'index.js');

function values(n: number, seed: string): Float32Array {
  return new Random(seed).normalArray(n);
}

/** Five Adam steps on two variables with a clipping scale; returns the final values and the optimiser's weight names. */
async function adamSteps(make: () => tf.Optimizer, scale: number): Promise<{ values: number[][]; names: string[] }> {
  const a = tf.variable(tf.tensor2d(values(12, 'a'), [3, 4]), true, `adam-a-${tf.getBackend()}-${make.name}`);
  const b = tf.variable(tf.tensor1d(values(5, 'b')), true, `adam-b-${tf.getBackend()}-${make.name}`);
  const opt = make();
  for (let s = 0; s < 5; s++) {
    const grads = [tf.tensor2d(values(12, `ga${s}`), [3, 4]), tf.tensor1d(values(5, `gb${s}`))];
    if (appliesScaledGradients(opt))
      opt.applyScaledGradients(
        [
          { name: a.name, tensor: grads[0] },
          { name: b.name, tensor: grads[1] },
        ],
        scale,
      );
    else
      tf.tidy(() =>
        opt.applyGradients([
          { name: a.name, tensor: tf.mul(grads[0], scale) },
          { name: b.name, tensor: tf.mul(grads[1], scale) },
        ]),
      );
    tf.dispose(grads);
  }
  const names = (await opt.getWeights()).map((w) => w.name.replace(/-(cpu|wasm)-\w*/, ''));
  const out = { values: [Array.from(a.dataSync()), Array.from(b.dataSync())], names };
  opt.dispose();
  a.dispose();
  b.dispose();
  return out;
}

describe.skipIf(unavailable != null)(`the native path${unavailable ? ` (skipped: native kernels unavailable: ${unavailable})` : ''}`, () => {
  it('is what auto chooses when tfjs-node is absent, and says so in one line', async () => {
    const lines: string[] = [];
    const choice = await selectBackend('auto', { log: (l) => lines.push(l) });
    expect(choice.kind).toBe('native');
    expect(choice.name).toBe('wasm');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^vaeflow: backend native — wasm backend with @vaeflow\/native kernels \(OpenBLAS .* threads?, from .*\) \[passed over: @tensorflow\/tfjs-node\(-gpu\) is not installed\]$/,
    );
  });

  it('wasm can still be forced, and drops the native kernels; the numerics name the thread count', async () => {
    await selectBackend('native', { log: null, threads: 2 });
    expect(hasKernel(ADAM_KERNEL)).toBe(true);
    expect(backendNumerics()).toMatch(/^native \(\S+ kernel, 2 threads\)$/);
    const choice = await selectBackend('wasm', { log: null });
    expect(choice.kind).toBe('wasm');
    expect(backendNumerics()).toBe('wasm');
    expect(hasKernel(ADAM_KERNEL)).toBe(false);
    expect(createAdam(1e-3)).not.toBeInstanceOf(FusedAdam);
  });

  it('FusedAdam follows tfjs Adam on the cpu backend, clipping scale included, with the same state names', async () => {
    await selectBackend('cpu', { log: null });
    const reference = await adamSteps(() => tf.train.adam(0.01, 0.9, 0.999, 1e-8), 0.3);
    await selectBackend('native', { log: null });
    const opt = createAdam(0.01, 0.9, 0.999, 1e-8);
    expect(opt).toBeInstanceOf(FusedAdam);
    opt.dispose();
    const fused = await adamSteps(() => new FusedAdam(0.01, 0.9, 0.999, 1e-8), 0.3);
    expect(fused.names).toEqual(reference.names);
    reference.values.forEach((arr, i) => arr.forEach((v, j) => expect(Math.abs(fused.values[i][j] - v)).toBeLessThan(1e-5)));
  });

  it('FusedAdam resumes from saved state exactly as if it had not stopped', async () => {
    await selectBackend('native', { log: null });
    const run = async (stopAfter: number | null) => {
      const x = tf.variable(tf.tensor1d(values(7, 'x')), true, `resume-${stopAfter}`);
      let opt = new FusedAdam(0.05, 0.9, 0.999, 1e-8);
      for (let s = 0; s < 6; s++) {
        if (s === stopAfter) {
          const saved = (await opt.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
          opt.dispose();
          opt = new FusedAdam(0.05, 0.9, 0.999, 1e-8);
          await opt.setWeights(saved);
          tf.dispose(saved.map((w) => w.tensor));
        }
        const g = tf.tensor1d(values(7, `g${s}`));
        opt.applyScaledGradients([{ name: x.name, tensor: g }], 1);
        g.dispose();
      }
      const out = Array.from(x.dataSync());
      opt.dispose();
      x.dispose();
      return out;
    };
    expect(await run(3)).toEqual(await run(null));
  });

  it(`bernoulliLogProb uses ${BERNOULLI_LOG_PROB_KERNEL}, and its registered gradient matches the composite on cpu`, async () => {
    const X = values(6 * 9, 'bx').map((v) => (v > 0 ? 1 : 0));
    const L = values(6 * 9, 'bl').map((v) => 4 * v);
    const W = values(6, 'bw');
    const run = () =>
      tf.tidy(() => {
        const f = (x: tf.Tensor, l: tf.Tensor) => tf.sum(tf.mul(bernoulliLogProb(x as tf.Tensor2D, l as tf.Tensor2D), tf.tensor1d(W)));
        const [gx, gl] = tf.grads(f)([tf.tensor2d(X, [6, 9]), tf.tensor2d(L, [6, 9])]);
        return [bernoulliLogProb(tf.tensor2d(X, [6, 9]), tf.tensor2d(L, [6, 9])), gx, gl].map((t) => Array.from(t.dataSync()));
      });
    await selectBackend('cpu', { log: null });
    expect(hasKernel(BERNOULLI_LOG_PROB_KERNEL)).toBe(false);
    const expected = run();
    await selectBackend('native', { log: null });
    expect(hasKernel(BERNOULLI_LOG_PROB_KERNEL)).toBe(true);
    const got = run();
    expected.forEach((arr, i) => arr.forEach((v, j) => expect(Math.abs(got[i][j] - v)).toBeLessThan(1e-4)));
  });

  for (const threads of [1, 2]) {
    it(`bjorckOrthogonalise uses ${BJORCK_KERNEL} (${threads} thread(s)): the composite's values and gradients on cpu`, async () => {
      // Well-conditioned D x M matrices (identity plus noise of spectral norm about 1 / 2: an
      // ill-conditioned one amplifies float32 rounding through the iterations), normalised as
      // O-SNF does; one
      // tall batch with M < D, one square; stopping by tolerance and a fixed count (tolerance 0).
      const cases = [
        { B: 9, D: 12, M: 5, maxIterations: 100, tolerance: 1e-5 },
        { B: 7, D: 32, M: 32, maxIterations: 100, tolerance: 1e-5 },
        { B: 3, D: 8, M: 8, maxIterations: 6, tolerance: 0 },
      ];
      const run = () =>
        cases.map(({ B, D, M, maxIterations, tolerance }) =>
          tf.tidy(() => {
            const a = tf.add(tf.eye(D, M, [B]), tf.mul(0.25 / Math.sqrt(D), tf.tensor3d(values(B * D * M, `bj${D}`), [B, D, M])));
            const q0 = tf.div(a, tf.sqrt(tf.sum(tf.square(a), [1, 2], true))) as tf.Tensor3D;
            const w = tf.tensor3d(values(B * D * M, `bw${D}`), [B, D, M]);
            const f = (x: tf.Tensor) => tf.sum(tf.mul(bjorckOrthogonalise(x as tf.Tensor3D, { maxIterations, tolerance }), w));
            return [bjorckOrthogonalise(q0, { maxIterations, tolerance }), tf.grad(f)(q0)].map((t) => Array.from(t.dataSync()));
          }),
        );
      await selectBackend('cpu', { log: null });
      expect(hasKernel(BJORCK_KERNEL)).toBe(false);
      const expected = run();
      await selectBackend('native', { log: null, threads });
      expect(hasKernel(BJORCK_KERNEL)).toBe(true);
      const got = run();
      expected.forEach((pair, c) =>
        pair.forEach((arr, k) => {
          const scale = Math.max(1, ...arr.map(Math.abs));
          arr.forEach((v, j) => expect(Math.abs(got[c][k][j] - v) / scale).toBeLessThan(1e-4));
        }),
      );
    });
  }

  for (const threads of [1, 2]) {
    it(`fusedMLP uses ${MLP_KERNEL} (${threads} thread(s)): layer-by-layer values and gradients on cpu, every activation, tiny to wide nets, one row and none`, async () => {
      const cases: { B: number; sizes: number[]; hidden: FusedMLPActivation; output: FusedMLPActivation }[] = [
        { B: 128, sizes: [2, 64, 64, 2], hidden: 'leakyrelu', output: 'tanh' }, // dpVAE's coupling nets
        { B: 128, sizes: [2, 64, 64, 2], hidden: 'leakyrelu', output: 'linear' },
        { B: 33, sizes: [10, 300, 300, 2], hidden: 'relu', output: 'linear' }, // products through the BLAS
        { B: 7, sizes: [5, 9, 3], hidden: 'tanh', output: 'sigmoid' },
        { B: 7, sizes: [5, 9, 4, 3], hidden: 'elu', output: 'elu' },
        { B: 1, sizes: [4, 6], hidden: 'sigmoid', output: 'relu' },
        { B: 0, sizes: [3, 5, 2], hidden: 'linear', output: 'linear' },
      ];
      const activate = (t: tf.Tensor2D, a: FusedMLPActivation) =>
        a === 'leakyrelu' ? tf.leakyRelu(t, 0.01) : a === 'relu' ? tf.relu(t) : a === 'tanh' ? tf.tanh(t) : a === 'sigmoid' ? tf.sigmoid(t) : a === 'elu' ? tf.elu(t) : t;
      const run = (fused: boolean) =>
        cases.map(({ B, sizes, hidden, output }, c) =>
          tf.tidy(() => {
            const x = tf.tensor2d(values(B * sizes[0], `mlp-x${c}`), [B, sizes[0]]);
            // weights of a fan-in initialisation's size (times 2): hidden units of order 1
            const params = sizes
              .slice(1)
              .flatMap((n, l) => [tf.mul(tf.tensor2d(values(sizes[l] * n, `mlp-w${c}-${l}`), [sizes[l], n]), 2 / Math.sqrt(sizes[l])), tf.tensor1d(values(n, `mlp-b${c}-${l}`))]);
            const w = tf.tensor2d(values(B * sizes[sizes.length - 1], `mlp-dy${c}`), [B, sizes[sizes.length - 1]]);
            const net = (input: tf.Tensor2D, ps: tf.Tensor[]) => {
              const layers = sizes.slice(1).map((_, l) => ({ kernel: ps[2 * l], bias: ps[2 * l + 1] }));
              if (fused) return fusedMLP(input, layers, { hidden, output, alpha: 0.01 })!;
              return layers.reduce((h, l, i) => activate(tf.add(tf.matMul(h, l.kernel as tf.Tensor2D), l.bias) as tf.Tensor2D, i + 1 === layers.length ? output : hidden), input);
            };
            const f = (...ts: tf.Tensor[]) => tf.sum(tf.mul(net(ts[0] as tf.Tensor2D, ts.slice(1)), w)) as tf.Scalar;
            return [net(x, params), ...tf.grads(f)([x, ...params])].map((t) => Array.from(t.dataSync()));
          }),
        );
      await selectBackend('cpu', { log: null });
      expect(hasKernel(MLP_KERNEL)).toBe(false);
      const expected = run(false);
      await selectBackend('native', { log: null, threads });
      expect(hasKernel(MLP_KERNEL)).toBe(true);
      const got = run(true);
      expected.forEach((arrays, c) =>
        arrays.forEach((arr, k) => {
          expect(got[c][k].length, `case ${c} output ${k}`).toBe(arr.length);
          const scale = Math.max(1, ...arr.map(Math.abs));
          const worst = Math.max(0, ...arr.map((v, j) => Math.abs(got[c][k][j] - v) / scale));
          expect(worst, `case ${c} output ${k}`).toBeLessThan(1e-5);
        }),
      );
      // no tensors left behind by the fused pair
      const before = tf.memory().numTensors;
      run(true);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it(`globalNorm uses ${GLOBAL_NORM_KERNEL} and agrees with the composite on cpu`, async () => {
    const shapes = [[30, 20], [20], [1]];
    await selectBackend('cpu', { log: null });
    const expected = tf.tidy(
      () =>
        globalNorm(
          shapes.map((s, i) =>
            tf.tensor(
              values(
                s.reduce((a, b) => a * b, 1),
                `n${i}`,
              ),
              s,
            ),
          ),
        ).dataSync()[0],
    );
    await selectBackend('native', { log: null });
    expect(hasKernel(GLOBAL_NORM_KERNEL)).toBe(true);
    const got = tf.tidy(
      () =>
        globalNorm(
          shapes.map((s, i) =>
            tf.tensor(
              values(
                s.reduce((a, b) => a * b, 1),
                `n${i}`,
              ),
              s,
            ),
          ),
        ).dataSync()[0],
    );
    expect(Math.abs(got - expected) / expected).toBeLessThan(1e-6);
  });
});

describe('without native kernels', () => {
  // The loader caches its answer per process, so each case runs in a fresh Node process.
  const choose = (request: string, env: Record<string, string>) =>
    spawnSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(coreDist)}).selectBackend(${JSON.stringify(request)}).then((c) => console.log(c.kind), (e) => { console.log('error: ' + e.message); })`],
      { encoding: 'utf8', env: { ...process.env, ...env } },
    );

  it('auto falls back to wasm with one line that says why', () => {
    const r = choose('auto', { VAEFLOW_NATIVE: 'off' });
    expect(r.stdout.trim()).toBe('wasm');
    expect(r.stderr.trim().split('\n')).toEqual([
      'vaeflow: backend wasm — @tensorflow/tfjs-backend-wasm with vaeflow kernels [passed over: @tensorflow/tfjs-node(-gpu) is not installed; native kernels unavailable: disabled by VAEFLOW_NATIVE=off]',
    ]);
  });

  it('native, when asked for by name, fails and names the reason', () => {
    const r = choose('native', { VAEFLOW_NATIVE: 'off' });
    expect(r.stdout.trim()).toBe('error: backend "native" is not available here: native kernels unavailable: disabled by VAEFLOW_NATIVE=off');
  });
});
