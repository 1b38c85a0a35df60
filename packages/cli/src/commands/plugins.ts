import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRegistry, type Plugin, type Registry } from '@vaeflow/core';

/** Package folders under node_modules (from `dir` upwards) whose package.json marks a vaeflow plugin. */
export function findInstalledPlugins(dir = process.cwd()): string[] {
  const found = new Set<string>();
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const nm = path.join(d, 'node_modules');
    if (fs.existsSync(nm)) {
      for (const entry of fs.readdirSync(nm)) {
        const names = entry.startsWith('@') ? fs.readdirSync(path.join(nm, entry)).map((n) => `${entry}/${n}`) : [entry];
        for (const name of names) {
          try {
            const pj = JSON.parse(fs.readFileSync(path.join(nm, name, 'package.json'), 'utf8'));
            if (pj.vaeflow?.plugin === true) found.add(name);
          } catch {
            /* not a package */
          }
        }
      }
    }
    if (path.dirname(d) === d) break;
  }
  return [...found].sort();
}

/** A registry holding every installed plugin, and the ones that failed to load with the reason. */
export async function registryOfInstalledPlugins(): Promise<{ registry: Registry; failures: string[] }> {
  const registry = createRegistry();
  const failures: string[] = [];
  for (const name of findInstalledPlugins()) {
    try {
      await registry.load([name], process.cwd());
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  return { registry, failures };
}

/** `vaeflow plugins`: each installed plugin with its version and the component types it provides. */
export async function pluginsCommand(o: { json?: boolean }): Promise<string> {
  const { registry, failures } = await registryOfInstalledPlugins();
  const list = registry.plugins().map((p: Plugin) => ({
    name: p.name,
    version: p.version,
    components: p.components.map((c) => ({ kind: c.kind, type: c.type, description: c.description, ...(c.kind === 'flow' ? { invertible: c.invertible ?? false } : {}) })),
  }));
  if (o.json) return JSON.stringify({ plugins: list, failures }, null, 2);
  const lines: string[] = [];
  for (const p of list) {
    lines.push(`${p.name}@${p.version}`);
    for (const c of p.components) lines.push(`  ${c.kind.padEnd(10)} ${c.type.padEnd(20)} ${c.description}`);
  }
  for (const f of failures) lines.push(`! ${f}`);
  return lines.join('\n');
}
