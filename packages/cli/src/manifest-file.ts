import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManifestError, checkManifest, createRegistry, type Manifest, type ManifestIssue, type Registry } from '@vaeflow/core';

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
 * Loads the plugins a manifest names (relative paths from the manifest's folder) into a fresh
 * registry and validates the manifest. Relative plugin paths are made absolute in the result,
 * so the copy saved in a run folder still finds them.
 */
export async function loadManifest(file: string): Promise<{ manifest: Manifest; registry: Registry }> {
  const raw = readJsonFile(file) as Record<string, unknown>;
  const registry = createRegistry();
  const base = path.dirname(path.resolve(file));
  const plugins = raw && Array.isArray(raw.plugins) && raw.plugins.every((p) => typeof p === 'string') ? (raw.plugins as string[]) : [];
  const issues: ManifestIssue[] = [];
  for (let i = 0; i < plugins.length; i++) {
    try {
      await registry.load([plugins[i]], base);
    } catch (e) {
      issues.push({ path: `/plugins/${i}`, message: (e as Error).message });
    }
  }
  const checked = checkManifest(raw, registry);
  issues.push(...checked.issues);
  if (issues.length) throw new ManifestError(issues, file);
  const manifest = checked.manifest!;
  manifest.plugins = manifest.plugins.map((p) => (p.startsWith('.') ? path.resolve(base, p) : p));
  return { manifest, registry };
}
