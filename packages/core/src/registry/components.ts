import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
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

export function isPlugin(x: unknown): x is Plugin {
  const p = x as Plugin;
  return !!p && typeof p === 'object' && typeof p.name === 'string' && typeof p.version === 'string' && Array.isArray(p.components);
}

/** The plugin a module exports: its `default`, `plugin` or `default.plugin`, else its single plugin-shaped export. */
export function pluginOfModule(mod: Record<string, unknown>): Plugin | undefined {
  return [mod.default, mod.plugin, (mod.default as Record<string, unknown> | undefined)?.plugin, ...Object.values(mod)].find(isPlugin);
}

/**
 * The component registry. It lives in its own tsyringe child container (never the global
 * one); `use` registers a plugin's components under the COMPONENT token and `resolveAll`
 * lists them. Each model is built in a further child container from {@link createScope}.
 * This part has no Node-only imports, so a browser page builds models with it;
 * {@link Registry} adds importing plugins by name or file.
 */
export class ComponentRegistry {
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
