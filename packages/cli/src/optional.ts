import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * Loads an optional vaeflow package (e.g. @vaeflow/metrics for `eval` and `compare`) from the
 * project, or says which package to install. The CLI never depends on it statically, so a
 * project that only trains does not need it.
 */
export function requireOptional<T>(pkg: string, why: string, from: string[] = [process.cwd()]): T {
  const m = optionalModule<T>(pkg, from);
  if (m === null) throw new Error(`${why} needs ${pkg}; install it: npm install ${pkg}`);
  return m;
}

/** The optional package where it is installed (looked up from each of `from`, then from the CLI), else null. */
export function optionalModule<T>(pkg: string, from: string[] = [process.cwd()]): T | null {
  for (const dir of [...from, __dirname]) {
    try {
      return createRequire(path.join(dir, 'noop.js'))(pkg) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !(e as Error).message.includes(pkg)) throw e;
    }
  }
  return null;
}
