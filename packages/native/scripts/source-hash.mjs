// The hash that ties a native binary to the sources (and so to the JavaScript calling
// convention) it was built from: sha256 over the native sources, in a fixed order.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Native source files, relative to the package root. */
export const NATIVE_SOURCES = fs
  .readdirSync(path.join(root, 'src', 'native'))
  .filter((f) => /\.(cc|h)$/.test(f))
  .sort()
  .map((f) => `src/native/${f}`);

export function sourceHash() {
  const h = createHash('sha256');
  for (const f of NATIVE_SOURCES) {
    h.update(`${f}\0`);
    h.update(fs.readFileSync(path.join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}
