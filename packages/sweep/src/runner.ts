import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findCheckpoint, HEARTBEAT_MS, LOCK_STALE_MS, lockHolder, readMetrics, type StepProgress, tryLock } from '@vaeflow/core';
import type { SweepEval } from './plan';

/**
 * How a run is carried out: `vaeflow train` (and `vaeflow eval`) in a child process, so that a
 * worker's own event loop stays free (queue lock renewals, progress) and a crash of one run
 * cannot take the worker down. A training child exits when its parent dies (its stdin closes);
 * an evaluation cannot watch its stdin (its loop does not yield), so stopping a sweep goes
 * through `signal`.
 */
export interface RunnerOptions {
  /** the command that starts the vaeflow CLI, e.g. [process.execPath, '/path/to/bin/vaeflow.js'] */
  cli: string[];
  /** threads for the native kernels of each run */
  threads: number;
  /** evaluate after training (`vaeflow eval --k`) */
  eval?: SweepEval | null;
  onProgress?: (p: StepProgress) => void;
  /** extra environment for the child */
  env?: NodeJS.ProcessEnv;
  /** aborting it ends the run's child (SIGTERM); the run is left to resume, not marked failed */
  signal?: AbortSignal;
}

export type RunState = 'done' | 'running' | 'failed' | 'pending';

export interface RunStatus {
  state: RunState;
  /** the error of the last failed attempt */
  error?: string;
  /** the epoch reached, from metrics.jsonl */
  epoch?: number;
  /** where a running run is running */
  where?: string;
}

const files = (dir: string) => ({
  metrics: path.join(dir, 'metrics.jsonl'),
  evaluation: path.join(dir, 'eval.json'),
  lock: path.join(dir, 'sweep-lock.json'),
  error: path.join(dir, 'sweep-error.json'),
  result: path.join(dir, 'sweep-result.json'),
});

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Training finished (a test line) and, when asked for, the evaluation with the same settings. */
export function isDone(dir: string, evaluation?: SweepEval | null): boolean {
  const f = files(dir);
  if (!fs.existsSync(f.result) || !fs.existsSync(f.metrics)) return false;
  const test = readMetrics(f.metrics).find((m) => m.split === 'test');
  if (!test) return false;
  return !evaluation || isDoneEval(f.evaluation, evaluation, typeof test.n === 'number' ? test.n : undefined);
}

/** A run's state from its folder alone (the local pool's view; the queue adds its own). */
export function runStatus(dir: string, evaluation?: SweepEval | null): RunStatus {
  const f = files(dir);
  const epochs = fs.existsSync(f.metrics)
    ? readMetrics(f.metrics)
        .filter((m) => m.split === 'train')
        .map((m) => m.epoch)
    : [];
  const epoch = epochs.length ? Math.max(...epochs) : undefined;
  if (isDone(dir, evaluation)) return { state: 'done', epoch };
  const { holder, owner } = lockHolder(f.lock);
  if (holder) return { state: 'running', epoch, where: owner ? `${owner.host} pid ${owner.pid}` : holder };
  const error = readJson<{ error: string }>(f.error);
  if (error) return { state: 'failed', error: error.error, epoch };
  return { state: 'pending', epoch };
}

/** Runs one child process; JSON lines on stdout go to onLine; rejects with the last lines of stderr. */
function child(command: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new Error('the sweep was stopped'));
  return new Promise((resolve, reject) => {
    const proc = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env, signal, killSignal: 'SIGTERM' });
    let buffer = '';
    const errTail: string[] = [];
    proc.stdout.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    });
    proc.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString('utf8').split(/\r|\n/)) {
        if (!line.trim()) continue;
        errTail.push(line);
        if (errTail.length > 30) errTail.shift();
      }
    });
    proc.on('error', (e) => (e.name === 'AbortError' ? undefined : reject(e))); // an abort is reported by 'close'
    proc.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const said = errTail
        .filter((l) => !/^(epoch \d|IWAE|vaeflow: backend)/.test(l))
        .slice(-6)
        .join('\n');
      reject(new Error(`${path.basename(command[1] ?? command[0])} ${command[2]} ${signal ? `was killed (${signal})` : `exited with ${code}`}${said ? `:\n${said}` : ''}`));
    });
  });
}

/** Thrown by {@link runOne} when another live process (here or on another machine) holds the run: not a failure of the run. */
export class RunHeldError extends Error {
  constructor(
    readonly dir: string,
    readonly where: string,
  ) {
    super(
      `${path.basename(dir)} is being run by ${where} (a lock nobody touches for ${LOCK_STALE_MS / 60_000} minutes is taken over; if that process does not exist, the lock was copied from elsewhere: delete ${path.join(dir, 'sweep-lock.json')})`,
    );
    this.name = 'RunHeldError';
  }
}

/**
 * Trains one run in its folder (resuming from its last checkpoint if it has one), then
 * evaluates it when asked. Holds `sweep-lock.json` while it works (another live process holding
 * it: {@link RunHeldError}, and nothing is touched), writes `sweep-result.json` when it is done,
 * and `sweep-error.json` (and rethrows) when it fails.
 */
export async function runOne(dir: string, o: RunnerOptions): Promise<{ seconds: number; parameters?: number; resumed: boolean }> {
  const f = files(dir);
  const started = Date.now();
  // Exclusive, so two sweeps over one folder cannot both run it; a dead holder's lock (its
  // process gone here, or untouched for LOCK_STALE_MS on another machine) is taken over.
  const taken = tryLock(f.lock);
  if ('holder' in taken) throw new RunHeldError(dir, taken.holder);
  const heartbeat = setInterval(() => taken.lock.heartbeat(), HEARTBEAT_MS / 3);
  heartbeat.unref();
  const env = { ...process.env, ...o.env };
  let parameters: number | undefined;
  // A run with any checkpoint resumes (the trainer falls back from latest to best); a fresh one
  // replaces what an attempt that died before its first checkpoint left (--force).
  const resumed = findCheckpoint(path.join(dir, 'checkpoints', 'latest')) != null || findCheckpoint(path.join(dir, 'checkpoints', 'best')) != null;
  try {
    const trained = fs.existsSync(f.metrics) && readMetrics(f.metrics).some((m) => m.split === 'test');
    if (!trained) {
      const args = ['train', path.join(dir, 'manifest.json'), '--out', dir, '--threads', String(o.threads), '--progress-json', '--exit-with-parent', resumed ? '--resume' : '--force'];
      await child(
        [...o.cli, ...args],
        env,
        (line) => {
          if (!line.startsWith('{')) return;
          const m = JSON.parse(line);
          if (m.type === 'start') parameters = m.parameters;
          if (m.type === 'progress') o.onProgress?.(m);
        },
        o.signal,
      );
    }
    const testN = readMetrics(f.metrics).find((m) => m.split === 'test')?.n;
    if (o.eval && !isDoneEval(f.evaluation, o.eval, typeof testN === 'number' ? testN : undefined)) {
      await child(
        [
          ...o.cli,
          'eval',
          dir,
          '--k',
          String(o.eval.k),
          ...(o.eval.limit ? ['--limit', String(o.eval.limit)] : []),
          ...(o.eval.exPostGmm ? ['--ex-post-gmm', String(o.eval.exPostGmm)] : []),
          ...(o.eval.maxRows ? ['--max-rows', String(o.eval.maxRows)] : []),
          '--threads',
          String(o.threads),
        ],
        env,
        () => undefined,
        o.signal,
      );
    }
    const result = { seconds: (Date.now() - started) / 1000, parameters, resumed, host: os.hostname(), finished: new Date().toISOString() };
    fs.writeFileSync(f.result, `${JSON.stringify(result, null, 2)}\n`);
    fs.rmSync(f.error, { force: true });
    return result;
  } catch (e) {
    if (!o.signal?.aborted) fs.writeFileSync(f.error, `${JSON.stringify({ error: (e as Error).message, host: os.hostname(), at: new Date().toISOString() }, null, 2)}\n`);
    throw e;
  } finally {
    clearInterval(heartbeat);
    taken.lock.release();
  }
}

/**
 * eval.json matches the sweep's settings: the same K, the same number of examples (the limit, or
 * without one the whole test split, whose size the training's test line gives: an evaluation on
 * a prefix does not count for the whole set) and the same ex-post mixture.
 */
function isDoneEval(file: string, evaluation: SweepEval, testN: number | undefined): boolean {
  const ev = readJson<{ k?: number; n?: number; exPostGmm?: { components?: number } }>(file);
  const n = evaluation.limit !== undefined ? Math.min(evaluation.limit, testN ?? Infinity) : testN;
  return ev != null && ev.k === evaluation.k && (n === undefined || ev.n === n) && (evaluation.exPostGmm === undefined || ev.exPostGmm?.components === evaluation.exPostGmm);
}
