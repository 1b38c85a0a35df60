// The scripts that write tables in docs/ train through sweep files (examples/*.sweep.json):
// this runs one on the local pool (finished runs are skipped, interrupted ones resume) and
// returns its runs (options: out, workers, quiet: no progress lines), each with its folder, for the script's own analysis (with a backend selected).
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const { sweepCommand } = require('@vaeflow/cli');
const { readSavedSweep } = require('@vaeflow/sweep');
const { selectBackend } = require('@vaeflow/core');

export async function runSweep(file, options = {}) {
  const r = await sweepCommand(file, { workers: options.workers, out: options.out, quiet: options.quiet });
  if (r.failed) throw new Error(`${r.failed} run(s) of ${file} failed; see vaeflow sweep status ${r.out}`);
  const saved = readSavedSweep(r.out);
  await selectBackend('auto', { log: null }); // for the script's analysis in this process
  return { out: r.out, sweep: saved.sweep, runs: saved.runs.map((run) => ({ ...run, dir: path.join(r.out, run.name) })) };
}
