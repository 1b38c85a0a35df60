import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * Lock files that say which process holds a folder: a training's run folder (`.vaeflow-lock`)
 * and a sweep's run (`sweep-lock.json`). A lock is live while its process lives (on this
 * machine) or while it is touched (on any machine: the holder touches it every HEARTBEAT_MS),
 * so a holder that died anywhere, a sweep worker on another machine included, frees it after
 * LOCK_STALE_MS without anyone deleting it by hand.
 */

/** A lock untouched for this long is stale whatever machine wrote it. */
export const LOCK_STALE_MS = 10 * 60_000;
/** How often a holder touches its lock. */
export const HEARTBEAT_MS = 30_000;
/** A lock that cannot be read is being written, or stale once it is this old. */
const UNREADABLE_STALE_MS = 2_000;

export interface LockOwner {
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

function readLockOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof o?.pid === 'number' && typeof o?.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

/**
 * Who holds the lock (`holder`: "process 12 on host (since ...)", and `owner` when the lock is
 * readable), or null when it is absent or stale, with why it is stale.
 */
export function lockHolder(file: string): { holder: string | null; owner?: LockOwner; stale?: string } {
  let age: number;
  try {
    age = Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return { holder: null };
  }
  const owner = readLockOwner(file);
  if (!owner) return age > UNREADABLE_STALE_MS ? { holder: null, stale: 'unreadable' } : { holder: 'another process' };
  if (owner.host === os.hostname() && !pidAlive(owner.pid)) return { holder: null, stale: `process ${owner.pid} is gone` };
  if (age > LOCK_STALE_MS) return { holder: null, stale: `untouched for ${Math.round(age / 60_000)} min by ${owner.host}` };
  return { holder: `process ${owner.pid} on ${owner.host} (since ${owner.started})`, owner };
}

/** A lock this process holds: `heartbeat` (call it often; it touches the file every HEARTBEAT_MS) and `release`. */
export interface HeldLock {
  heartbeat(): void;
  release(): void;
}

/**
 * Takes a lock file, or says who holds it. The owner is written whole beside the lock, then
 * hard-linked into place: the link is atomic and fails if the lock exists, so no process sees a
 * half-written lock, and of two processes racing for it one wins. A stale lock is taken over
 * (`log` says why).
 */
export function tryLock(file: string, log: (line: string) => void = () => undefined): { lock: HeldLock } | { holder: string } {
  const me: LockOwner = { host: os.hostname(), pid: process.pid, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(me)}\n`);
    try {
      fs.linkSync(tmp, file);
      return { lock: heldLock(file) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const { holder, stale } = lockHolder(file);
    if (holder) return { holder };
    if (stale) log(`vaeflow: removing a stale lock ${file} (${stale})`);
    fs.rmSync(file, { force: true });
  }
  return { holder: 'another process (its lock keeps reappearing)' };
}

function heldLock(file: string): HeldLock {
  let touched = Date.now();
  return {
    heartbeat() {
      if (Date.now() - touched < HEARTBEAT_MS) return;
      touched = Date.now();
      try {
        fs.utimesSync(file, new Date(), new Date());
      } catch {
        // a lock removed by hand: the work goes on; the next claim starts afresh
      }
    },
    release() {
      const owner = readLockOwner(file);
      if (owner?.pid === process.pid && owner.host === os.hostname()) fs.rmSync(file, { force: true });
    },
  };
}
