import { createRequire } from 'node:module';
import * as path from 'node:path';
import { UserError, resolvePlugin, selectBackend, type BackendRequest } from '@vaeflow/core';
import type * as Web from '@vaeflow/web';
import { runFolderRules } from '../manifest-file.js';
import { requireOptional } from '../optional.js';
import { loadRun } from '../run-folder.js';

export interface ExportOptions {
  out?: string;
  examples: number;
  checkpoint: 'best' | 'latest';
  minify: boolean;
  backend?: BackendRequest;
}

/**
 * `vaeflow export <run>`: a static page (default `<run>/page/`) where the run's model samples,
 * traverses, interpolates and reconstructs in the browser. Returns the folder and its files.
 */
export async function exportCommand(runDir: string, o: ExportOptions): Promise<Web.ExportSummary> {
  const web = requireOptional<typeof Web>('@vaeflow/web', 'vaeflow export');
  const outDir = path.resolve(o.out ?? path.join(runDir, 'page'));
  if (outDir === path.resolve(runDir)) throw new UserError('--out must not be the run folder itself; the default is <run>/page');
  await selectBackend(o.backend ?? 'auto');
  const run = await loadRun(runDir, o.checkpoint);
  if (run.model.latentDim > 0 && !run.model.decodeMean) process.stderr.write(`vaeflow export: the ${run.model.kind} model decodes no given latents, so the page shows its samples only\n`);
  const pluginFiles = (run.manifest.plugins ?? []).map((spec) => resolvePlugin(spec, runDir, runFolderRules(runDir)));
  const describer = pageDescriber(run, pluginFiles);
  const started = Date.now();
  const summary = await web.exportPage({
    runDir,
    outDir,
    model: run.model,
    manifest: run.manifest,
    dataset: run.dataset,
    pluginFiles,
    checkpoint: run.checkpoint,
    ema: run.ema,
    describer,
    examples: o.examples,
    minify: o.minify,
  });
  run.model.dispose();
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  process.stderr.write(
    `vaeflow export: ${summary.files.map((f) => `${f.name} ${mb(f.bytes)}`).join(', ')}; ${mb(summary.totalBytes)} in all, written in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  process.stderr.write(
    `vaeflow export: open it through any static web server, e.g. vaeflow serve ${path.relative(process.cwd(), outDir) || '.'} (a page opened as a file:// cannot load its weights)\n`,
  );
  return summary;
}

/** The dataset's page describer module (`pageDescriber` of its component), resolved from the plugin packages the run names. */
function pageDescriber(run: Awaited<ReturnType<typeof loadRun>>, pluginFiles: string[]): string | undefined {
  const spec = run.registry.get('dataset', run.manifest.data.type)?.pageDescriber;
  if (!spec) return undefined;
  for (const file of pluginFiles) {
    try {
      return createRequire(file).resolve(spec);
    } catch {
      // not from this plugin's package: try the next
    }
  }
  throw new UserError(`the dataset "${run.manifest.data.type}" names its page describer ${spec}, which none of the run's plugins provides`);
}
