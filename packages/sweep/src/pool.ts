import * as os from 'node:os';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { SweepPlan } from './plan';
import { isDone, RunHeldError, runOne, type RunnerOptions } from './runner';

export interface PoolOptions extends Omit<RunnerOptions, 'onProgress' | 'threads'> {
  /** worker processes at once (default: the number of cores) */
  workers?: number;
  /** threads per run (default: cores / workers, at least 1) */
  threads?: number;
  /** live bars (default: when stderr is a terminal); otherwise a line per run started and finished */
  tty?: boolean;
  log?: (line: string) => void;
}

export interface PoolResult {
  done: string[];
  failed: { name: string; error: string }[];
  skipped: string[];
  /** runs another live process held when a worker came to them (left to it) */
  held: string[];
  /** runs ended by a stop (SIGINT, SIGTERM or `signal`): they resume when the sweep runs again */
  stopped: string[];
  seconds: number;
}

/**
 * Runs a sweep on this machine: a pool of workers, each training one run at a time in its own
 * process, with one progress line per worker and an overall bar. Finished runs are skipped and
 * interrupted ones resume from their last checkpoint, so a sweep can be re-run, extended or
 * continued after a stop without redoing anything. A SIGINT or SIGTERM while it runs ends the
 * runs' child processes (an evaluation would outlive it otherwise), then is passed on.
 */
export async function runPool(plan: SweepPlan, o: PoolOptions): Promise<PoolResult> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const workers = Math.max(1, o.workers ?? cores);
  const threads = o.threads ?? Math.max(1, Math.floor(cores / workers));
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const evaluation = plan.sweep.eval ?? null;
  const skipped = plan.runs.filter((r) => isDone(r.dir, evaluation)).map((r) => r.name);
  const todo = plan.runs.filter((r) => !skipped.includes(r.name));
  const result: PoolResult = { done: [], failed: [], skipped, held: [], stopped: [], seconds: 0 };
  const stop = new AbortController();
  if (o.signal?.aborted) stop.abort();
  else o.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let caught: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    caught = signal;
    log(`vaeflow sweep: ${signal}: stopping the runs in progress (they resume from their last checkpoint when the sweep runs again)`);
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  const tty = o.tty ?? process.stderr.isTTY === true;
  log(
    `vaeflow sweep ${plan.sweep.name}: ${plan.runs.length} runs (${skipped.length} already done), ${workers} worker${workers === 1 ? '' : 's'} x ${threads} thread${threads === 1 ? '' : 's'} -> ${plan.out}`,
  );
  const multi = tty ? new MultiBar({ clearOnComplete: false, hideCursor: true, format: '{label} |{bar}| {percentage}% {detail}' }, Presets.shades_classic) : null;
  const overall: SingleBar | null = multi ? multi.create(todo.length, 0, { label: 'sweep    ', detail: `0 done, 0 failed of ${todo.length}` }) : null;
  let next = 0;
  const worker = async (w: number) => {
    const bar = multi ? multi.create(1, 0, { label: `worker ${String(w + 1).padEnd(2)}`, detail: 'idle' }) : null;
    while (next < todo.length && !stop.signal.aborted) {
      const run = todo[next++];
      if (!tty) log(`worker ${w + 1}: ${run.name} started`);
      bar?.update(0, { detail: `${run.name} starting` });
      try {
        const r = await runOne(run.dir, {
          ...o,
          threads,
          signal: stop.signal,
          onProgress: (p) => {
            const fraction = (p.epoch - 1 + p.step / p.stepsPerEpoch) / p.epochs;
            bar?.setTotal(1000);
            bar?.update(Math.round(1000 * fraction), { detail: `${run.name} epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(2)}` });
          },
        });
        result.done.push(run.name);
        if (!tty) log(`worker ${w + 1}: ${run.name} done in ${r.seconds.toFixed(0)} s${r.resumed ? ' (resumed)' : ''}`);
      } catch (e) {
        if (stop.signal.aborted) {
          result.stopped.push(run.name);
          if (!tty) log(`worker ${w + 1}: ${run.name} stopped`);
        } else if (e instanceof RunHeldError) {
          // another sweep (a second pool on this folder, a queue worker) has it: not ours to run or count as failed
          result.held.push(run.name);
          log(`worker ${w + 1}: ${run.name} skipped: ${e.message}`);
        } else {
          result.failed.push({ name: run.name, error: (e as Error).message });
          log(`worker ${w + 1}: ${run.name} failed: ${(e as Error).message}`);
        }
      }
      overall?.update(result.done.length + result.failed.length, { detail: `${result.done.length} done, ${result.failed.length} failed of ${todo.length}` });
    }
    bar?.update(0, { detail: 'finished' });
  };
  try {
    await Promise.all(Array.from({ length: Math.min(workers, Math.max(1, todo.length)) }, (_, w) => worker(w)));
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  multi?.stop();
  result.seconds = (Date.now() - started) / 1000;
  log(
    `vaeflow sweep ${plan.sweep.name}: ${result.done.length} done, ${result.failed.length} failed, ${skipped.length} skipped${result.held.length ? `, ${result.held.length} left to the process running them` : ''}${result.stopped.length ? `, ${result.stopped.length} stopped` : ''} in ${result.seconds.toFixed(0)} s`,
  );
  // The signal was ours to catch only while the runs needed ending: now it does what it would have.
  if (caught) process.kill(process.pid, caught);
  return result;
}
