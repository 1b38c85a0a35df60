import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import CRC32C from 'crc-32/crc32c';
import { Random, buildFromManifest, buildLoggers, createRegistry, defineComponent, definePlugin, resolveManifest, selectBackend, train, type Dataset } from '@vaeflow/core';
import { EVENTS_FOLDER, decodeEvent, frameRecord, maskedCrc32c, plugin, readRecords } from '../src/index.js';

describe('tfevents records', () => {
  it('use CRC-32C (check value of "123456789" is 0xE3069283) with TensorBoard\'s mask, and read back', () => {
    expect(CRC32C.str('123456789') >>> 0).toBe(0xe3069283);
    const crc = 0xe3069283;
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
    const payloads = [Buffer.from('first'), Buffer.alloc(0), Buffer.from('third record')];
    const file = Buffer.concat(payloads.map((p) => frameRecord(p)));
    expect(readRecords(file).map((r) => Buffer.from(r).toString())).toEqual(['first', '', 'third record']);
    const damaged = Buffer.from(file);
    damaged[14] ^= 1;
    expect(() => readRecords(damaged)).toThrow(/payload's CRC does not match/);
    expect(readRecords(file.subarray(0, file.length - 3)).length).toBe(2); // a torn last record
  });
});

const stripes = definePlugin({
  name: 'stripes-data',
  version: '1.0.0',
  components: [
    defineComponent<Dataset>({
      kind: 'dataset',
      type: 'stripes',
      description: 'horizontal stripes on a 4x4 grid',
      schema: { properties: {} },
      create: () => {
        const rng = new Random('stripes');
        const split = (n: number) => {
          const x = new Float32Array(n * 16);
          for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) x[i * 16 + rng.int(4) * 4 + j] = 1;
          return { x, n };
        };
        return { name: 'stripes', inputShape: [16], valueKind: 'binary', train: split(128), val: split(32), test: split(32), prepareTrainBatch: () => undefined };
      },
    }),
  ],
});

async function run(outDir: string, epochs: number, resume: boolean) {
  const registry = createRegistry(stripes, plugin);
  const manifest = resolveManifest(
    {
      seed: 3,
      data: { type: 'stripes' },
      model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] } },
      loggers: [{ type: 'tensorboard', every: 2 }],
      training: { epochs, batchSize: 16, samples: 0 },
    },
    registry,
  );
  const built = await buildFromManifest(registry, manifest);
  const loggers = await buildLoggers(registry, manifest);
  await train({ manifest, model: built.model, objective: built.objective, dataset: built.dataset, outDir, resume, loggers, log: () => undefined, tty: false });
}

const events = (file: string) => readRecords(fs.readFileSync(file)).map(decodeEvent);

describe('the tensorboard logger', () => {
  it('writes step, train, val and test scalars that read back with the event schema; a resumed session starts with SessionLog START', async () => {
    await selectBackend('cpu', { log: null });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-tb-'));
    await run(out, 2, false);
    const dir = path.join(out, EVENTS_FOLDER);
    const [first] = fs.readdirSync(dir);
    expect(first).toMatch(/^events\.out\.tfevents\.\d+\./);
    const e = events(path.join(dir, first));
    expect(e[0].file_version).toBe('brain.Event:2');
    const tags = (prefix: string) => e.flatMap((ev) => ev.summary?.value.filter((v) => v.tag.startsWith(prefix)).map((v) => `${ev.step}:${v.tag}`) ?? []);
    // 128 examples / 16 = 8 steps per epoch, every 2 steps: steps 2, 4, ..., 16
    expect([...new Set(tags('step/loss'))]).toEqual([2, 4, 6, 8, 10, 12, 14, 16].map((s) => `${s}:step/loss`));
    expect(tags('step/').some((t) => t.endsWith('step/gradNorm'))).toBe(true);
    expect(tags('val/elbo')).toEqual(['8:val/elbo', '16:val/elbo']);
    expect(tags('test/elbo').length).toBe(1);
    const valElbo = e.find((ev) => ev.step === 16 && ev.summary?.value.some((v) => v.tag === 'val/elbo'))!.summary!.value.find((v) => v.tag === 'val/elbo')!.simple_value;
    const metrics = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(valElbo).toBeCloseTo(metrics.find((m) => m.split === 'val' && m.epoch === 2).elbo, 3);

    // Extend the run by one epoch: a second file, opened with START at the resumed step.
    await new Promise((r) => setTimeout(r, 1100)); // file names carry the second
    await run(out, 3, true);
    const files = fs.readdirSync(dir).sort();
    expect(files.length).toBe(2);
    const second = events(path.join(dir, files[1]));
    expect(second[1]).toMatchObject({ step: 16, session_log: { status: 1 } });
    expect(second.some((ev) => ev.step === 24 && ev.summary?.value.some((v) => v.tag === 'val/elbo'))).toBe(true);
  });
});
