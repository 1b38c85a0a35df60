import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ComponentRegistry, PluginError, pluginOfModule } from './components.js';

export { ComponentRegistry, PluginError } from './components.js';

/** The component registry with plugin loading (Node): plugins named in a manifest are imported by the rules of {@link PluginRules}. */
export class Registry extends ComponentRegistry {
  /**
   * Imports plugins named in a manifest, by the rules of {@link PluginRules}: package names from
   * the project (the working directory) and then vaeflow's own installation, never from the
   * manifest's folder; plugin files (paths starting with `.` or `/`, relative to `baseDir`) only
   * from inside the allowed folders. The module's `default`, `plugin`, or single plugin-shaped
   * export is registered.
   */
  async load(specifiers: readonly string[], baseDir: string, rules: PluginRules = {}): Promise<void> {
    for (const spec of specifiers) {
      const mod = await importPlugin(spec, baseDir, rules);
      const plugin = pluginOfModule(mod);
      if (!plugin) throw new PluginError(`"${spec}" was loaded but exports no vaeflow plugin (export default { name, version, components })`);
      this.use(plugin, spec);
    }
  }
}

/**
 * Where plugin code may come from. Package names always resolve from the project (the working
 * directory up) and then from vaeflow's own installation: a node_modules beside a downloaded
 * manifest never shadows them. Plugin files must lie (after symlinks) inside `fileRoots` and
 * outside `excluded`, unless `trustFiles`.
 */
export interface PluginRules {
  /** folders plugin files may live in (default: the manifest's folder and the {@link projectRoot}) */
  fileRoots?: string[];
  /** folders whose files are never imported (a run folder's own files) */
  excluded?: string[];
  /** import plugin files from anywhere (`--trust-plugins`) */
  trustFiles?: boolean;
}

function providingVaeflow(from: string): string | null {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'node_modules', '@vaeflow', 'core'))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * The project a command runs in: the nearest folder, from the working directory up, whose
 * node_modules provides @vaeflow/core; run from outside any project, the one this vaeflow is
 * installed in.
 */
export function projectRoot(from = process.cwd()): string {
  return providingVaeflow(from) ?? providingVaeflow(__dirname) ?? path.resolve(from);
}

/** The working directory's project and the one this vaeflow is installed in (once if the same). */
export function projectRoots(): string[] {
  return [...new Set([providingVaeflow(process.cwd()), providingVaeflow(__dirname)].filter((d): d is string => d !== null))];
}

const inside = (file: string, dir: string) => {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};
const real = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/**
 * The file a plugin specifier names, by the rules of {@link PluginRules} (a package resolved from
 * the project, then from vaeflow's installation; a file only from the allowed folders).
 */
export function resolvePlugin(spec: string, dir: string, rules: PluginRules = {}): string {
  const baseDir = path.resolve(dir); // createRequire needs an absolute path
  const isPath = spec.startsWith('.') || path.isAbsolute(spec);
  let resolved: string;
  try {
    if (isPath) {
      resolved = createRequire(path.join(baseDir, 'noop.js')).resolve(path.resolve(baseDir, spec));
    } else {
      try {
        resolved = createRequire(path.join(process.cwd(), 'noop.js')).resolve(spec);
      } catch {
        resolved = createRequire(__filename).resolve(spec);
      }
    }
  } catch {
    throw new PluginError(
      isPath
        ? `plugin file "${spec}" not found (resolved from ${baseDir})`
        : `plugin package "${spec}" is not installed; run: npm install ${spec}${spec.startsWith('@vaeflow/') ? ` (until @vaeflow packages are on npm: node <vaeflow checkout>/scripts/install-local.mjs <your project> ${spec})` : ''} (looked in the project ${projectRoot()} and in vaeflow's own installation)`,
    );
  }
  if (isPath && !rules.trustFiles) {
    const file = real(resolved);
    const roots = [...new Set((rules.fileRoots ?? [baseDir, ...projectRoots()]).map(real))];
    const excluded = (rules.excluded ?? []).map(real);
    if (excluded.some((d) => inside(file, d)))
      throw new PluginError(
        `plugin file "${spec}" lies inside the run folder that names it, so it is not imported (a shared run folder must not run its own code); install it as a package, or pass --trust-plugins`,
      );
    if (!roots.some((d) => inside(file, d)))
      throw new PluginError(`plugin file "${spec}" (${file}) is outside ${roots.join(' and ')}, where plugin files must live; move it there, install it as a package, or pass --trust-plugins`);
  }
  return resolved;
}

async function importPlugin(spec: string, dir: string, rules: PluginRules): Promise<Record<string, unknown>> {
  const resolved = resolvePlugin(spec, dir, rules);
  try {
    return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  } catch (e) {
    throw new PluginError(`plugin "${spec}" failed to load: ${(e as Error).message}`);
  }
}
