import * as path from 'node:path';
import { createRegistry } from '../registry/create.js';
import type { PluginRules, Registry } from '../registry/registry.js';
import { checkManifest, type ManifestIssue } from './validate.js';
import type { Manifest } from './types.js';

/**
 * Loads the plugins a raw manifest names (relative paths from `baseDir`) into a fresh registry
 * and validates it; every plugin that fails to load is an issue at `/plugins/i`. Relative plugin
 * paths are made absolute in the result, so a copy saved elsewhere (a run folder) still finds them.
 * `rules` say where plugin code may come from (see {@link PluginRules}).
 */
export async function loadAndCheckManifest(raw: unknown, baseDir: string, rules?: PluginRules): Promise<{ manifest?: Manifest; registry: Registry; issues: ManifestIssue[] }> {
  const registry = createRegistry();
  const r = raw as Record<string, unknown> | null;
  const plugins = r && Array.isArray(r.plugins) && r.plugins.every((p) => typeof p === 'string') ? (r.plugins as string[]) : [];
  const issues: ManifestIssue[] = [];
  for (let i = 0; i < plugins.length; i++) {
    try {
      await registry.load([plugins[i]], baseDir, rules);
    } catch (e) {
      issues.push({ path: `/plugins/${i}`, message: (e as Error).message });
    }
  }
  const checked = checkManifest(raw, registry);
  issues.push(...checked.issues);
  if (issues.length) return { registry, issues };
  const manifest = checked.manifest!;
  manifest.plugins = manifest.plugins.map((p) => (p.startsWith('.') ? path.resolve(baseDir, p) : p));
  // Files a dataset reads are named relative to the manifest, like its plugins.
  const data = manifest.data as Record<string, unknown>;
  for (const key of registry.get('dataset', String(data.type))?.pathOptions ?? []) {
    if (typeof data[key] === 'string' && !path.isAbsolute(data[key] as string)) data[key] = path.resolve(baseDir, data[key] as string);
  }
  return { manifest, registry, issues };
}
