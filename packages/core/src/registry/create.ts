import { corePlugin } from '../plugin.js';
import type { Plugin } from './plugin.js';
import { Registry } from './registry.js';

/** A registry holding the core components plus the given plugins. */
export function createRegistry(...plugins: Plugin[]): Registry {
  const r = new Registry().use(corePlugin);
  for (const p of plugins) r.use(p);
  return r;
}
