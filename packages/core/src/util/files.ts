import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes a file so that a reader, or a crash, sees either the old content or the new and never a
 * part of it: the bytes go to a temporary file beside it (`.<name>.tmp-<pid>`), are flushed to
 * disk, and the temporary is renamed over the file.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** Temporary files and folders left by writes that a crash interrupted (`.<name>.tmp-<pid>`). */
export const TEMPORARY_NAME = /^\..+\.tmp-\d+$/;

/**
 * Removes what interrupted atomic writes left in `dir` (and its sub-folders, one level deep).
 * Call it only while holding the folder's lock, so no live writer's temporary is taken.
 */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  const sweep = (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (TEMPORARY_NAME.test(e.name)) {
        fs.rmSync(p, { recursive: true, force: true });
        removed.push(p);
      } else if (e.isDirectory() && depth > 0) sweep(p, depth - 1);
    }
  };
  sweep(dir, 1);
  return removed;
}
