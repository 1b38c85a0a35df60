import { beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ElboObjective,
  LOCK_STALE_MS,
  Random,
  RUN_LOCK,
  BaseFlow,
  claimRunFolder,
  evaluateSplit,
  checkWarnings,
  firstNonFiniteLayer,
  mergeCheckSummaries,
  flowHealth,
  nativeKernelsUnavailable,
  selectBackend,
  type BackendRequest,
  TrainingDivergedError,
  buildDataset,
  buildModel,
  createRegistry,
  defineComponent,
  definePlugin,
  findCheckpoint,
  loadCheckpoint,
  readMetrics,
  resolveManifest,
  saveCheckpoint,
  train,
  type Objective,
  type TrainingProgress,
} from '../src/index.js';
import { DoubleFlow as Double, testDataPlugin, tinyManifest, useWasm } from './helpers.js';

await useWasm();

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-trainer-'));

async function setup(overrides: Record<string, unknown> = {}, plugins = [testDataPlugin]) {
  const registry = createRegistry(...plugins);
  const manifest = resolveManifest(tinyManifest(overrides), registry);
  const dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
  const built = await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`));
  return { registry, manifest, dataset, ...built };
}

const quiet = () => undefined;

/** The CPU paths training runs on here: wasm, and native where its kernels load (else skipped, saying why). */
const unavailable = nativeKernelsUnavailable();
const paths: { backend: BackendRequest; skip: string | null }[] = [
  { backend: 'wasm', skip: null },
  { backend: 'native', skip: unavailable && `native kernels unavailable: ${unavailable}` },
];

for (const { backend, skip } of paths)
  describe.skipIf(skip != null)(`trainer on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    beforeEach(async () => {
      await selectBackend(backend, { log: null });
    });

    it('learns, writes metrics, checkpoints and samples, and leaks no tensors across epochs', async () => {
      const s = await setup({ training: { epochs: 4, batchSize: 16, samples: 4, learningRate: 0.01 } });
      const out = tmp();
      const counts: number[] = [];
      const result = await train({ ...s, outDir: out, log: quiet, tty: false, onEpochEnd: () => counts.push(tf.memory().numTensors) });
      expect(counts.length).toBe(4);
      expect(new Set(counts.slice(1)).size).toBe(1);
      const metrics = readMetrics(path.join(out, 'metrics.jsonl'));
      expect(metrics.map((m) => `${m.epoch}:${m.split}`)).toEqual(['1:train', '1:val', '2:train', '2:val', '3:train', '3:val', '4:train', '4:val', `${result.bestEpoch}:test`]);
      const train1 = metrics[0].elbo as number;
      const train4 = metrics[6].elbo as number;
      expect(train1).toBeLessThan(0);
      expect(train4).toBeGreaterThan(train1);
      expect(findCheckpoint(path.join(out, 'checkpoints', 'latest'))).not.toBeNull();
      expect(findCheckpoint(path.join(out, 'checkpoints', 'best'))).not.toBeNull();
      expect(fs.existsSync(path.join(out, 'samples', 'epoch-004.png'))).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).model.posterior.type).toBe('diagonal-gaussian');
    });

    it('resumes exactly: 2 epochs + resume to 3 equals 3 epochs straight', async () => {
      const straight = await setup({ training: { epochs: 3, batchSize: 16, samples: 0 } });
      const a = tmp();
      await train({ ...straight, outDir: a, log: quiet, tty: false });

      const first = await setup({ training: { epochs: 2, batchSize: 16, samples: 0 } });
      const b = tmp();
      await train({ ...first, outDir: b, log: quiet, tty: false });
      const second = await setup({ training: { epochs: 3, batchSize: 16, samples: 0 } });
      await train({ ...second, outDir: b, resume: true, log: quiet, tty: false });

      const wa = loadCheckpoint(path.join(a, 'checkpoints', 'latest'));
      const wb = loadCheckpoint(path.join(b, 'checkpoints', 'latest'));
      expect(wb.state.epoch).toBe(3);
      expect(wb.state.step).toBe(wa.state.step);
      for (const [name, t] of wa.weights) expect(Array.from(wb.weights.get(name)!.dataSync())).toEqual(Array.from(t.dataSync()));
      const ma = readMetrics(path.join(a, 'metrics.jsonl')).map(({ examplesPerSec: _e, seconds: _s, rssMiB: _m, tensorMiB: _t, ...r }) => r);
      const mb = readMetrics(path.join(b, 'metrics.jsonl')).map(({ examplesPerSec: _e, seconds: _s, rssMiB: _m, tensorMiB: _t, ...r }) => r);
      expect(mb).toEqual(ma);
    });
  });

/** A plugin with one objective: the ELBO, turned NaN wherever `when` says (training or not, at a progress). */
function poisonedElbo(type: string, description: string, when: (training: boolean, p: TrainingProgress) => boolean) {
  return definePlugin({
    name: `poison-${type}`,
    version: '0.0.0',
    components: [
      defineComponent<Objective>({
        kind: 'objective',
        type,
        description,
        schema: { properties: {} },
        create: () => {
          const elbo = new ElboObjective({ beta: 1, warmupEpochs: 0, freeBits: 0 });
          return {
            id: type,
            loss: (t, p, training) => {
              const r = elbo.loss(t, p, training);
              return when(training, p) ? { ...r, loss: tf.mul(r.loss, NaN) as tf.Scalar } : r;
            },
          };
        },
      }),
    ],
  });
}

describe('trainer', () => {
  beforeEach(useWasm);

  it('stops on repeated non-finite losses with a message, keeping the last good checkpoint', async () => {
    // An objective that turns NaN from step 6 on (epoch 2 of 4 steps each).
    const poisoned = poisonedElbo('poisoned-elbo', 'ELBO that becomes NaN after step 5', (training, p) => training && p.step >= 5);
    const s = await setup({ objective: { type: 'poisoned-elbo' }, training: { epochs: 3, batchSize: 16, samples: 0, maxBadSteps: 3 } }, [testDataPlugin, poisoned]);
    const out = tmp();
    const lines: string[] = [];
    await expect(train({ ...s, outDir: out, log: (l) => lines.push(l), tty: false })).rejects.toThrow(TrainingDivergedError);
    expect(lines.some((l) => /non-finite loss/.test(l))).toBe(true);
    const c = loadCheckpoint(path.join(out, 'checkpoints', 'latest'));
    expect(c.state.epoch).toBe(1);
    for (const t of c.weights.values()) expect(tf.all(tf.isFinite(t)).dataSync()[0]).toBe(1);
  });
});

describe('flow health', () => {
  beforeEach(useWasm);
  /** A flow whose log-det is NaN, beside DoubleFlow (z -> 2z). */
  class Broken extends BaseFlow {
    readonly id = 'broken';
    protected forward(z: tf.Tensor2D) {
      return { z, logDet: tf.fill([z.shape[0]], Number.NaN) as tf.Tensor1D };
    }
  }
  /** z -> z with a check that |z_1| stays at most `limit` (every example goes over a negative limit). */
  class Checked extends BaseFlow {
    readonly id = 'checked';
    override readonly invertible = true;
    constructor(
      dim: number,
      readonly limit: number,
    ) {
      super(dim, false);
    }
    protected forward(z: tf.Tensor2D) {
      return { z: tf.clone(z), logDet: tf.zeros([z.shape[0]]) as tf.Tensor1D };
    }
    protected override inverse(z: tf.Tensor2D) {
      return this.forward(z);
    }
    checks(z: tf.Tensor2D) {
      return { size: { perExample: tf.abs(tf.reshape(tf.slice(z, [0, 0], [-1, 1]), [-1])) as tf.Tensor1D, limit: this.limit, meaning: 'z_1 is large' } };
    }
  }
  const flows = definePlugin({
    name: 'test-flows',
    version: '0.0.0',
    components: [
      defineComponent<Double>({ kind: 'flow', type: 'double', description: 'z -> 2z', schema: {}, create: (_o, ctx) => new Double(ctx.latentDim, false) }),
      defineComponent<Broken>({ kind: 'flow', type: 'broken', description: 'NaN log-det', schema: {}, create: (_o, ctx) => new Broken(ctx.latentDim, false) }),
      defineComponent<Checked>({
        kind: 'flow',
        type: 'checked',
        description: 'z -> z, checked',
        schema: { type: 'object', properties: { limit: { type: 'number' } } },
        create: (o, ctx) => new Checked(ctx.latentDim, (o as { limit: number }).limit),
      }),
    ],
  });

  it('reports each layer: log-det statistics, inverse round trip, and the first layer that is not finite', () => {
    const z = tf.randomNormal([8, 3]) as tf.Tensor2D;
    const layers = flowHealth([new Double(3, false), new Broken(3, false), new Double(3, false)], z);
    expect(layers.map((l) => l.nonFinite)).toEqual([null, 'logDet', null]);
    expect(layers[0].logDetMean).toBeCloseTo(3 * Math.log(2), 5);
    expect(layers[0].logDetStd).toBeCloseTo(0, 5);
    expect(layers[0].roundTripError).toBeLessThan(1e-6);
    expect(firstNonFiniteLayer(layers)).toBe('flow 1 (broken): log-det');
  });

  it("summarises a flow's own checks: the largest value and how many examples went over the limit (NaN counts as over)", () => {
    const z = tf.tensor2d([[0.5], [-3], [Number.NaN], [1]]);
    const [layer] = flowHealth([new Checked(1, 1)], z);
    expect(layer.checks!.size).toEqual({ max: Number.POSITIVE_INFINITY, over: 2, n: 4, limit: 1, meaning: 'z_1 is large' });
    const [fine] = flowHealth([new Checked(1, 1)], tf.tensor2d([[0.5], [-0.25]]));
    expect(fine.checks!.size).toMatchObject({ max: 0.5, over: 0, n: 2 });
    expect(checkWarnings([layer, fine])).toEqual(['flow 0 (checked): size over its limit 1 for 2 of 4 examples (largest Infinity): z_1 is large']);
    expect(mergeCheckSummaries(layer.checks, fine.checks!).size).toMatchObject({ max: Number.POSITIVE_INFINITY, over: 2, n: 6 });
  });

  it('logs the checks with flow health and warns of a failing one once an epoch', async () => {
    const s = await setup(
      {
        model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] }, flows: [{ type: 'checked', limit: -1 }] },
        training: { epochs: 2, batchSize: 16, samples: 0, flowHealthEvery: 2 },
      },
      [testDataPlugin, flows],
    );
    const out = tmp();
    const logged: string[] = [];
    await train({ ...s, outDir: out, log: (l) => logged.push(l), tty: false });
    const lines = fs
      .readFileSync(path.join(out, 'flow-health.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.layers[0].checks.size.over)).toEqual([16, 16, 16, 16]);
    expect(logged.filter((l) => /warning/.test(l))).toEqual([
      `vaeflow: warning at step 2: flow 0 (checked): size over its limit -1 for 16 of 16 examples (largest ${lines[0].layers[0].checks.size.max.toPrecision(3)}): z_1 is large`,
      `vaeflow: warning at step 6: flow 0 (checked): size over its limit -1 for 16 of 16 examples (largest ${lines[2].layers[0].checks.size.max.toPrecision(3)}): z_1 is large`,
    ]);
  });

  it('writes flow-health.jsonl every N steps, and a diverged run names the flow layer that went non-finite', async () => {
    const s = await setup(
      {
        model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] }, flows: [{ type: 'double' }] },
        training: { epochs: 1, batchSize: 16, samples: 0, flowHealthEvery: 2 },
      },
      [testDataPlugin, flows],
    );
    const out = tmp();
    await train({ ...s, outDir: out, log: quiet, tty: false });
    const lines = fs
      .readFileSync(path.join(out, 'flow-health.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([2, 4]);
    expect(lines[0].layers[0]).toMatchObject({ index: 0, id: 'double', nonFinite: null });

    const bad = await setup(
      {
        model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] }, flows: [{ type: 'double' }, { type: 'broken' }] },
        training: { epochs: 1, batchSize: 16, samples: 0, maxBadSteps: 2 },
      },
      [testDataPlugin, flows],
    );
    const logged: string[] = [];
    await expect(train({ ...bad, outDir: tmp(), log: (l) => logged.push(l), tty: false })).rejects.toThrow(/first non-finite: flow 1 \(broken\): log-det/);
    expect(logged.some((l) => /non-finite loss .*first non-finite: flow 1 \(broken\): log-det/.test(l))).toBe(true);
  });
});

describe('evaluateSplit', () => {
  it('counts active units from the posterior means: none when the means ignore x, and zero-variance dimensions never', async () => {
    await selectBackend('wasm', { log: null });
    const s = await setup();
    const vae = s.model as unknown as { posterior: { head: { kernel: tf.Variable; bias: tf.Variable } }; latentDim: number };
    const progress = { epoch: 1, step: 0 };
    const live = evaluateSplit(s.model, s.objective, s.dataset.val, 16, 50, new Random(1), progress);
    expect(live.activeUnits).toBeGreaterThanOrEqual(0);
    expect(live.activeUnits).toBeLessThanOrEqual(vae.latentDim);
    const kernel = vae.posterior.head.kernel;
    const L = vae.latentDim;
    // the mean columns of the head set to zero: every posterior mean is the bias, whatever x
    kernel.assign(tf.tidy(() => tf.concat([tf.zeros([kernel.shape[0], L]), tf.slice(kernel, [0, L], [-1, L])], 1)));
    expect(evaluateSplit(s.model, s.objective, s.dataset.val, 16, 50, new Random(1), progress).activeUnits).toBe(0);
    // and large weights make every dimension move with x
    kernel.assign(tf.tidy(() => tf.concat([tf.mul(tf.ones([kernel.shape[0], L]), 5), tf.slice(kernel, [0, L], [-1, L])], 1)));
    expect(evaluateSplit(s.model, s.objective, s.dataset.val, 16, 50, new Random(1), progress).activeUnits).toBe(L);
  });
});

describe('trainer and non-finite validation', () => {
  beforeEach(useWasm);

  it('never makes a model whose validation loss is not finite the best one, and names the checkpoint that is good', async () => {
    // Finite weights, finite training steps, a NaN validation loss from epoch 2 on.
    const poisoned = poisonedElbo('poisoned-val-elbo', 'ELBO whose validation value is NaN from epoch 2', (training, p) => !training && p.epoch >= 2);
    const s = await setup({ objective: { type: 'poisoned-val-elbo' }, training: { epochs: 3, batchSize: 16, samples: 0 } }, [testDataPlugin, poisoned]);
    const out = tmp();
    const err = await train({ ...s, outDir: out, log: quiet, tty: false }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.message).toMatch(/validation loss after epoch 2 is NaN, so epoch 2 was not checkpointed\. The last good checkpoint is .*latest \(epoch 1; best is epoch 1\)/);
    for (const which of ['best', 'latest']) {
      const c = loadCheckpoint(path.join(out, 'checkpoints', which));
      expect(c.state.epoch).toBe(1);
      expect(Number.isFinite(c.state.bestValLoss)).toBe(true);
    }
    expect(fs.existsSync(path.join(out, RUN_LOCK))).toBe(false);
  });
});

describe('run folders', () => {
  beforeEach(useWasm);

  it('refuse a folder that holds anything unless resumed or forced; --force removes only vaeflow files', async () => {
    const s = await setup({ training: { epochs: 1, batchSize: 16, samples: 2 } });
    const out = tmp();
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    await expect(train({ ...s, outDir: out, log: quiet, tty: false })).rejects.toThrow(/is not empty \(notes\.txt\); --resume continues the run there, --force replaces it/);
    await train({ ...s, outDir: out, force: true, log: quiet, tty: false });
    fs.writeFileSync(path.join(out, 'samples', 'epoch-009.png'), "an old run's grid");
    const lines: string[] = [];
    await train({ ...(await setup({ training: { epochs: 1, batchSize: 16, samples: 2 } })), outDir: out, force: true, log: (l) => lines.push(l), tty: false });
    expect(lines.some((l) => /--force: removed manifest\.json, metrics\.jsonl, checkpoints, samples|--force: removed .*samples/.test(l))).toBe(true);
    expect(fs.readdirSync(path.join(out, 'samples')).sort()).toEqual(['epoch-001.png', 'final.png']);
    expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('lock out a second training while the first lives, and take over the lock of a dead one', () => {
    const out = tmp();
    // A lock held by a live process (this test's parent).
    fs.writeFileSync(path.join(out, RUN_LOCK), JSON.stringify({ host: os.hostname(), pid: process.ppid, started: 'then' }));
    expect(() => claimRunFolder(out, {})).toThrow(new RegExp(`is being trained by process ${process.ppid} on ${os.hostname()}.*two trainings cannot share a run folder`));
    // A lock whose process is gone, and temporaries an interrupted save left behind.
    fs.writeFileSync(path.join(out, RUN_LOCK), JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 17, started: 'then' }));
    fs.mkdirSync(path.join(out, 'checkpoints', '.latest.tmp-123'), { recursive: true });
    fs.writeFileSync(path.join(out, 'checkpoints', '.latest.tmp-123', 'weights.bin'), 'half');
    const lines: string[] = [];
    const claim = claimRunFolder(out, { resume: true, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/removing a stale lock.*process 4194321 is gone[\s\S]*removed 1 temporary file left by an interrupted write \(checkpoints\/\.latest\.tmp-123\)/);
    expect(JSON.parse(fs.readFileSync(path.join(out, RUN_LOCK), 'utf8')).pid).toBe(process.pid);
    claim.release();
    expect(fs.existsSync(path.join(out, RUN_LOCK))).toBe(false);
    // A lock from another machine is live while it is touched, stale once untouched for LOCK_STALE_MS.
    const lock = path.join(out, RUN_LOCK);
    fs.writeFileSync(lock, JSON.stringify({ host: 'another-machine', pid: 1, started: 'then' }));
    expect(() => claimRunFolder(out, { resume: true })).toThrow(/is being trained by process 1 on another-machine/);
    const old = new Date(Date.now() - LOCK_STALE_MS - 60_000);
    fs.utimesSync(lock, old, old);
    const lines2: string[] = [];
    claimRunFolder(out, { resume: true, log: (l) => lines2.push(l) }).release();
    expect(lines2.join('\n')).toMatch(/removing a stale lock .*untouched for 11 min by another-machine/);
  });
});

describe('resume', () => {
  beforeEach(useWasm);

  it("records the backend's numerics in the checkpoint and warns when a resume changes them", async () => {
    const out = tmp();
    await train({ ...(await setup({ training: { epochs: 1, batchSize: 16, samples: 0 } })), outDir: out, log: quiet, tty: false });
    expect(loadCheckpoint(path.join(out, 'checkpoints', 'latest')).state.numerics).toBe('wasm');
    const same: string[] = [];
    await train({ ...(await setup({ training: { epochs: 2, batchSize: 16, samples: 0 } })), outDir: out, resume: true, log: (l) => same.push(l), tty: false });
    expect(same.filter((l) => /warning/.test(l))).toEqual([]);
    await selectBackend('cpu', { log: null });
    const other: string[] = [];
    await train({ ...(await setup({ training: { epochs: 3, batchSize: 16, samples: 0 } })), outDir: out, resume: true, log: (l) => other.push(l), tty: false });
    expect(other.filter((l) => /warning/.test(l))).toEqual([expect.stringMatching(/trained on wasm and resumes on cpu: matrix products sum in another order/)]);
    expect(loadCheckpoint(path.join(out, 'checkpoints', 'latest')).state.numerics).toBe('cpu');
  });

  it('refuses when nothing can be resumed, changing nothing; falls back to best when latest is gone', async () => {
    const s = await setup({ training: { epochs: 2, batchSize: 16, samples: 0 } });
    const out = tmp();
    await train({ ...s, outDir: out, log: quiet, tty: false });
    const metricsBefore = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    // latest gone, best kept: resume from best, saying so.
    fs.rmSync(path.join(out, 'checkpoints', 'latest'), { recursive: true });
    const lines: string[] = [];
    const again = await setup({ training: { epochs: 2, batchSize: 16, samples: 0 } });
    await train({ ...again, outDir: out, resume: true, log: (l) => lines.push(l), tty: false });
    expect(lines.some((l) => /is missing; resuming from the best checkpoint/.test(l))).toBe(true);
    // No checkpoint at all, but metrics: refuse, and leave the metrics as they were.
    fs.rmSync(path.join(out, 'checkpoints'), { recursive: true });
    fs.writeFileSync(path.join(out, 'metrics.jsonl'), metricsBefore);
    const third = await setup({ training: { epochs: 2, batchSize: 16, samples: 0 } });
    await expect(train({ ...third, outDir: out, resume: true, log: quiet, tty: false })).rejects.toThrow(/cannot resume .*no readable checkpoint \(found metrics.jsonl\); nothing was changed/);
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(metricsBefore);
  });

  it('reads metrics.jsonl with a torn last line (a kill mid-append) and names a damaged line elsewhere', () => {
    const dir = tmp();
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, '{"epoch":1,"split":"train","loss":3}\n{"epoch":1,"split":"val","lo');
    expect(readMetrics(file)).toEqual([{ epoch: 1, split: 'train', loss: 3 }]);
    fs.writeFileSync(file, '{"epoch":1,"split":"train","loss":3}\n{"epoch":1,"spl\n{"epoch":2,"split":"train","loss":2}\n');
    expect(() => readMetrics(file)).toThrow(/line 2 is not valid JSON/);
  });
});

describe('checkpoints', () => {
  const state = { epoch: 1, step: 2, rng: {}, bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0 };

  it('round-trip weights, optimiser slots and state', async () => {
    const dir = path.join(tmp(), 'ck');
    const w = new Map<string, tf.Tensor>([
      [
        'a/kernel',
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      ],
      ['b', tf.tensor1d([5])],
    ]);
    await saveCheckpoint(dir, w, [{ name: 'iter', tensor: tf.scalar(7) }], state);
    const c = loadCheckpoint(dir);
    expect(Array.from(c.weights.get('a/kernel')!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(c.optimizer[0].name).toBe('iter');
    expect(c.state).toEqual(state);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual(['weights.bin']);
  });

  it('refuse to write non-finite weights and leave the previous checkpoint intact', async () => {
    const dir = path.join(tmp(), 'ck');
    await saveCheckpoint(dir, new Map([['w', tf.tensor1d([1])]]), [], state);
    await expect(saveCheckpoint(dir, new Map([['w', tf.tensor1d([NaN])]]), [], state)).rejects.toThrow(/NaN/);
    expect(Array.from(loadCheckpoint(dir).weights.get('w')!.dataSync())).toEqual([1]);
  });

  it('fall back to the previous checkpoint when a crash fell between the two renames', async () => {
    const root = tmp();
    const dir = path.join(root, 'latest');
    await saveCheckpoint(dir, new Map([['w', tf.tensor1d([1])]]), [], state);
    fs.renameSync(dir, path.join(root, '.latest.old')); // the moment between rename(latest, old) and rename(tmp, latest)
    expect(findCheckpoint(dir)).toBe(path.join(root, '.latest.old'));
    expect(Array.from(loadCheckpoint(dir).weights.get('w')!.dataSync())).toEqual([1]);
  });

  it('detect a damaged weights file of the right size by its checksum', async () => {
    const dir = path.join(tmp(), 'ck');
    await saveCheckpoint(dir, new Map([['w', tf.tensor1d([1, 2, 3])]]), [], state);
    const file = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(file);
    bytes[5] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(() => loadCheckpoint(dir)).toThrow(/does not match the checksum in model\.json: the checkpoint is damaged/);
  });

  it('detect a truncated weights file', async () => {
    const dir = path.join(tmp(), 'ck');
    await saveCheckpoint(dir, new Map([['w', tf.tensor1d([1, 2, 3])]]), [], state);
    fs.truncateSync(path.join(dir, 'weights.bin'), 5);
    expect(() => loadCheckpoint(dir)).toThrow(/damaged/);
  });
});

describe('Random', () => {
  it('continues the same stream after a state round trip', () => {
    const r = new Random(42);
    r.normalArray(3); // leaves a spare normal cached
    const copy = Random.fromState(JSON.parse(JSON.stringify(r.state())));
    expect(Array.from(copy.normalArray(5))).toEqual(Array.from(r.normalArray(5)));
    expect(copy.next()).toBe(r.next());
  });
});
