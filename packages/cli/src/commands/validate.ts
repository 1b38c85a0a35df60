import { ManifestError, assembledManifestSchema, checkBuild, selectBackend } from '@vaeflow/core';
import { loadManifest } from '../manifest-file.js';
import { registryOfInstalledPlugins } from './plugins.js';

/** `vaeflow validate <manifest>`: null when valid, else the located issues as text. */
export async function validateCommand(file: string): Promise<{ ok: boolean; text: string }> {
  try {
    const { manifest, registry } = await loadManifest(file);
    // Build it as train would (without the data where the dataset knows its shape).
    await selectBackend('auto', { log: null });
    const issues = await checkBuild(registry, manifest);
    if (issues.length) return { ok: false, text: new ManifestError(issues, file).message };
    return { ok: true, text: `${file}: valid (${describeModel(manifest.model)}, latent ${manifest.model.latentDim})` };
  } catch (e) {
    if (e instanceof ManifestError) return { ok: false, text: e.message };
    throw e;
  }
}

/** `vaeflow schema`: the manifest JSON schema for the core and every installed plugin. */
export async function schemaCommand(): Promise<string> {
  const { registry } = await registryOfInstalledPlugins(); // load failures are listed by `vaeflow plugins`
  return JSON.stringify(assembledManifestSchema(registry), null, 2);
}

/** "vae, 2 flow(s)" or the model type, for the one-line verdict. */
function describeModel(model: { type: string; flows?: unknown }): string {
  return Array.isArray(model.flows) ? `${model.type}, ${model.flows.length} flow(s)` : model.type;
}
