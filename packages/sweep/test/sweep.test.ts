import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCK_STALE_MS, pidAlive } from '@vaeflow/core';
import {
  RunHeldError,
  SweepError,
  canonical,
  estimate,
  isDone,
  planSweep,
  readSweepFile,
  runOne,
  runPool,
  runStatus,
  selectRuns,
  setPointer,
  summarizeSweep,
  sweepMarkdown,
  tQuantile975,
  writePlan,
} from '../src/index';

// A dataset plugin loaded by path (4x4 stripes), shared with the CLI's tests.
const stripesPlugin = path.resolve(__dirname, '../../cli/test/fixtures/tiny-data-plugin.cjs');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-sweep-'));

const base = {
  plugins: [stripesPlugin],
  data: { type: 'stripes', n: 64 },
  model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] } },
  objective: { type: 'elbo' },
  training: { epochs: 2, batchSize: 16, samples: 0 },
};

function sweepFile(dir: string, sweep: Record<string, unknown>): string {
  const file = path.join(dir, 'test.sweep.json');
  fs.writeFileSync(file, JSON.stringify({ name: 'test', base, seeds: [1, 2], ...sweep }));
  return file;
}

describe('JSON pointers', () => {
  it('set nested values, create objects on the way, index and append to arrays, decode ~0 and ~1', () => {
    const m: Record<string, unknown> = { a: { b: 1 }, list: [1, 2] };
    setPointer(m, '/a/b', 2);
    setPointer(m, '/x/y/z', [3]);
    setPointer(m, '/list/0', 9);
    setPointer(m, '/list/-', 4);
    setPointer(m, '/we~1ird~0', true);
    expect(m).toEqual({ a: { b: 2 }, x: { y: { z: [3] } }, list: [9, 2, 4], 'we/ird~': true });
    expect(() => setPointer(m, '/list/7', 1)).toThrow(/not an index/);
    expect(() => setPointer(m, '/a/b/c', 1)).toThrow(/not an object/);
  });
});

describe('sweep files', () => {
  it('are rejected with located errors: unknown keys, bad pointers, duplicate names, an unknown baseline, bad JSON', () => {
    const dir = tmp();
    const bad = (s: Record<string, unknown>) => {
      try {
        readSweepFile(sweepFile(dir, s));
      } catch (e) {
        expect(e).toBeInstanceOf(SweepError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ sedes: [1] })).toMatch(/\/: unknown key "sedes"/);
    expect(bad({ grid: { 'objective/beta': [1] } })).toMatch(/\/grid/);
    expect(bad({ configurations: [{ name: 'a' }, { name: 'a' }] })).toMatch(/\/configurations\/1\/name: "a" names two configurations/);
    expect(bad({ configurations: [{ name: 'a' }], baseline: 'b' })).toMatch(/\/baseline: no configuration is named "b"/);
    expect(bad({ seeds: [] })).toMatch(/\/seeds/);
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "name": ');
    expect(() => readSweepFile(path.join(dir, 'broken.json'))).toThrow(/not valid JSON/);
  });

  it('expand configurations x grid x seeds into deterministic names and manifests, seed-major', async () => {
    const dir = tmp();
    const file = sweepFile(dir, {
      configurations: [{ name: 'small' }, { name: 'wide', set: { '/model/encoder/hidden': [16] } }],
      grid: { '/objective/beta': [1, 2] },
      out: path.join(dir, 'runs'),
    });
    const plan = await planSweep(file, { version: 'test' });
    expect(plan.runs.map((r) => r.name)).toEqual(['small_beta-1-s1', 'small_beta-2-s1', 'wide_beta-1-s1', 'wide_beta-2-s1', 'small_beta-1-s2', 'small_beta-2-s2', 'wide_beta-1-s2', 'wide_beta-2-s2']);
    const wide = plan.runs.find((r) => r.name === 'wide_beta-2-s2')!;
    expect(wide.configuration).toBe('wide_beta-2');
    expect(wide.manifest.seed).toBe(2);
    expect(wide.manifest.name).toBe('wide_beta-2-s2');
    expect(wide.manifest.model.encoder).toMatchObject({ type: 'mlp', hidden: [16] });
    expect((wide.manifest.objective as unknown as { beta: number }).beta).toBe(2);
    expect(wide.dir).toBe(path.join(dir, 'runs', 'wide_beta-2-s2'));
    // The same file plans the same runs.
    expect((await planSweep(file, { version: 'test' })).runs.map((r) => canonical(r.manifest))).toEqual(plan.runs.map((r) => canonical(r.manifest)));
    // Named grid values label the runs by name; `set` applies to every run.
    const named = await planSweep(sweepFile(dir, { set: { '/training/epochs': 3 }, grid: { '/model/prior': { std: { type: 'standard-normal' } } }, seeds: [1] }), { version: 'test' });
    expect(named.runs.map((r) => r.name)).toEqual(['base_prior-std-s1']);
    expect(named.runs[0].manifest.training.epochs).toBe(3);
  });

  it("cross a configuration with only the grid values it names ('only'), and name a wrong one", async () => {
    const dir = tmp();
    const grid = { '/model/prior': { std: { type: 'standard-normal' } }, '/objective/beta': [1, 2] };
    const plan = await planSweep(sweepFile(dir, { configurations: [{ name: 'all' }, { name: 'some', only: { '/objective/beta': ['2'] } }], grid, seeds: [1] }), { version: 'test' });
    expect(plan.runs.map((r) => r.name)).toEqual(['all_prior-std_beta-1-s1', 'all_prior-std_beta-2-s1', 'some_prior-std_beta-2-s1']);
    const bad = (only: Record<string, string[]>) => {
      try {
        readSweepFile(sweepFile(dir, { configurations: [{ name: 'a', only }], grid }));
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad({ '/model/prior': ['dp'] })).toMatch(/\/configurations\/0\/only\/~1model~1prior: the grid's \/model\/prior has no value named "dp" \(it has std\)/);
    expect(bad({ '/model/latentDim': ['2'] })).toMatch(/\/configurations\/0\/only\/~1model~1latentDim: the grid has no \/model\/latentDim/);
  });

  it('select runs to train by run name, configuration or * pattern, in plan order, and name an entry that matches nothing', async () => {
    const dir = tmp();
    const plan = await planSweep(sweepFile(dir, { configurations: [{ name: 'small' }, { name: 'wide', set: { '/model/encoder/hidden': [16] } }], seeds: [1, 2, 3] }), { version: 'test' });
    const names = (only?: string[]) => selectRuns(plan, only).runs.map((r) => r.name);
    expect(names()).toEqual(plan.runs.map((r) => r.name));
    expect(names(['wide-s3', 'small-s1'])).toEqual(['small-s1', 'wide-s3']);
    expect(names(['wide'])).toEqual(['wide-s1', 'wide-s2', 'wide-s3']);
    expect(names(['*-s2'])).toEqual(['small-s2', 'wide-s2']);
    expect(() => selectRuns(plan, ['wide', 'narrow*'])).toThrow(/--only: "narrow\*" matches no run or configuration; runs: small-s1, wide-s1/);
    expect(selectRuns(plan, ['small']).out).toBe(plan.out);
  });

  it('report every run that would fail validation, once per problem, naming the runs', async () => {
    const dir = tmp();
    const file = sweepFile(dir, { configurations: [{ name: 'ok' }, { name: 'typo', set: { '/model/encoder/hiden': [4] } }] });
    await expect(planSweep(file, { version: 'test' })).rejects.toThrow(
      /\/configurations\/1: manifest \/model\/encoder\/hiden: unknown key "hiden" \(did you mean "hidden"\?\).*\(runs typo-s1, typo-s2\)/s,
    );
  });

  it('write run folders, refuse to overwrite a run that holds a different manifest, and extend with more seeds', async () => {
    const dir = tmp();
    const out = path.join(dir, 'runs');
    const plan = await planSweep(sweepFile(dir, { out }), { version: 'test' });
    writePlan(plan);
    expect(fs.readdirSync(out).sort()).toEqual(['base-s1', 'base-s2', 'sweep.json']);
    const extended = await planSweep(sweepFile(dir, { out, seeds: [1, 2, 3] }), { version: 'test' });
    writePlan(extended);
    expect(fs.readdirSync(out).sort()).toEqual(['base-s1', 'base-s2', 'base-s3', 'sweep.json']);
    const changed = await planSweep(sweepFile(dir, { out, base: { ...base, training: { ...base.training, epochs: 3 } } }), { version: 'test' });
    const before = fs.readFileSync(path.join(out, 'sweep.json'), 'utf8');
    expect(() => writePlan(changed)).toThrow(/base-s1.*holds a different manifest/);
    expect(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')).toBe(before);
  });
});

describe('statistics', () => {
  it("count a run as evaluated only with the sweep's K and number of examples: a prefix is not the whole test set", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'sweep-result.json'), '{}');
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), `${JSON.stringify({ epoch: 2, split: 'test', n: 10, loss: 1 })}\n`);
    const evaluated = (ev: Record<string, unknown>) => fs.writeFileSync(path.join(dir, 'eval.json'), JSON.stringify(ev));
    evaluated({ k: 5, n: 4 });
    expect(isDone(dir, { k: 5 })).toBe(false);
    expect(isDone(dir, { k: 5, limit: 4 })).toBe(true);
    expect(isDone(dir, { k: 50, limit: 4 })).toBe(false);
    evaluated({ k: 5, n: 10 });
    expect(isDone(dir, { k: 5 })).toBe(true);
    // a limit above the split's size means the whole split
    expect(isDone(dir, { k: 5, limit: 100 })).toBe(true);
    expect(isDone(dir, null)).toBe(true);
  });

  it('give known t quantiles and intervals', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(2)).toBe(4.303);
    expect(Math.abs(tQuantile975(60) - 2.0003)).toBeLessThan(0.002);
    const e = estimate([1, 2, 3]);
    expect(e.mean).toBe(2);
    expect(e.half).toBeCloseTo((4.303 * 1) / Math.sqrt(3), 10);
    expect(estimate([5]).half).toBeNaN();
    expect(estimate([NaN, 1]).n).toBe(1);
  });

  it('summarise a finished sweep: means, intervals, paired differences by seed, markdown', async () => {
    const dir = tmp();
    const out = path.join(dir, 'runs');
    const plan = await planSweep(sweepFile(dir, { out, configurations: [{ name: 'a' }, { name: 'b' }], seeds: [1, 2, 3] }), { version: 'test' });
    writePlan(plan);
    // Synthetic results: b = a + 1 + small seed noise; a = 100 + seed.
    for (const run of plan.runs) {
      const elbo = -(100 + run.seed + (run.configuration === 'b' ? 1 + 0.1 * run.seed : 0));
      const lines = [
        { epoch: 1, split: 'train', elbo, kl: 5, examplesPerSec: 1000 },
        { epoch: 1, split: 'val', elbo },
        { epoch: 1, split: 'test', elbo, kl: 5 },
      ];
      fs.writeFileSync(path.join(run.dir, 'metrics.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
      fs.writeFileSync(path.join(run.dir, 'sweep-result.json'), JSON.stringify({ seconds: 60, parameters: 10 }));
    }
    const s = summarizeSweep(out);
    expect(s.baseline).toBe('a');
    expect(s.rows[0].metrics.testNegElbo.mean).toBeCloseTo(102, 10);
    expect(s.rows[0].metrics.testNegElbo.half).toBeCloseTo(4.303 / Math.sqrt(3), 10);
    const d = s.differences[0].metrics.testNegElbo;
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(1.2, 10);
    expect(d.half).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 8); // the seed effect cancels in the pairs
    const md = sweepMarkdown(s);
    expect(md).toContain('| a | 3 | 102.00 ± 2.48 |');
    expect(md).toContain('| b | 3 | +1.20 ± 0.25 |');
  });
});

describe('the runner', () => {
  /**
   * A stand-in for the CLI in `dir`, and a run folder beside it: train writes a test line; eval
   * writes eval.json with the arguments it got, or (hangingEval) writes its pid to eval.pid and
   * never ends, as a long evaluation that does not watch its stdin. Every command is appended to
   * `calls`.
   */
  const fakeCli = (dir: string, o: { hangingEval?: boolean } = {}) => {
    const fake = path.join(dir, 'fake-cli.cjs');
    const pidFile = path.join(dir, 'eval.pid');
    fs.writeFileSync(
      fake,
      `const fs = require('node:fs'), path = require('node:path');
const [cmd, where, ...rest] = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(path.join(dir, 'calls'))}, cmd + '\\n');
if (cmd === 'train') fs.writeFileSync(path.join(rest[rest.indexOf('--out') + 1], 'metrics.jsonl'), JSON.stringify({ epoch: 1, split: 'test', n: 10 }) + '\\n');
else if (${o.hangingEval === true}) { fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => undefined, 1000); }
else fs.writeFileSync(path.join(where, 'eval.json'), JSON.stringify({ k: 5, n: 10, args: rest }));
`,
    );
    const run = path.join(dir, 'run');
    fs.mkdirSync(run);
    const evalPid = async () => {
      for (let i = 0; i < 200 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
      return Number(fs.readFileSync(pidFile, 'utf8'));
    };
    return { fake, run, evalPid };
  };

  it("passes the sweep's evaluation settings to vaeflow eval, --max-rows included", async () => {
    const { fake, run } = fakeCli(tmp());
    await runOne(run, { cli: [process.execPath, fake], threads: 1, eval: { k: 5, maxRows: 64 } });
    const { args } = JSON.parse(fs.readFileSync(path.join(run, 'eval.json'), 'utf8'));
    expect(args).toEqual(['--k', '5', '--max-rows', '64', '--threads', '1']);
    expect(isDone(run, { k: 5, maxRows: 64 })).toBe(true);
  });

  it('leaves a run another live process holds alone (two sweeps over one folder), and takes over the lock of a dead one', async () => {
    const dir = tmp();
    const { fake, run } = fakeCli(dir);
    const lock = path.join(run, 'sweep-lock.json');
    const held = { host: os.hostname(), pid: process.pid, started: 'now' };
    fs.writeFileSync(lock, JSON.stringify(held));
    await expect(runOne(run, { cli: [process.execPath, fake], threads: 1 })).rejects.toThrow(RunHeldError);
    expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toEqual(held); // its lock untouched
    expect(fs.existsSync(path.join(run, 'sweep-error.json'))).toBe(false); // and not marked failed
    expect(fs.existsSync(path.join(dir, 'calls'))).toBe(false); // nothing ran
    // The pool says so and counts it apart from failures.
    const plan = { sweep: { name: 'held', configurations: [], seeds: [1] }, out: dir, runs: [{ name: 'run', dir: run }] } as unknown as Parameters<typeof runPool>[0];
    const lines: string[] = [];
    const r = await runPool(plan, { cli: [process.execPath, fake], workers: 1, threads: 1, tty: false, log: (l) => lines.push(l) });
    expect(r).toMatchObject({ done: [], failed: [], held: ['run'] });
    expect(lines.join('\n')).toMatch(new RegExp(`run skipped: run is being run by process ${process.pid} on ${os.hostname()}`));
    // A lock whose process has died is taken over, and removed when the run is done.
    fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 12345, started: 'then' }));
    await runOne(run, { cli: [process.execPath, fake], threads: 1 });
    expect(fs.readFileSync(path.join(dir, 'calls'), 'utf8')).toBe('train\n');
    expect(fs.existsSync(lock)).toBe(false);
    // A worker on another machine holds it while it touches the lock; once it has not for
    // LOCK_STALE_MS (that machine died), the run is taken over, so a retried job can finish it.
    fs.rmSync(path.join(run, 'metrics.jsonl'));
    fs.writeFileSync(lock, JSON.stringify({ host: 'another-machine', pid: 1, started: 'then' }));
    await expect(runOne(run, { cli: [process.execPath, fake], threads: 1 })).rejects.toThrow(/being run by process 1 on another-machine/);
    expect(runStatus(run)).toMatchObject({ state: 'running', where: 'another-machine pid 1' });
    const old = new Date(Date.now() - LOCK_STALE_MS - 60_000);
    fs.utimesSync(lock, old, old);
    expect(runStatus(run).state).toBe('pending');
    await runOne(run, { cli: [process.execPath, fake], threads: 1 });
    expect(fs.readFileSync(path.join(dir, 'calls'), 'utf8')).toBe('train\ntrain\n');
    expect(fs.existsSync(lock)).toBe(false);
  });

  // A sweep of one run whose evaluation never ends.
  const hangingEval = (dir: string) => ({
    ...fakeCli(dir, { hangingEval: true }),
    plan: { sweep: { name: 'stop', configurations: [], seeds: [1], eval: { k: 5 } }, out: dir, runs: [{ name: 'run', dir: path.join(dir, 'run') }] },
  });

  it("a stopped pool ends its runs' children, counts them as stopped, not failed, and leaves them to resume", async () => {
    const { fake, run, plan, evalPid } = hangingEval(tmp());
    const stop = new AbortController();
    const pool = runPool(plan as unknown as Parameters<typeof runPool>[0], {
      cli: [process.execPath, fake],
      workers: 1,
      threads: 1,
      eval: { k: 5 },
      tty: false,
      log: () => undefined,
      signal: stop.signal,
    });
    const pid = await evalPid();
    expect(pidAlive(pid)).toBe(true);
    stop.abort();
    const r = await pool;
    expect(r).toMatchObject({ done: [], failed: [], stopped: ['run'] });
    expect(pidAlive(pid)).toBe(false);
    expect(fs.existsSync(path.join(run, 'sweep-error.json'))).toBe(false);
    expect(fs.existsSync(path.join(run, 'sweep-lock.json'))).toBe(false);
    expect(isDone(run, { k: 5 })).toBe(false);
  });

  it('SIGTERM to a sweep ends its evaluation child too, then the sweep as the signal would have', async () => {
    const { fake, run, plan, evalPid } = hangingEval(tmp());
    // The built package (tests run after the build), in a process of its own to signal.
    const dist = path.resolve(__dirname, '../dist/index.js');
    const script = `require(${JSON.stringify(dist)}).runPool(${JSON.stringify(plan)}, { cli: [process.execPath, ${JSON.stringify(fake)}], workers: 1, threads: 1, eval: { k: 5 }, tty: false }).then(() => console.log('returned'));`;
    const sweep = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sweep.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sweep.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await evalPid();
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => sweep.on('close', (code, signal) => resolve({ code, signal })));
    sweep.kill('SIGTERM');
    expect(await ended).toEqual({ code: null, signal: 'SIGTERM' });
    expect(out).toContain('SIGTERM: stopping the runs in progress');
    expect(out).not.toContain('returned');
    expect(pidAlive(pid)).toBe(false);
    expect(fs.existsSync(path.join(run, 'sweep-error.json'))).toBe(false);
  });
});
