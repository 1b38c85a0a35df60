import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManifestError, loadAndCheckManifest, type Manifest, type Registry } from '@vaeflow/core';

/** Reads a JSON manifest; a syntax error is reported with its line and column. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ManifestError([{ path: '', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], file);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${Number(pos[1]) - before.lastIndexOf('\n')}`;
    }
    throw new ManifestError([{ path: '', message: `not valid JSON${where}: ${msg}` }], file);
  }
}

/**
 * Reads a manifest file, loads the plugins it names (relative paths from its folder) into a
 * fresh registry and validates it; relative plugin paths come back absolute, so the copy saved
 * in a run folder still finds them.
 */
export async function loadManifest(file: string): Promise<{ manifest: Manifest; registry: Registry }> {
  const { manifest, registry, issues } = await loadAndCheckManifest(readJsonFile(file), path.dirname(path.resolve(file)));
  if (!manifest) throw new ManifestError(issues, file);
  return { manifest, registry };
}
