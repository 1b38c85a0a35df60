import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPONENT, PLUGIN } from './tokens.js';
import { COMPONENT_KINDS, type ComponentDefinition, type ComponentKind, type Plugin } from './plugin.js';
import { KNOWN_PROVIDERS } from './known-packages.js';

/** Raised when a plugin cannot be found or is malformed; names the package and what to do. */
export class PluginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginError';
  }
}

function isPlugin(x: unknown): x is Plugin {
  const p = x as Plugin;
  return !!p && typeof p === 'object' && typeof p.name === 'string' && typeof p.version === 'string' && Array.isArray(p.components);
}

/**
 * The component registry. It lives in its own tsyringe child container (never the global
 * one); `use` registers a plugin's components under the COMPONENT token and `resolveAll`
 * lists them. Each model is built in a further child container from {@link createScope}.
 */
export class Registry {
  readonly container: DependencyContainer = rootContainer.createChildContainer();
  private readonly sources = new Map<string, string>();

  /** Registers a plugin object. A second plugin claiming the same kind/type is an error. */
  use(plugin: Plugin, source = plugin.name): this {
    if (!isPlugin(plugin)) throw new PluginError(`${source} does not export a vaeflow plugin ({ name, version, components })`);
    if (this.plugins().some((p) => p.name === plugin.name)) return this;
    for (const c of plugin.components) {
      if (!COMPONENT_KINDS.includes(c.kind)) throw new PluginError(`${plugin.name}: component "${c.type}" has unknown kind "${c.kind}" (one of ${COMPONENT_KINDS.join(', ')})`);
      if (typeof c.create !== 'function') throw new PluginError(`${plugin.name}: component ${c.kind} "${c.type}" has no create()`);
      const clash = this.get(c.kind, c.type);
      if (clash) throw new PluginError(`${plugin.name} registers ${c.kind} "${c.type}", which ${this.providerOf(clash)} already provides`);
    }
    this.container.register(PLUGIN, { useValue: plugin });
    for (const c of plugin.components) {
      this.container.register(COMPONENT, { useValue: c });
      this.sources.set(`${c.kind}:${c.type}`, plugin.name);
    }
    return this;
  }

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
      const candidates = [mod.default, mod.plugin, (mod.default as Record<string, unknown> | undefined)?.plugin, ...Object.values(mod)];
      const plugin = candidates.find(isPlugin);
      if (!plugin) throw new PluginError(`"${spec}" was loaded but exports no vaeflow plugin (export default { name, version, components })`);
      this.use(plugin, spec);
    }
  }

  plugins(): Plugin[] {
    return this.container.isRegistered(PLUGIN) ? this.container.resolveAll<Plugin>(PLUGIN) : [];
  }

  components(kind?: ComponentKind): ComponentDefinition[] {
    const all = this.container.isRegistered(COMPONENT) ? this.container.resolveAll<ComponentDefinition>(COMPONENT) : [];
    return kind ? all.filter((c) => c.kind === kind) : all;
  }

  get(kind: ComponentKind, type: string): ComponentDefinition | undefined {
    return this.components(kind).find((c) => c.type === type);
  }

  /** The plugin that registered a component. */
  providerOf(c: ComponentDefinition): string {
    return this.sources.get(`${c.kind}:${c.type}`) ?? 'an unknown plugin';
  }

  /** Explains an unknown type: which package provides it, or what is installed. */
  explainUnknown(kind: ComponentKind, type: string): string {
    const pkg = KNOWN_PROVIDERS[kind]?.[type];
    const installed = this.components(kind).map((c) => c.type);
    if (pkg) return `unknown ${kind} type "${type}": it is provided by ${pkg}; install it and add "${pkg}" to "plugins"`;
    return `unknown ${kind} type "${type}"; installed ${kind} types: ${installed.length ? installed.join(', ') : '(none)'}`;
  }

  /** A fresh child container for one model. */
  createScope(): DependencyContainer {
    return this.container.createChildContainer();
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

async function importPlugin(spec: string, dir: string, rules: PluginRules): Promise<Record<string, unknown>> {
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
    throw new PluginError(isPath ? `plugin file "${spec}" not found (resolved from ${baseDir})` : `plugin package "${spec}" is not installed; run: npm install ${spec}${spec.startsWith('@vaeflow/') ? ` (until @vaeflow packages are on npm: node <vaeflow checkout>/scripts/install-local.mjs <your project> ${spec})` : ''} (looked in the project ${projectRoot()} and in vaeflow's own installation)`);
  }
  if (isPath && !rules.trustFiles) {
    const file = real(resolved);
    const roots = [...new Set((rules.fileRoots ?? [baseDir, ...projectRoots()]).map(real))];
    const excluded = (rules.excluded ?? []).map(real);
    if (excluded.some((d) => inside(file, d))) throw new PluginError(`plugin file "${spec}" lies inside the run folder that names it, so it is not imported (a shared run folder must not run its own code); install it as a package, or pass --trust-plugins`);
    if (!roots.some((d) => inside(file, d))) throw new PluginError(`plugin file "${spec}" (${file}) is outside ${roots.join(' and ')}, where plugin files must live; move it there, install it as a package, or pass --trust-plugins`);
  }
  try {
    return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  } catch (e) {
    throw new PluginError(`plugin "${spec}" failed to load: ${(e as Error).message}`);
  }
}
