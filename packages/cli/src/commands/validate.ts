import { ManifestError, assembledManifestSchema } from '@vaeflow/core';
import { loadManifest } from '../manifest-file.js';
import { registryOfInstalledPlugins } from './plugins.js';

/** `vaeflow validate <manifest>`: null when valid, else the located issues as text. */
export async function validateCommand(file: string): Promise<{ ok: boolean; text: string }> {
  try {
    const { manifest } = await loadManifest(file);
    return { ok: true, text: `${file}: valid (${manifest.model.flows.length} flow(s), latent ${manifest.model.latentDim})` };
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
