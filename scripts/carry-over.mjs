#!/usr/bin/env node
/**
 * Keeps a sweep's results in git at the end of a work session (see results/README.md): stages
 * every run's small files, adds the checkpoints of each run that has not finished (latest to
 * resume it exactly, best for its test and evaluation) when no file of them exceeds --max-mb
 * (default 20: every clone carries each committed version forever; a run with larger
 * checkpoints restarts next session instead) and unstages the checkpoints of runs that have finished.
 * Commit afterwards.
 *
 *   node scripts/carry-over.mjs results/<sweep name> [--max-mb 20] [--dry-run]
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseScriptArgs } from './lib/args.mjs';

const require = createRequire(import.meta.url);
const { readSavedSweep, runStatus } = require('@vaeflow/sweep');
const { findCheckpoint } = require('@vaeflow/core');
const { values: args, positionals } = parseScriptArgs(import.meta.url, { allowPositionals: true, options: { 'dry-run': { type: 'boolean' }, 'max-mb': { type: 'string', default: '20' } } });
if (positionals.length !== 1) {
  console.error('usage: node scripts/carry-over.mjs results/<sweep name> [--max-mb 20] [--dry-run]');
  process.exit(1);
}
const out = path.resolve(positionals[0]);
const maxBytes = Number(args['max-mb']) * 2 ** 20;
const saved = readSavedSweep(out);
const git = (...a) => {
  console.log(`git ${a.join(' ')}`);
  if (!args['dry-run']) execFileSync('git', a, { stdio: ['ignore', 'ignore', 'inherit'], cwd: out });
};

git('add', '.');
for (const run of saved.runs) {
  const dir = path.join(out, run.name);
  if (!fs.existsSync(dir)) continue;
  const status = runStatus(dir, saved.sweep.eval ?? null);
  if (status.state === 'done') git('rm', '-r', '--cached', '--quiet', '--ignore-unmatch', path.join(run.name, 'checkpoints'));
  else if (status.state === 'running') console.log(`${run.name}: still running (${status.where}); stop the sweep first so its checkpoints are whole`);
  else {
    const kept = ['latest', 'best'].filter((which) => findCheckpoint(path.join(dir, 'checkpoints', which)) === path.join(dir, 'checkpoints', which));
    const largest = Math.max(0, ...kept.flatMap((which) => fs.readdirSync(path.join(dir, 'checkpoints', which)).map((f) => fs.statSync(path.join(dir, 'checkpoints', which, f)).size)));
    if (largest > maxBytes) console.log(`${run.name}: a checkpoint file of ${(largest / 2 ** 20).toFixed(0)} MB is over --max-mb ${args['max-mb']}; left out, so this run restarts next session`);
    else for (const which of kept) git('add', '-f', path.join(run.name, 'checkpoints', which));
  }
}
