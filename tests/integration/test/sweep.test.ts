import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { planSweep, sweepStatus, writePlan, enqueueSweep } from '@vaeflow/sweep';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'packages/cli/bin/vaeflow.js');
const stripesPlugin = path.join(root, 'packages/cli/test/fixtures/tiny-data-plugin.cjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-sweep-it-'));

/**
 * 2 configurations x 2 seeds of a small model on 4x4 stripes: a few seconds a run, 8 epochs, a checkpoint each.
 * Every sweep here trains with one native thread a run (`--threads 1`, a worker's default): results
 * are equal line for line only at one thread count, since OpenBLAS's products on 2+ threads sum in
 * another order on some CPUs (an AMD EPYC with its Haswell kernels: 10,174 of 65,536 values of a
 * 128 x 784 x 512 product differ in the last bits).
 */
function writeSweep(name: string): string {
  const file = path.join(dir, `${name}.sweep.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      name,
      base: {
        plugins: [stripesPlugin],
        data: { type: 'stripes', n: 6144 },
        model: { latentDim: 2, encoder: { type: 'mlp', hidden: [128, 128] }, decoder: { type: 'mlp', hidden: [128, 128] } },
        objective: { type: 'elbo' },
        training: { epochs: 8, batchSize: 32, samples: 0 },
      },
      configurations: [{ name: 'diagonal' }, { name: 'beta2', set: { '/objective/beta': 2 } }],
      seeds: [1, 2],
    }),
  );
  return file;
}

function vaeflow(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
}

/** metrics.jsonl of every run, without the fields that measure time or memory. */
function results(folder: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const run of fs.readdirSync(folder).filter((d) => fs.existsSync(path.join(folder, d, 'metrics.jsonl')))) {
    out[run] = fs
      .readFileSync(path.join(folder, run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const { examplesPerSec: _e, seconds: _s, rssMiB: _r, tensorMiB: _t, ...rest } = JSON.parse(l);
        return rest;
      });
  }
  return out;
}

const redisServer = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, f: () => T | Promise<T>, timeoutMs: number, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('sweeps with the embedded pool', () => {
  it('run the runs --only names first, then every other run once, skip finished runs when re-run, and report intervals', () => {
    const file = writeSweep('pooled');
    const first = vaeflow(['sweep', file, '--workers', '2', '--threads', '1', '--out', 'pool', '--only', '*-s1']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/2 done, 0 already done, 0 failed/);
    expect(vaeflow(['sweep', 'status', 'pool']).stdout.split('\n')[0]).toBe('2 done, 0 running, 2 queued/pending, 0 failed');
    const r = vaeflow(['sweep', file, '--workers', '2', '--threads', '1', '--out', 'pool']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 done, 2 already done, 0 failed/);
    const again = vaeflow(['sweep', file, '--workers', '2', '--threads', '1', '--out', 'pool']);
    expect(again.stdout).toMatch(/0 done, 4 already done, 0 failed/);
    const report = vaeflow(['sweep', 'report', 'pool', '--html', 'pool/report.html']);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/\| diagonal \| 2 \| \d+\.\d\d ± \d+\.\d\d \|/);
    expect(report.stdout).toMatch(/\| beta2 \| 2 \| [+-]\d+\.\d\d ± \d+\.\d\d \|/);
    expect(fs.readFileSync(path.join(dir, 'pool/report.html'), 'utf8')).toContain('Paired differences to diagonal');
    const compared = vaeflow(['compare', 'pool', '--out', 'pool/compare.html']);
    expect(compared.status, compared.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'pool/compare.html'), 'utf8')).toContain('Validation curves (mean over seeds, 95% band)');
    const status = vaeflow(['sweep', 'status', 'pool']);
    expect(status.stdout.split('\n')[0]).toBe('4 done, 0 running, 0 queued/pending, 0 failed');
  });
});

describe('a sweep carried across work sessions in git (results/README.md)', () => {
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
    expect(r.status, `git ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  it('killed mid-run, carried over and committed, then resumed in a fresh clone: the results equal an uninterrupted run', async () => {
    const file = writeSweep('pooled'); // the pool's sweep: its results are the reference
    if (!fs.existsSync(path.join(dir, 'pool', 'sweep.json'))) expect(vaeflow(['sweep', file, '--workers', '2', '--threads', '1', '--out', 'pool']).status).toBe(0);
    const first = path.join(dir, 'session-1');
    fs.mkdirSync(path.join(first, 'results'), { recursive: true });
    fs.copyFileSync(path.join(root, 'results', '.gitignore'), path.join(first, 'results', '.gitignore'));
    git(first, 'init', '-q');
    git(first, 'config', 'user.email', 'test@example.org');
    git(first, 'config', 'user.name', 'test');
    const folder = path.join(first, 'results', 'pooled');
    // Own process group, so that killing it takes its trainings too (a session that ends).
    const sweep = spawn(process.execPath, [bin, 'sweep', file, '--workers', '1', '--threads', '1', '--out', folder], { cwd: first, detached: true, stdio: 'ignore' });
    await waitFor(
      'a finished run and one with a checkpoint',
      () => {
        const runs = fs.existsSync(folder) ? fs.readdirSync(folder) : [];
        const done = runs.some((r) => fs.existsSync(path.join(folder, r, 'sweep-result.json')));
        const partway = runs.some((r) => !fs.existsSync(path.join(folder, r, 'sweep-result.json')) && fs.existsSync(path.join(folder, r, 'checkpoints', 'latest', 'model.json')));
        return done && partway;
      },
      120_000,
      20,
    );
    process.kill(-sweep.pid!, 'SIGKILL');
    await waitFor('the sweep to die', () => sweep.exitCode !== null || sweep.signalCode !== null, 10_000);

    // Checkpoint files over --max-mb are left out (that run restarts instead); a dry run changes nothing.
    const over = spawnSync(process.execPath, [path.join(root, 'scripts', 'carry-over.mjs'), folder, '--max-mb', '0', '--dry-run'], { cwd: first, encoding: 'utf8' });
    expect(over.status, over.stderr).toBe(0);
    expect(over.stdout).toMatch(/is over --max-mb 0; left out, so this run restarts next session/);
    expect(over.stdout).not.toMatch(/git add -f/);
    const carried = spawnSync(process.execPath, [path.join(root, 'scripts', 'carry-over.mjs'), folder], { cwd: first, encoding: 'utf8' });
    expect(carried.status, carried.stderr).toBe(0);
    git(first, 'commit', '-qm', 'session 1');
    const tracked = git(first, 'ls-files').split('\n');
    // Finished runs keep their small files only; an unfinished one its checkpoints too; locks and samples never.
    const finished = fs.readdirSync(folder).filter((r) => fs.existsSync(path.join(folder, r, 'sweep-result.json')));
    for (const r of finished) expect(tracked.filter((f) => f.startsWith(`results/pooled/${r}/checkpoints/`))).toEqual([]);
    expect(tracked.some((f) => /^results\/pooled\/[^/]+\/checkpoints\/latest\/weights\.bin$/.test(f))).toBe(true);
    expect(tracked.filter((f) => /sweep-lock|\.vaeflow-lock|samples\//.test(f))).toEqual([]);

    const second = path.join(dir, 'session-2');
    spawnSync('git', ['clone', '-q', first, second]);
    const resumed = vaeflow(['sweep', file, '--workers', '2', '--threads', '1', '--out', path.join(second, 'results', 'pooled')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`${4 - finished.length} done, ${finished.length} already done, 0 failed`));
    expect(results(path.join(second, 'results', 'pooled'))).toEqual(results(path.join(dir, 'pool')));
    // The unfinished runs went on from their committed checkpoints instead of starting again.
    const partway = tracked.filter((f) => f.endsWith('/checkpoints/latest/weights.bin')).map((f) => f.split('/')[2]);
    for (const r of partway) expect(JSON.parse(fs.readFileSync(path.join(second, 'results', 'pooled', r, 'sweep-result.json'), 'utf8')).resumed, r).toBe(true);
  });
});

describe.skipIf(!redisServer)(`sweeps on a Redis queue${redisServer ? '' : " (skipped: redis-server is not installed; .ci/run installs Debian's)"}`, () => {
  let port = 0;
  let redis: ChildProcess | null = null;
  const redisDir = path.join(dir, 'redis');
  const workers: { proc: ChildProcess; log: string[] }[] = [];
  const url = () => `redis://127.0.0.1:${port}`;

  async function startRedis() {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
    await waitFor('redis', () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', 10_000);
  }

  function startWorker(): { proc: ChildProcess; log: string[] } {
    // Own process group, so that killing it takes the run it is training too (a lost machine).
    const proc = spawn(process.execPath, [bin, 'worker', '--queue', url(), '--queue-name', 'it', '--lock-seconds', '2'], { cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const log: string[] = [];
    proc.stderr!.on('data', (d: Buffer) => log.push(...d.toString('utf8').split('\n').filter(Boolean)));
    const w = { proc, log };
    workers.push(w);
    return w;
  }

  beforeAll(async () => {
    port = await freePort();
    fs.mkdirSync(redisDir, { recursive: true });
    await startRedis();
  });

  afterAll(() => {
    for (const w of workers)
      if (w.proc.exitCode === null)
        try {
          process.kill(-w.proc.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
    redis?.kill('SIGKILL');
  });

  it("two workers finish every run despite one SIGKILLed mid-run and a Redis restart; results equal the pool's", async () => {
    const file = writeSweep('pooled'); // the same sweep as the pool's, into another folder
    const queued = vaeflow(['sweep', file, '--out', 'queued', '--queue', url(), '--queue-name', 'it']);
    expect(queued.status, queued.stderr).toBe(0);
    expect(queued.stdout).toMatch(/queued 4,/);
    const folder = path.join(dir, 'queued');
    const a = startWorker();
    const b = startWorker();

    // Kill whichever worker is training a run that has checkpointed at least one epoch.
    const victim = await waitFor(
      'a run with a checkpoint',
      () => {
        for (const run of fs.readdirSync(folder)) {
          const lock = path.join(folder, run, 'sweep-lock.json');
          const metrics = path.join(folder, run, 'metrics.jsonl');
          if (!fs.existsSync(lock) || !fs.existsSync(metrics)) continue;
          const lines = fs.readFileSync(metrics, 'utf8');
          if (fs.existsSync(path.join(folder, run, 'checkpoints', 'latest', 'model.json')) && !lines.includes('"split":"test"')) {
            try {
              return { run, pid: JSON.parse(fs.readFileSync(lock, 'utf8')).pid as number };
            } catch {
              return null;
            }
          }
        }
        return null;
      },
      60_000,
      20,
    );
    const killed = [a, b].find((w) => w.proc.pid === victim.pid)!;
    expect(killed, 'the lock names a worker process').toBeDefined();
    process.kill(-victim.pid, 'SIGKILL');

    // Restart Redis while the other worker is busy: it must reconnect and carry on.
    spawnSync('redis-cli', ['-p', String(port), 'shutdown']);
    await waitFor('redis to stop', () => redis!.exitCode !== null, 10_000);
    await sleep(500);
    await startRedis();

    await waitFor('every run to finish', async () => (await sweepStatus(folder)).every((r) => r.state === 'done'), 180_000, 500);
    const status = await sweepStatus(folder, url(), { queueName: 'it' });
    expect(status.map((r) => `${r.name}:${r.state}:${r.queue}`).sort()).toEqual(['beta2-s1', 'beta2-s2', 'diagonal-s1', 'diagonal-s2'].map((n) => `${n}:done:completed`));
    // The killed run was taken up again and resumed from its checkpoint, not restarted.
    const resumed = JSON.parse(fs.readFileSync(path.join(folder, victim.run, 'sweep-result.json'), 'utf8'));
    expect(resumed.resumed).toBe(true);
    // No run finished twice.
    const finished = workers.flatMap((w) => w.log.filter((l) => / done in /.test(l)).map((l) => l.replace(/^.*: (\S+) done in.*$/, '$1')));
    expect(finished.sort()).toEqual(['pooled/beta2-s1', 'pooled/beta2-s2', 'pooled/diagonal-s1', 'pooled/diagonal-s2']);
    // Deterministic runs: the queue's results (the killed one included) equal the pool's, line for line.
    expect(results(folder)).toEqual(results(path.join(dir, 'pool')));
  });

  it('a worker of another version fails the job saying so; an unreachable Redis is one clear error and writes nothing', async () => {
    const file = writeSweep('versioned');
    const plan = await planSweep(file, { out: path.join(dir, 'versioned'), version: 'vaeflow 0.0.0-other' });
    writePlan(plan);
    await enqueueSweep({ ...plan, runs: plan.runs.slice(0, 1) }, url(), { queueName: 'it' });
    const rows = await waitFor(
      'the job to fail',
      async () => {
        const s = await sweepStatus(plan.out, url(), { queueName: 'it' });
        return s.find((r) => r.name === plan.runs[0].name && r.state === 'failed') ? s : null;
      },
      30_000,
      200,
    );
    expect(rows.find((r) => r.name === plan.runs[0].name)!.error).toMatch(/this worker runs @vaeflow\/cli .* but the sweep was queued with vaeflow 0\.0\.0-other/);

    const unreachable = vaeflow(['sweep', file, '--out', 'nowhere', '--queue', 'redis://127.0.0.1:1']);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1: /);
    expect(fs.existsSync(path.join(dir, 'nowhere'))).toBe(false);
  });
});
