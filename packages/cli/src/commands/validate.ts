import { ManifestError, assembledManifestSchema, checkBuild, selectBackend } from '@vaeflow/core';
import * as path from 'node:path';
import { loadManifest, readJsonFile } from '../manifest-file.js';
import { registryOfInstalledPlugins } from './plugins.js';

/** `vaeflow validate <manifest>`: null when valid, else the located issues as text. */
export async function validateCommand(file: string): Promise<{ ok: boolean; text: string }> {
  try {
    const { manifest, registry } = await loadManifest(file);
    // Build it as train would (without the data where the dataset knows its shape).
    await selectBackend('auto', { log: null });
    const { issues, warnings } = await checkBuild(registry, manifest);
    if (issues.length) return { ok: false, text: new ManifestError(issues, file).message };
    const noted = warnings.map((w) => `\n  warning at ${w.path}: ${w.message}`).join('');
    return { ok: true, text: `${file}: valid (${describeModel(manifest.model)}, ${manifest.model.latentDim === undefined ? 'on the data' : `latent ${manifest.model.latentDim}`})${noted}` };
  } catch (e) {
    if (e instanceof ManifestError) return { ok: false, text: e.message };
    throw e;
  }
}

/**
 * `vaeflow schema [manifest]`: the manifest JSON schema for the core and every installed plugin,
 * and, given a manifest, the plugins it names by path too, so an editor does not mark a
 * third-party flow red that `vaeflow validate` accepts. The repository's vaeflow.schema.json
 * (which the examples name) is this output, checked by a test.
 */
export async function schemaCommand(manifestFile?: string): Promise<string> {
  const { registry } = await registryOfInstalledPlugins(); // load failures are listed by `vaeflow plugins`
  if (manifestFile) {
    const raw = readJsonFile(manifestFile) as { plugins?: unknown };
    const named = Array.isArray(raw?.plugins) ? raw.plugins.filter((p): p is string => typeof p === 'string') : [];
    const loaded = new Set(registry.plugins().map((p) => p.name));
    for (const spec of named) if (!loaded.has(spec)) await registry.load([spec], path.dirname(path.resolve(manifestFile)));
  }
  return JSON.stringify(assembledManifestSchema(registry), null, 2);
}

/** "vae, 2 flow(s)" or the model type, for the one-line verdict. */
function describeModel(model: { type: string; flows?: unknown }): string {
  return Array.isArray(model.flows) ? `${model.type}, ${model.flows.length} flow(s)` : model.type;
}
