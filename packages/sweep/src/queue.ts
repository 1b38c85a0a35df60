import * as os from 'node:os';
import * as path from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import type { SweepPlan } from './plan';
import { readSavedSweep } from './plan';
import { isDone, runOne, runStatus, type RunnerOptions, type RunStatus } from './runner';

/**
 * Sweeps across machines on BullMQ over Redis. The sweep command plans the runs, writes their
 * folders under the sweep's folder (which every worker must see at the same path: a shared
 * filesystem) and queues one job per unfinished run; `vaeflow worker` processes take them, one
 * at a time each. A worker that dies leaves its job locked until the lock expires; BullMQ's
 * stalled-job check then hands it to another worker, which resumes the run from its last
 * checkpoint.
 */
export const DEFAULT_QUEUE = 'vaeflow-runs';

export interface JobData {
  sweepDir: string;
  sweep: string;
  run: string;
  version: string;
}

/** A job id per run, stable across re-runs of the sweep (BullMQ ids may not contain ':'). */
const jobId = (sweep: string, run: string) => `${sweep}.${run}`;

/** Connects and pings once, failing fast with the address and the reason. */
export async function checkRedis(url: string): Promise<void> {
  const probe = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    throw new Error(`cannot reach Redis at ${url}: ${(e as Error).message || (e as NodeJS.ErrnoException).code}; start it (redis-server) or fix --queue`);
  } finally {
    probe.disconnect();
  }
}

/** A connection that retries for ever: workers ride out a Redis restart. */
function connection(url: string): IORedis {
  const c = new IORedis(url, { maxRetriesPerRequest: null });
  c.on('error', () => undefined); // reconnects on its own; BullMQ reports what matters
  return c;
}

export interface EnqueueResult {
  queued: string[];
  retried: string[];
  alreadyQueued: string[];
  done: string[];
}

/**
 * Queues every run of the plan that is not done. Runs already waiting or active stay as they
 * are; failed ones are retried; re-running the sweep therefore never runs anything twice.
 */
export async function enqueueSweep(plan: SweepPlan, url: string, o: { queueName?: string; attempts?: number } = {}): Promise<EnqueueResult> {
  await checkRedis(url);
  const conn = connection(url);
  const queue = new Queue<JobData>(o.queueName ?? DEFAULT_QUEUE, { connection: conn });
  const result: EnqueueResult = { queued: [], retried: [], alreadyQueued: [], done: [] };
  try {
    for (const run of plan.runs) {
      if (isDone(run.dir, plan.sweep.eval)) {
        result.done.push(run.name);
        continue;
      }
      const id = jobId(plan.sweep.name, run.name);
      const existing = await queue.getJob(id);
      if (existing) {
        const state = await existing.getState();
        if (state === 'failed') {
          await existing.retry('failed');
          result.retried.push(run.name);
          continue;
        }
        if (state !== 'completed') {
          result.alreadyQueued.push(run.name);
          continue;
        }
        await existing.remove(); // completed, but the folder says otherwise (cleared by hand): run again
      }
      await queue.add(
        'train',
        { sweepDir: plan.out, sweep: plan.sweep.name, run: run.name, version: plan.version },
        { jobId: id, attempts: o.attempts ?? 3, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: false, removeOnFail: false },
      );
      result.queued.push(run.name);
    }
  } finally {
    await queue.close();
    conn.disconnect();
  }
  return result;
}

export interface WorkerOptions extends Omit<RunnerOptions, 'onProgress' | 'eval'> {
  version: string;
  queueName?: string;
  /** how long a job's lock lasts without renewal; a dead worker's job is retried after it (default 30 s) */
  lockMs?: number;
  log?: (line: string) => void;
}

/**
 * Takes jobs from the queue until closed, one at a time: trains (or resumes) the run in a
 * child process and evaluates it if the sweep asks. A job queued by another vaeflow version
 * fails at once, saying which versions differ.
 */
export async function startWorker(url: string, o: WorkerOptions): Promise<{ close: () => Promise<void>; worker: Worker<JobData> }> {
  await checkRedis(url);
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const lockMs = o.lockMs ?? 30_000;
  const conn = connection(url);
  const worker = new Worker<JobData>(
    o.queueName ?? DEFAULT_QUEUE,
    async (job: Job<JobData>) => {
      const { sweepDir, run, version } = job.data;
      if (version !== o.version) throw new UnrecoverableError(`this worker runs ${o.version} but the sweep was queued with ${version}: run workers of the sweep's version`);
      const saved = readSavedSweep(sweepDir);
      const dir = path.join(sweepDir, run);
      if (isDone(dir, saved.sweep.eval)) return { skipped: true };
      log(`vaeflow worker: ${job.data.sweep}/${run} (attempt ${job.attemptsMade + 1})`);
      let last = 0;
      const r = await runOne(dir, {
        ...o,
        eval: saved.sweep.eval,
        onProgress: (p) => {
          if (Date.now() - last < 1000) return;
          last = Date.now();
          void job.updateProgress({ epoch: p.epoch, epochs: p.epochs, step: p.step, stepsPerEpoch: p.stepsPerEpoch, loss: p.loss }).catch(() => undefined);
        },
      });
      log(`vaeflow worker: ${job.data.sweep}/${run} done in ${r.seconds.toFixed(0)} s${r.resumed ? ' (resumed from its checkpoint)' : ''}`);
      return { ...r, host: os.hostname() };
    },
    { connection: conn, concurrency: 1, lockDuration: lockMs, stalledInterval: Math.max(1000, Math.floor(lockMs / 2)), maxStalledCount: 5 },
  );
  worker.on('failed', (job, err) => log(`vaeflow worker: ${job?.data.sweep}/${job?.data.run} failed: ${err.message}`));
  worker.on('error', (err) => log(`vaeflow worker: ${err.message}`));
  return {
    worker,
    close: async () => {
      await worker.close();
      conn.disconnect();
    },
  };
}

export interface QueuedRunStatus extends RunStatus {
  name: string;
  configuration: string;
  seed: number;
  /** the queue's view: waiting, active, delayed, completed, failed, or not queued */
  queue?: string;
  attempts?: number;
  progress?: unknown;
}

/** Each run's state: from its folder, and from the queue when one is given. */
export async function sweepStatus(sweepDir: string, url?: string, o: { queueName?: string } = {}): Promise<QueuedRunStatus[]> {
  const saved = readSavedSweep(sweepDir);
  const rows: QueuedRunStatus[] = saved.runs.map((r) => ({ name: r.name, configuration: r.configuration, seed: r.seed, ...runStatus(path.join(sweepDir, r.name), saved.sweep.eval) }));
  if (!url) return rows;
  await checkRedis(url);
  const conn = connection(url);
  const queue = new Queue<JobData>(o.queueName ?? DEFAULT_QUEUE, { connection: conn });
  try {
    for (const row of rows) {
      let job = await queue.getJob(jobId(saved.sweep.name, row.name));
      if (!job) {
        row.queue = 'not queued';
        continue;
      }
      row.queue = await job.getState();
      // The job may have failed between reading it and asking its state: read it again for the reason.
      if (row.queue === 'failed' && !job.failedReason) job = (await queue.getJob(jobId(saved.sweep.name, row.name))) ?? job;
      row.attempts = job.attemptsMade;
      row.progress = job.progress;
      if (row.queue === 'failed' && row.state !== 'done') {
        row.state = 'failed';
        row.error = job.failedReason;
      }
      if ((row.queue === 'waiting' || row.queue === 'delayed' || row.queue === 'prioritized') && row.state === 'pending') row.state = 'pending';
      if (row.queue === 'active' && row.state !== 'done') row.state = 'running';
    }
  } finally {
    await queue.close();
    conn.disconnect();
  }
  return rows;
}
