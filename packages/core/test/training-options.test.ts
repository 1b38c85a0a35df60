import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_SCHEDULE,
  Random,
  buildDataset,
  buildModel,
  createRegistry,
  learningRateAt,
  loadCheckpoint,
  plateauUpdate,
  readMetrics,
  resolveManifest,
  train,
  type ScheduleOptions,
} from '../src/index.js';
import { testDataPlugin, tinyManifest, useWasm } from './helpers.js';

await useWasm();

const schedule = (o: Partial<ScheduleOptions>): ScheduleOptions => ({ ...DEFAULT_SCHEDULE, ...o });

describe('learning-rate schedules', () => {
  it("give the formula's rate at given steps: warm-up, step, cosine, plateau, the floor", () => {
    const base = 0.01;
    const warm = schedule({ warmupSteps: 100 });
    expect(learningRateAt(base, warm, 0, 1000)).toBeCloseTo(base / 100, 12);
    expect(learningRateAt(base, warm, 49, 1000)).toBeCloseTo(base / 2, 12);
    expect(learningRateAt(base, warm, 99, 1000)).toBeCloseTo(base, 12);
    expect(learningRateAt(base, warm, 500, 1000)).toBe(base);
    const step = schedule({ decay: 'step', stepEvery: 300, factor: 0.1 });
    expect(learningRateAt(base, step, 299, 1000)).toBeCloseTo(base, 12);
    expect(learningRateAt(base, step, 300, 1000)).toBeCloseTo(base * 0.1, 12);
    expect(learningRateAt(base, step, 950, 1000)).toBeCloseTo(base * 0.001, 12);
    expect(learningRateAt(base, schedule({ decay: 'step', stepEvery: 300, factor: 0.1, minLearningRate: 5e-5 }), 950, 1000)).toBeCloseTo(5e-5, 12);
    // cosine after a 100-step warm-up over 1,000 steps: base at 100, halfway at 550, the floor at the end
    const cos = schedule({ warmupSteps: 100, decay: 'cosine', minLearningRate: 1e-4 });
    expect(learningRateAt(base, cos, 100, 1000)).toBeCloseTo(base, 12);
    expect(learningRateAt(base, cos, 550, 1000)).toBeCloseTo(1e-4 + (base - 1e-4) / 2, 12);
    expect(learningRateAt(base, cos, 1000, 1000)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(base, schedule({ decay: 'plateau' }), 10, 1000, 0.25)).toBeCloseTo(base / 4, 12);
  });

  it('reduce on plateau: a new best resets the count, `patience` epochs without one multiply the scale', () => {
    const s = schedule({ decay: 'plateau', patience: 2, factor: 0.5 });
    let p = { scale: 1, best: null as number | null, bad: 0 };
    for (const [loss, scale] of [
      [10, 1],
      [9, 1],
      [9.5, 1],
      [9.2, 0.5],
      [9.1, 0.5],
      [8, 0.5],
      [8, 0.5],
      [8.5, 0.25],
    ] as const) {
      p = plateauUpdate(p, loss, s);
      expect(p.scale).toBe(scale);
    }
  });
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-options-'));
const quiet = () => undefined;

async function setup(training: Record<string, unknown>) {
  const registry = createRegistry(testDataPlugin);
  const manifest = resolveManifest(tinyManifest({ training: { epochs: 3, batchSize: 16, samples: 0, ...training } }), registry);
  const dataset = await buildDataset(registry, manifest, new Random(`${manifest.seed}:data`));
  return { manifest, dataset, ...(await buildModel(registry, manifest, dataset, new Random(`${manifest.seed}:init`))) };
}

/**
 * Trains 3 epochs straight into one folder, and into another interrupted after epoch 2 (its
 * checkpoint written) then resumed with the same manifest; the two final checkpoints must hold
 * the same weights (every checkpointed tensor, averages included).
 */
async function straightAndResumed(training: Record<string, unknown>) {
  const a = tmp();
  await train({ ...(await setup(training)), outDir: a, log: quiet, tty: false });
  const b = tmp();
  await expect(
    train({
      ...(await setup(training)),
      outDir: b,
      log: quiet,
      tty: false,
      onEpochEnd: (e) => {
        if (e === 2) throw new Error('killed');
      },
    }),
  ).rejects.toThrow('killed');
  await train({ ...(await setup(training)), outDir: b, resume: true, log: quiet, tty: false });
  const wa = loadCheckpoint(path.join(a, 'checkpoints', 'latest'));
  const wb = loadCheckpoint(path.join(b, 'checkpoints', 'latest'));
  for (const [k, t] of wa.weights) expect(Array.from(wb.weights.get(k)!.dataSync())).toEqual(Array.from(t.dataSync()));
  return { a, b, wa, wb };
}

describe('optimisers and schedules in training', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['adamw, warm-up then plateau', { optimizer: 'adamw', weightDecay: 0.1, learningRate: 0.01, schedule: { warmupSteps: 3, decay: 'plateau', patience: 1, factor: 0.5 } }],
    ['sgd with momentum, cosine', { optimizer: 'sgd', momentum: 0.9, learningRate: 0.05, schedule: { decay: 'cosine', minLearningRate: 0.001 } }],
    ['rmsprop, step decay', { optimizer: 'rmsprop', momentum: 0, learningRate: 0.003, schedule: { decay: 'step', stepEvery: 5, factor: 0.5 } }],
  ];
  for (const [name, training] of cases) {
    it(`${name}: learns, logs the rate it used, and an interrupted run resumed equals the straight one`, async () => {
      const { a, b, wa, wb } = await straightAndResumed(training);
      // reduce-on-plateau's state is in the checkpoint (a resume continues its count)
      if ((training.schedule as { decay: string }).decay === 'plateau') {
        expect(wa.state.plateau).toMatchObject({ scale: expect.any(Number), bad: expect.any(Number) });
        expect(wb.state.plateau).toEqual(wa.state.plateau);
      }
      const strip = (f: string) => readMetrics(f).map(({ examplesPerSec: _e, seconds: _s, rssMiB: _m, tensorMiB: _t, ...r }) => r);
      expect(strip(path.join(b, 'metrics.jsonl'))).toEqual(strip(path.join(a, 'metrics.jsonl')));
      const rates = readMetrics(path.join(a, 'metrics.jsonl'))
        .filter((m) => m.split === 'train')
        .map((m) => m.learningRate as number);
      expect(rates.length).toBe(3);
      expect(rates.every((r) => r > 0 && r <= (training.learningRate as number))).toBe(true);
      const elbo = readMetrics(path.join(a, 'metrics.jsonl'))
        .filter((m) => m.split === 'train')
        .map((m) => m.elbo as number);
      expect(elbo[2]).toBeGreaterThan(elbo[0]);
    });
  }

  it('adamw decays the weights: with zero learning signal (lr tiny) a large decay shrinks them by (1 - lr lambda) per step', async () => {
    const s = await setup({ optimizer: 'adamw', weightDecay: 1000, learningRate: 1e-6, epochs: 1 });
    const before = new Map([...s.model.namedVariables()].map(([k, v]) => [k, Array.from(v.dataSync())]));
    await train({ ...s, outDir: tmp(), log: quiet, tty: false });
    const steps = Math.floor(64 / 16);
    const shrink = (1 - 1e-6 * 1000) ** steps;
    const [name, w0] = [...before.entries()].find(([k]) => k.includes('kernel'))!;
    const w1 = Array.from(s.model.namedVariables().get(name)!.dataSync());
    // Adam's own step moves each weight by at most ~lr per step
    w0.forEach((v, i) => expect(Math.abs(w1[i] - v * shrink)).toBeLessThan(steps * 2e-6));
  });
});

describe('moving average of the weights (training.ema)', () => {
  const emaOf = (w: Map<string, import('@tensorflow/tfjs-core').Tensor>) => [...w.entries()].filter(([k]) => k.startsWith('@ema/'));

  it('is the average its decay says: ~ the last weights at decay -> 0, ~ the first at decay -> 1, which validation then scores', async () => {
    const fresh = await setup({ epochs: 1, ema: { decay: 0.999999 } });
    const initial = new Map([...fresh.model.namedVariables()].map(([k, v]) => [k, Array.from(v.dataSync())]));
    const untrainedVal = (await import('../src/index.js')).evaluateSplit(fresh.model, fresh.objective, fresh.dataset.val, 16, 500, new Random(`${fresh.manifest.seed}:eval:0`), { epoch: 1, step: 4 });
    const slow = tmp();
    await train({ ...fresh, outDir: slow, log: quiet, tty: false });
    const c = loadCheckpoint(path.join(slow, 'checkpoints', 'latest'));
    const shadow = emaOf(c.weights);
    expect(shadow.length).toBe(initial.size);
    for (const [k, t] of shadow) Array.from(t.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(initial.get(k.slice(5))![i], 4));
    // validation scored the average (the initial weights), not the trained ones
    const val = readMetrics(path.join(slow, 'metrics.jsonl')).find((m) => m.split === 'val')!;
    expect(val.loss as number).toBeCloseTo(untrainedVal.loss, 3);

    const fast = tmp();
    await train({ ...(await setup({ epochs: 1, ema: { decay: 1e-6 } })), outDir: fast, log: quiet, tty: false });
    const f = loadCheckpoint(path.join(fast, 'checkpoints', 'latest'));
    for (const [k, t] of emaOf(f.weights)) Array.from(t.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(f.weights.get(k.slice(5))!.dataSync()[i], 4));
  });

  it('resumes exactly: an interrupted run with an average equals the straight one, average included', async () => {
    const { wa } = await straightAndResumed({ ema: { decay: 0.9 }, learningRate: 0.01 });
    expect(emaOf(wa.weights).length).toBeGreaterThan(0);
  });
});
