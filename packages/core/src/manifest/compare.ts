import type { ComponentRegistry as Registry } from '../registry/components.js';
import type { Manifest } from './types.js';
import { checkManifest } from './validate.js';

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/** The JSON pointers at which two values differ (objects compared key by key). */
export function jsonDifferences(a: unknown, b: unknown, at = ''): string[] {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => jsonDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`));
  }
  return [at || '/'];
}

/**
 * Where a run's saved manifest and a manifest differ, after the saved one is checked again with
 * the installed schemas: a default that a newer vaeflow fills in (a new option, a new top-level
 * slot) is not a difference, so runs made by an older version still resume and their sweeps
 * still extend. A saved manifest the current schemas reject differs at the paths they name.
 */
export function manifestDifferences(saved: unknown, manifest: Manifest, registry: Registry): string[] {
  const checked = checkManifest(saved, registry);
  if (!checked.manifest) return checked.issues.map((i) => i.path || '/');
  return jsonDifferences(checked.manifest, manifest);
}
