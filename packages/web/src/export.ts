import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin as EsbuildPlugin } from 'esbuild';
import { UserError, dataColumns, pluginOfModule, rowDimOf, readMetrics, writeFileAtomic, type Dataset, type LatentModel, type Manifest } from '@vaeflow/core';
import { pageHtml } from './html.js';
import { PAGE_FORMAT, type ExportedModel, type ExportedTensor } from './format.js';
import { VERSION } from './version.js';

/** What `exportPage` needs: a model with its trained weights loaded, and where it came from. */
export interface ExportInput {
  /** the run folder (its name titles the page) */
  runDir: string;
  /** where the page goes (created; an earlier export there is replaced) */
  outDir: string;
  model: LatentModel;
  manifest: Manifest;
  dataset: Dataset;
  /** the module file of each plugin the manifest names (resolved as `vaeflow` resolves them) */
  pluginFiles: string[];
  /** a module exporting `pageDescriber` that shows examples as text (the dataset's `pageDescriber`, resolved) */
  describer?: string;
  /** the checkpoint folder the weights came from */
  checkpoint: string;
  /** whether the weights are the moving average kept by `training.ema` */
  ema: boolean;
  /** test examples shipped for interpolation, the latent scatter and the traversal's starting points (default 1000) */
  examples?: number;
  /** minify the script (default true) */
  minify?: boolean;
}

export interface ExportSummary {
  outDir: string;
  files: { name: string; bytes: number }[];
  totalBytes: number;
  /** the plugins bundled into the page (those providing model components) */
  bundledPlugins: string[];
}

/** Files an export writes; a folder holding anything else is not overwritten. */
const PAGE_FILES = ['index.html', 'page.js', 'model.json', 'weights.bin', 'examples.bin'];
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
/** Component kinds a page never runs: their plugins (and their Node-only code) stay out of the bundle. */
const NODE_ONLY_KINDS = new Set(['dataset', 'logger']);

function checkOutDir(outDir: string): void {
  if (!fs.existsSync(outDir)) return;
  if (!fs.statSync(outDir).isDirectory()) throw new UserError(`--out ${outDir} is a file, not a folder`);
  const foreign = fs.readdirSync(outDir).filter((f) => !PAGE_FILES.includes(f) && !WASM_FILES.includes(f) && !f.endsWith('.tmp'));
  if (foreign.length)
    throw new UserError(`--out ${outDir} holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose an empty or new folder, or the folder of an earlier export`);
}

/** The model's variables, concatenated as float32, with their names and shapes. */
function packWeights(model: LatentModel): { index: ExportedTensor[]; bytes: Buffer } {
  const index: ExportedTensor[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, v] of model.namedVariables()) {
    if (v.dtype !== 'float32') throw new UserError(`variable ${name} is ${v.dtype}; a page carries float32 weights only`);
    const data = v.dataSync() as Float32Array;
    index.push({ name, shape: v.shape, offset });
    parts.push(data);
    offset += data.length;
  }
  const all = new Float32Array(offset);
  parts.forEach((p, i) => all.set(p, index[i].offset));
  return { index, bytes: Buffer.from(all.buffer, all.byteOffset, all.byteLength) };
}

/** The first n test examples: as grey levels k/255 in one byte each when they all are, else float32; labels after. */
function packExamples(dataset: Dataset, wanted: number): { meta: ExportedModel['examples']; bytes: Buffer } {
  const split = dataset.test.n > 0 ? dataset.test : dataset.val;
  const n = Math.min(wanted, split.n);
  // the data columns only: a conditional model's labels travel as the labels below
  const x = dataColumns(split.x.subarray(0, n * rowDimOf(dataset)), n, dataset);
  const asBytes = x.every((v) => v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-3);
  const values = asBytes ? Buffer.from(Uint8Array.from(x, (v) => Math.round(v * 255))) : Buffer.from(new Float32Array(x).buffer);
  const labels = split.labels ? Buffer.from(split.labels.subarray(0, n)) : Buffer.alloc(0);
  return { meta: { n, encoding: asBytes ? 'uint8' : 'float32', valueBytes: values.length, labelled: !!split.labels }, bytes: Buffer.concat([values, labels]) };
}

/** The run's measured figures for the page's header: the test line of metrics.jsonl and eval.json. */
function measured(runDir: string): Pick<ExportedModel['source'], 'testNegElbo' | 'isNll' | 'isK' | 'epochs'> {
  const out: Pick<ExportedModel['source'], 'testNegElbo' | 'isNll' | 'isK' | 'epochs'> = {};
  for (const m of readMetrics(path.join(runDir, 'metrics.jsonl'))) {
    if (m.split === 'test' && typeof m.elbo === 'number') out.testNegElbo = -m.elbo;
    if (m.split === 'train') out.epochs = m.epoch;
  }
  const evalFile = path.join(runDir, 'eval.json');
  if (fs.existsSync(evalFile)) {
    try {
      const ev = JSON.parse(fs.readFileSync(evalFile, 'utf8'));
      if (typeof ev.nll === 'number') {
        out.isNll = ev.nll;
        out.isK = ev.k;
      }
    } catch {
      // an unreadable eval.json only loses the header's NLL
    }
  }
  return out;
}

/**
 * The page's script: the page code, `@vaeflow/core/browser` (also for every plugin importing
 * `@vaeflow/core`, so one copy serves all) and the plugins providing the model's components,
 * bundled for the browser by esbuild. A Node-only import on those paths fails here, naming it.
 */
async function bundle(pluginFiles: string[], minify: boolean, describer?: string): Promise<Buffer> {
  const coreBrowser = require.resolve('@vaeflow/core/browser');
  const gradients = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'register_all_gradients.js');
  const page = path.join(__dirname, 'page', 'main.mjs');
  const toBrowserCore: EsbuildPlugin = {
    name: 'vaeflow-core-browser',
    setup(b) {
      b.onResolve({ filter: /^@vaeflow\/core$/ }, () => ({ path: coreBrowser }));
      // core imports tfjs-layers only for the gradients its Node bundle registers; the page needs
      // tfjs-core's own registration of them, not the 700 kB of layers
      b.onResolve({ filter: /^@tensorflow\/tfjs-layers$/ }, () => ({ path: gradients }));
    },
  };
  const entry = [
    `import { startPage } from ${JSON.stringify(page)};`,
    ...pluginFiles.map((f, i) => `import * as plugin${i} from ${JSON.stringify(f)};`),
    ...(describer ? [`import { pageDescriber } from ${JSON.stringify(describer)};`] : []),
    `window.vaeflow = startPage([${pluginFiles.map((_, i) => `plugin${i}`).join(', ')}]${describer ? ', pageDescriber' : ''});`,
  ].join('\n');
  const result = await build({
    stdin: { contents: entry, resolveDir: path.dirname(page), sourcefile: 'vaeflow-page-entry.js', loader: 'js' },
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    minify,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [toBrowserCore],
    define: { 'process.env.NODE_ENV': '"production"' },
  }).catch((e: { errors?: { text: string; location?: { file: string; line: number } | null }[] }) => {
    const first = e.errors?.[0];
    throw new UserError(`the page could not be bundled: ${first ? `${first.text}${first.location ? ` (${first.location.file}:${first.location.line})` : ''}` : String(e)}`);
  });
  return Buffer.from(result.outputFiles[0].contents);
}

/** The plugin files whose plugins provide components a page runs (models, flows, priors, ...), not datasets or loggers. */
export async function pagePlugins(pluginFiles: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const file of pluginFiles) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    if (pluginOfModule(mod)?.components.some((c) => !NODE_ONLY_KINDS.has(c.kind))) out.push(file);
  }
  return out;
}

/**
 * Writes a self-contained page for a trained model: index.html, page.js (the bundled page, core
 * and plugins), model.json (manifest, shapes, weight index), weights.bin, examples.bin and the
 * wasm backend's binaries. It needs only its own files, from a local server or any static host.
 */
export async function exportPage(input: ExportInput): Promise<ExportSummary> {
  const outDir = path.resolve(input.outDir);
  checkOutDir(outDir);
  const pluginFiles = await pagePlugins(input.pluginFiles);
  const script = await bundle(pluginFiles, input.minify ?? true, input.describer);
  const weights = packWeights(input.model);
  const examples = packExamples(input.dataset, input.examples ?? 1000);
  const meta: ExportedModel = {
    format: PAGE_FORMAT,
    run: path.basename(path.resolve(input.runDir)),
    // plugin files are named by package only: a page carries no path of the machine it was exported on
    manifest: { ...input.manifest, plugins: (input.manifest.plugins ?? []).filter((p) => !p.startsWith('.') && !path.isAbsolute(p)) } as unknown as ExportedModel['manifest'],
    dataset: {
      name: input.dataset.name,
      inputShape: input.dataset.inputShape,
      valueKind: input.dataset.valueKind,
      ...(input.dataset.conditionDim ? { conditionDim: input.dataset.conditionDim, conditionNames: [...(input.dataset.conditionNames ?? [])] } : {}),
    },
    weights: weights.index,
    examples: examples.meta,
    source: { checkpoint: path.basename(input.checkpoint), ema: input.ema, ...measured(input.runDir), vaeflow: VERSION, exportedAt: new Date().toISOString() },
  };
  fs.mkdirSync(outDir, { recursive: true });
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const files: [string, Buffer | string][] = [
    ['index.html', pageHtml(meta.run)],
    ['page.js', script],
    ['model.json', JSON.stringify(meta)],
    ['weights.bin', weights.bytes],
    ['examples.bin', examples.bytes],
    ...WASM_FILES.map((f): [string, Buffer] => [f, fs.readFileSync(path.join(wasmDir, f))]),
  ];
  for (const [name, data] of files) writeFileAtomic(path.join(outDir, name), data);
  const sizes = files.map(([name, data]) => ({ name, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length }));
  return { outDir, files: sizes, totalBytes: sizes.reduce((a, f) => a + f.bytes, 0), bundledPlugins: pluginFiles };
}
