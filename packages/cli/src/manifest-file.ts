import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManifestError, loadAndCheckManifest, parseJson, projectRoots, type Manifest, type PluginRules, type Registry } from '@vaeflow/core';

/** Reads a JSON manifest; a syntax error is reported with its line and column. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ManifestError([{ path: '', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], file);
  }
  try {
    return parseJson(text);
  } catch (e) {
    throw new ManifestError([{ path: '', message: (e as Error).message }], file);
  }
}

/**
 * Reads a manifest file, loads the plugins it names (relative paths from its folder) into a
 * fresh registry and validates it; relative plugin paths come back absolute, so the copy saved
 * in a run folder still finds them.
 */
export async function loadManifest(file: string, rules?: PluginRules): Promise<{ manifest: Manifest; registry: Registry }> {
  const { manifest, registry, issues } = await loadAndCheckManifest(readJsonFile(file), path.dirname(path.resolve(file)), rules);
  if (!manifest) throw new ManifestError(issues, file);
  return { manifest, registry };
}

/** --trust-plugins (or VAEFLOW_TRUST_PLUGINS=1): import plugin files from anywhere. */
export function trustPlugins(): boolean {
  return process.env.VAEFLOW_TRUST_PLUGINS === '1';
}

/**
 * Where a run folder's manifest may take plugin code from: packages installed in the project,
 * and plugin files inside the project but not inside the run folder itself, so opening a shared
 * run folder never runs code it brought along (unless --trust-plugins).
 */
export function runFolderRules(runDir: string): PluginRules {
  return { fileRoots: projectRoots(), excluded: [path.resolve(runDir)], trustFiles: trustPlugins() };
}
