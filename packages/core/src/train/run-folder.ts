import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { TEMPORARY_NAME, removeStaleTemporaries } from '../util/files.js';
import { LOCK_STALE_MS, type HeldLock, tryLock } from '../util/lock-file.js';

/** The lock a training holds on its run folder. */
export const RUN_LOCK = '.vaeflow-lock';

/** What a training writes into its run folder; `force` removes these, and nothing else. */
export const RUN_ARTEFACTS = ['manifest.json', 'metrics.jsonl', 'flow-health.jsonl', 'latent-usage.jsonl', 'checkpoints', 'samples', 'eval.json', 'ex-post', 'page'];

/** Files a sweep keeps beside its runs: they do not make a folder hold a run. */
const BOOKKEEPING = new Set([RUN_LOCK, 'sweep-lock.json', 'sweep-error.json', 'sweep-result.json']);

/** A claimed run folder: `heartbeat` (call it often; it touches the lock every 30 s) and `release`. */
export type RunFolderClaim = HeldLock;

/**
 * Claims a run folder for one training: takes its lock (a second training into the same folder
 * is refused while the first lives; a lock left by a dead process on this machine, or untouched
 * for LOCK_STALE_MS on any machine, is taken over), refuses a folder that already holds anything
 * unless the training resumes it or `force` replaces it (then only vaeflow's own artefacts are
 * removed), and clears what interrupted writes left behind.
 */
export function claimRunFolder(outDir: string, o: { resume?: boolean; force?: boolean; log?: (l: string) => void }): RunFolderClaim {
  const log = o.log ?? (() => undefined);
  fs.mkdirSync(outDir, { recursive: true });
  const lockFile = path.join(outDir, RUN_LOCK);
  const taken = tryLock(lockFile, log);
  if ('holder' in taken) {
    throw new UserError(
      `${outDir} is being trained by ${taken.holder}; two trainings cannot share a run folder. Wait for it, stop it, or train into another folder (--out). A lock nobody touches for ${LOCK_STALE_MS / 60_000} minutes is taken over; if that process is gone, you may also remove ${lockFile}.`,
    );
  }
  const { heartbeat, release } = taken.lock;
  try {
    if (!o.resume) {
      const held = fs.readdirSync(outDir).filter((n) => !BOOKKEEPING.has(n) && !TEMPORARY_NAME.test(n));
      if (held.length && !o.force) {
        throw new UserError(
          `${outDir} is not empty (${held.slice(0, 5).join(', ')}${held.length > 5 ? `, and ${held.length - 5} more` : ''}); --resume continues the run there, --force replaces it, --out trains elsewhere`,
        );
      }
      const replaced = held.filter((n) => RUN_ARTEFACTS.includes(n));
      for (const n of replaced) fs.rmSync(path.join(outDir, n), { recursive: true, force: true });
      if (replaced.length) log(`vaeflow: --force: removed ${replaced.join(', ')} from ${outDir}`);
    }
    const stale = removeStaleTemporaries(outDir);
    if (stale.length) log(`vaeflow: removed ${stale.length} temporary file${stale.length === 1 ? '' : 's'} left by an interrupted write (${stale.map((s) => path.relative(outDir, s)).join(', ')})`);
  } catch (e) {
    release();
    throw e;
  }
  return { heartbeat, release };
}
