import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { TEMPORARY_NAME, removeStaleTemporaries } from '../util/files.js';

/** The lock a training holds on its run folder. */
export const RUN_LOCK = '.vaeflow-lock';

/** What a training writes into its run folder; `force` removes these, and nothing else. */
export const RUN_ARTEFACTS = ['manifest.json', 'metrics.jsonl', 'flow-health.jsonl', 'latent-usage.jsonl', 'checkpoints', 'samples', 'eval.json', 'ex-post', 'page'];

/**
 * A lock whose file has not been touched for this long is stale whatever machine wrote it: a
 * training touches its lock every 30 s, so only a dead one (on any host sharing the folder, a
 * sweep worker on another machine included) leaves it this old.
 */
export const LOCK_STALE_MS = 10 * 60_000;
const HEARTBEAT_MS = 30_000;

/** Files a sweep keeps beside its runs: they do not make a folder hold a run. */
const BOOKKEEPING = new Set([RUN_LOCK, 'sweep-lock.json', 'sweep-error.json', 'sweep-result.json']);

interface LockOwner {
  host: string;
  pid: number;
  started: string;
}

/** Whether a process of this machine is alive (EPERM: alive, owned by another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof o?.pid === 'number' && typeof o?.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

function takeLock(file: string, log: (l: string) => void): void {
  const me: LockOwner = { host: os.hostname(), pid: process.pid, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written whole beside the lock, then hard-linked into place: the link is atomic and fails
    // if the lock exists, so no process ever sees a half-written lock.
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(me)}\n`);
    try {
      fs.linkSync(tmp, file);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const owner = readOwner(file);
    const age = (() => {
      try {
        return Date.now() - fs.statSync(file).mtimeMs;
      } catch {
        return 0;
      }
    })();
    // A lock whose process is gone (same machine), or that nobody has touched for LOCK_STALE_MS
    // (any machine), or that was never finished being written, is stale.
    const stale = owner ? (owner.host === me.host && !pidAlive(owner.pid)) || age > LOCK_STALE_MS : age > 2_000;
    if (!stale) {
      const who = owner ? `process ${owner.pid} on ${owner.host} (since ${owner.started})` : 'another process';
      throw new UserError(
        `${path.dirname(file)} is being trained by ${who}; two trainings cannot share a run folder. Wait for it, stop it, or train into another folder (--out). A lock nobody touches for ${LOCK_STALE_MS / 60_000} minutes is taken over; if that process is gone, you may also remove ${file}.`,
      );
    }
    log(
      `vaeflow: removing a stale lock on ${path.dirname(file)} (${!owner ? 'unreadable' : owner.host === me.host && !pidAlive(owner.pid) ? `process ${owner.pid} is gone` : `untouched for ${Math.round(age / 60_000)} min by ${owner.host}`})`,
    );
    fs.rmSync(file, { force: true });
  }
  throw new UserError(`cannot lock ${path.dirname(file)}: another process keeps taking ${file}`);
}

/** A claimed run folder: `heartbeat` (call it often; it touches the lock every 30 s) and `release`. */
export interface RunFolderClaim {
  heartbeat(): void;
  release(): void;
}

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
  const lock = path.join(outDir, RUN_LOCK);
  takeLock(lock, log);
  const release = () => {
    if (readOwner(lock)?.pid === process.pid) fs.rmSync(lock, { force: true });
  };
  let touched = Date.now();
  const heartbeat = () => {
    if (Date.now() - touched < HEARTBEAT_MS) return;
    touched = Date.now();
    try {
      fs.utimesSync(lock, new Date(), new Date());
    } catch {
      // a lock removed by hand: training goes on; the next claim starts afresh
    }
  };
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
