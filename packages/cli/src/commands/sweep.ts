import * as fs from 'node:fs';
import * as path from 'node:path';
import { VERSION as CORE_VERSION } from '@vaeflow/core';
import type * as Sweep from '@vaeflow/sweep';
import type * as Metrics from '@vaeflow/metrics';
import { requireOptional } from '../optional.js';
import { VERSION } from '../version.js';

/** The version a sweep and its workers must share. */
export const SWEEP_VERSION = `@vaeflow/cli ${VERSION}, @vaeflow/core ${CORE_VERSION}`;

/** How a sweep worker starts this CLI in a child process. */
const CLI = [process.execPath, path.resolve(__dirname, '..', '..', 'bin', 'vaeflow.js')];

const sweepLib = () => requireOptional<typeof Sweep>('@vaeflow/sweep', 'vaeflow sweep');

export interface SweepCommandOptions {
  workers?: number;
  threads?: number;
  out?: string;
  queue?: string;
  queueName?: string;
  dryRun?: boolean;
  quiet?: boolean;
  /** run (or queue) only these runs: run names, configuration names or `*` patterns */
  only?: string[];
}

/**
 * `vaeflow sweep <file>`: plans the runs, writes their folders and manifests, then runs them
 * with a local pool of workers, or queues them on Redis (`--queue`) for `vaeflow worker`s.
 */
export async function sweepCommand(file: string, o: SweepCommandOptions): Promise<{ out: string; failed: number; summary: string }> {
  const lib = sweepLib();
  const log = o.quiet ? () => undefined : (l: string) => process.stderr.write(`${l}\n`);
  const plan = await lib.planSweep(file, { out: o.out, version: SWEEP_VERSION });
  const selected = lib.selectRuns(plan, o.only);
  if (o.dryRun) {
    const lines = selected.runs.map((r) => `${r.name}\t${JSON.stringify(r.overrides)}`);
    return { out: plan.out, failed: 0, summary: `${selected.runs.length} runs${o.only?.length ? ` of ${plan.runs.length}` : ''} -> ${plan.out}\n${lines.join('\n')}` };
  }
  if (o.queue) await lib.checkRedis(o.queue); // before anything is written
  lib.writePlan(plan); // every run's folder and manifest, so status and report see the whole sweep
  if (o.queue) {
    const r = await lib.enqueueSweep(selected, o.queue, { queueName: o.queueName });
    const summary = `vaeflow sweep ${plan.sweep.name}: queued ${r.queued.length}, retried ${r.retried.length} failed, ${r.alreadyQueued.length} already queued, ${r.done.length} done, on ${o.queue} (queue ${o.queueName ?? lib.DEFAULT_QUEUE}); start workers with: vaeflow worker --queue ${o.queue}`;
    return { out: plan.out, failed: 0, summary };
  }
  const r = await lib.runPool(selected, { cli: CLI, workers: o.workers, threads: o.threads, eval: plan.sweep.eval, log });
  const failed = r.failed.map((f) => `  ${f.name}: ${f.error.split('\n')[0]}`).join('\n');
  return {
    out: plan.out,
    failed: r.failed.length,
    summary: `${plan.out}: ${r.done.length} done, ${r.skipped.length} already done, ${r.held.length ? `${r.held.length} held by another process, ` : ''}${r.failed.length} failed${failed ? `\n${failed}` : ''}`,
  };
}

/** The sweep folder a file or folder argument names. */
export function sweepFolder(target: string, out?: string): string {
  if (out) return path.resolve(out);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) return path.resolve(target);
  const sweep = sweepLib().readSweepFile(target);
  return path.resolve(sweep.out ?? path.join('runs', 'sweeps', sweep.name));
}

/** `vaeflow sweep status`: one line per run, queued / running / done / failed, and a failed run's error. */
export async function sweepStatusCommand(target: string, o: { out?: string; queue?: string; queueName?: string; json?: boolean }): Promise<string> {
  const rows = await sweepLib().sweepStatus(sweepFolder(target, o.out), o.queue, { queueName: o.queueName });
  if (o.json) return JSON.stringify(rows, null, 2);
  const counts = ['done', 'running', 'pending', 'failed'].map((s) => `${rows.filter((r) => r.state === s).length} ${s === 'pending' ? 'queued/pending' : s}`).join(', ');
  const width = Math.max(...rows.map((r) => r.name.length), 3);
  const lines = rows.map((r) => {
    const live = r.state === 'running' && r.progress && typeof r.progress === 'object' && 'epoch' in (r.progress as object) ? (r.progress as { epoch: number; epochs: number }) : null;
    const progress = live ? ` epoch ${live.epoch}/${live.epochs}` : r.epoch ? ` ${r.epoch} epoch${r.epoch === 1 ? '' : 's'}` : '';
    const queue = r.queue ? ` [queue: ${r.queue}${r.attempts ? `, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}` : ''}]` : '';
    const where = r.where ? ` on ${r.where}` : '';
    const error = r.state === 'failed' && r.error ? `\n    ${r.error.split('\n').join('\n    ')}` : '';
    return `${r.name.padEnd(width)}  ${r.state.padEnd(7)}${progress}${where}${queue}${error}`;
  });
  return `${counts}\n${lines.join('\n')}`;
}

/**
 * `vaeflow sweep report`: per configuration, each metric's mean and 95% interval over seeds,
 * and paired differences to the baseline; markdown on stdout (or --md), HTML with --html.
 */
export async function sweepReportCommand(target: string, o: { out?: string; md?: string; html?: string; baseline?: string }): Promise<string> {
  const lib = sweepLib();
  const folder = sweepFolder(target, o.out);
  const summary = lib.summarizeSweep(folder, o.baseline);
  const md = lib.sweepMarkdown(summary);
  if (o.md) fs.writeFileSync(o.md, md);
  if (o.html) {
    fs.mkdirSync(path.dirname(path.resolve(o.html)), { recursive: true });
    fs.writeFileSync(o.html, renderSweepHtml(summary));
  }
  return md;
}

/** The HTML page of a sweep summary (tables and validation curves with 95% bands), via @vaeflow/metrics. */
export function renderSweepHtml(s: Sweep.SweepSummary): string {
  const lib = sweepLib();
  const metrics = requireOptional<typeof Metrics>('@vaeflow/metrics', 'the sweep report');
  const shown = lib.SWEEP_METRICS.filter((m) => m.key !== 'nll' || s.rows.some((r) => r.metrics.nll.n > 0));
  const label = (m: { key: string; label: string }) => (m.key === 'nll' && s.evalK ? `IWAE NLL (K = ${s.evalK})` : m.label);
  const diff = shown.filter((m) => m.key !== 'parameters');
  return metrics.renderTablesReport({
    title: `vaeflow sweep: ${s.name}`,
    intro: `Mean ± 95% confidence half-width over seeds (Student's t); n is the number of seeds, or of seed pairs for the differences to ${s.baseline}.${s.missing.length ? ` Not finished yet: ${s.missing.join(', ')}.` : ''}`,
    tables: [
      {
        caption: 'Per configuration',
        header: ['configuration', 'n', ...shown.map(label)],
        rows: s.rows.map((r) => [r.configuration, String(r.seeds.length), ...shown.map((m) => lib.formatEstimate(r.metrics[m.key], m.digits))]),
      },
      ...(s.differences.length
        ? [
            {
              caption: `Paired differences to ${s.baseline}`,
              header: [`configuration − ${s.baseline}`, 'n', ...diff.map((m) => `Δ ${label(m)}`)],
              rows: s.differences.map((d) => [d.configuration, String(d.pairs), ...diff.map((m) => lib.formatEstimate(d.metrics[m.key], m.digits, true))]),
            },
          ]
        : []),
    ],
    curves: {
      title: 'Validation curves (mean over seeds, 95% band)',
      xLabel: 'epoch',
      yLabel: 'validation −ELBO (nats)',
      series: s.curves.map((c) => ({ label: c.configuration, points: c.points.map((p) => ({ x: p.epoch, mean: p.mean, lo: p.mean - p.half, hi: p.mean + p.half })) })),
    },
  });
}

/** `vaeflow worker --queue URL`: takes queued runs until interrupted (SIGINT/SIGTERM finish the current run's step and stop). */
export async function workerCommand(o: { queue: string; threads?: number; queueName?: string; lockSeconds?: number }): Promise<void> {
  const lib = sweepLib();
  const threads = o.threads ?? 1;
  const handle = await lib.startWorker(o.queue, { cli: CLI, threads, version: SWEEP_VERSION, queueName: o.queueName, lockMs: o.lockSeconds ? o.lockSeconds * 1000 : undefined });
  process.stderr.write(`vaeflow worker: waiting for runs on ${o.queue} (queue ${o.queueName ?? lib.DEFAULT_QUEUE}), ${threads} thread${threads === 1 ? '' : 's'} per run, ${SWEEP_VERSION}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stderr.write('vaeflow worker: stopping after the current run\n');
      void handle.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
