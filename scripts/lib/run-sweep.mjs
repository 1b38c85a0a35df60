// The scripts that write tables in docs/ train through sweep files (examples/*.sweep.json) into
// results/<sweep name>/ (kept in git, see results/README.md). runSweep runs one on the local pool
// (finished runs are skipped, interrupted ones resume), or with train: false only reads what is
// finished, and returns its runs, each with its folder, for the script's own analysis (with a
// backend selected). Options: out (another sweep folder), workers, threads, train, quiet, only
// (train only these runs, as `vaeflow sweep --only`; the analysis still reads every finished run).
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mnistBudget } from './report.mjs';

const require = createRequire(import.meta.url);
const { sweepCommand } = require('@vaeflow/cli');
const { collectResults, readSavedSweep, readSweepFile } = require('@vaeflow/sweep');
const { selectBackend } = require('@vaeflow/core');

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export async function runSweep(file, options = {}) {
  const out = path.resolve(options.out ?? path.join(root, 'results', readSweepFile(file).name));
  if (options.train !== false) {
    const r = await sweepCommand(file, { workers: options.workers, threads: options.threads, out, quiet: options.quiet, only: options.only });
    if (r.failed) throw new Error(`${r.failed} run(s) of ${file} failed; see vaeflow sweep status ${r.out}`);
  } else if (!fs.existsSync(path.join(out, 'sweep.json'))) {
    throw new Error(`${out} holds no runs of ${path.basename(file)} yet; run without --no-train to train them`);
  }
  const saved = readSavedSweep(out);
  await selectBackend('auto', { log: null }); // for the script's analysis in this process
  return { out, sweep: saved.sweep, runs: saved.runs.map((run) => ({ ...run, dir: path.join(out, run.name) })) };
}

/** The options every page script takes, parsed: --out, --workers, --threads (per run), --no-train, --quiet, --only (comma-separated). */
export function sweepOptions(args) {
  return {
    out: args.out,
    workers: args.workers ? Number(args.workers) : undefined,
    threads: args.threads ? Number(args.threads) : undefined,
    train: !args['no-train'],
    quiet: args.quiet,
    only: args.only ? args.only.split(',') : undefined,
  };
}
export const SWEEP_ARGS = { out: { type: 'string' }, workers: { type: 'string' }, threads: { type: 'string' }, 'no-train': { type: 'boolean' }, quiet: { type: 'boolean' }, only: { type: 'string' } };

/**
 * What a page script reads after running its sweep: the saved sweep, its finished runs
 * (`results`, with the figures collectResults gives) and unfinished ones (`missing`), the
 * resolved manifest of the first finished run (else the first planned one) with its epochs, and
 * the MNIST budget that manifest implies (training images, steps per epoch).
 */
export async function sweepForPage(file, options) {
  const { out } = await runSweep(file, options);
  const saved = readSavedSweep(out);
  const { results, missing } = collectResults(out);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, (results[0] ?? saved.runs[0]).name, 'manifest.json'), 'utf8'));
  return { out, saved, results, missing, manifest, epochs: manifest.training.epochs, ...mnistBudget(manifest) };
}
