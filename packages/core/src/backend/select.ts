import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors.js';
import { installWasmKernels } from './wasm-kernels.js';

import { BACKEND_REQUESTS, type BackendRequest } from './requests.js';

export { BACKEND_REQUESTS, type BackendRequest } from './requests.js';

export interface BackendChoice {
  /** The tfjs backend name now active: `tensorflow`, `wasm` or `cpu` (`native` runs on `wasm`). */
  name: string;
  /** What was chosen: `tensorflow`, `native`, `wasm` or `cpu`. */
  kind: Exclude<BackendRequest, 'auto'>;
  /** Where it came from, for the one line printed at start. */
  detail: string;
  /** Why better backends were passed over (empty when the first choice loaded). */
  skipped: string[];
}

export interface SelectBackendOptions {
  /** Called once with the chosen backend; default writes one line to stderr. Pass `null` to stay silent. */
  log?: ((line: string) => void) | null;
  /** Register vaeflow's tuned wasm kernels (default true). `false` measures stock tfjs. */
  tunedKernels?: boolean;
  /** Threads for the native kernels (default: VAEFLOW_THREADS, else every available core). */
  threads?: number;
}

/** What core needs of @vaeflow/native (kept structural so that core builds without it). */
interface NativeModule {
  installNativeKernels(options: { threads?: number }): { ok: true; summary: string; threads?: number; cpuKernel?: string } | { ok: false; reason: string };
  uninstallNativeKernels(): void;
  nativeKernelsActive(): boolean;
  loadNative(): { ok: true } | { ok: false; reason: string };
}

let nativeModule: NativeModule | null | undefined;
let numerics: string | null = null;

/**
 * What the active backend's float results depend on besides the inputs, e.g. `native (Haswell
 * kernel, 2 threads)`: OpenBLAS's products on two or more threads sum in another order on some
 * CPUs, so a run resumed under other numerics does not continue bit for bit. Null before
 * {@link selectBackend}.
 */
export function backendNumerics(): string | null {
  return numerics;
}
let nativeMissing = '';

/** @vaeflow/native when it is installed (it is an optional dependency), else null with the reason kept. */
function nativePackage(): NativeModule | null {
  if (nativeModule !== undefined) return nativeModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    nativeModule = require('@vaeflow/native') as NativeModule;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    nativeMissing = code === 'MODULE_NOT_FOUND' ? '@vaeflow/native is not installed' : `@vaeflow/native failed to load: ${(e as Error).message.split('\n')[0]}`;
    nativeModule = null;
  }
  return nativeModule;
}

/** Null when the native kernels can be used in this process, else the reason they cannot. */
export function nativeKernelsUnavailable(): string | null {
  const pkg = nativePackage();
  if (!pkg) return nativeMissing;
  const r = pkg.loadNative();
  return r.ok ? null : r.reason;
}

/** Loads an optional native binding by package name; absent or broken installs return the reason. */
function tryRequireNative(pkg: string): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(pkg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'MODULE_NOT_FOUND' ? `${pkg} is not installed` : `${pkg} failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    return `${pkg} loaded but registered its backend on another copy of @tensorflow/tfjs-core (align it to ${tf.version_core})`;
  }
  return null;
}

async function activate(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Chooses the tensor backend. `auto` tries tfjs-node-gpu, tfjs-node, the native kernels, wasm,
 * then cpu, and takes the first that loads; any other request takes that backend or throws
 * saying why. The wasm backend ships inside `@tensorflow/tfjs-backend-wasm`, so `auto` always
 * has it. The line logged names the choice and, when better ones were passed over, why.
 */
export async function selectBackend(request: BackendRequest = 'auto', options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const log = options.log === undefined ? (line: string) => process.stderr.write(`${line}\n`) : options.log;
  const skipped: string[] = [];
  const order: Exclude<BackendRequest, 'auto'>[] = request === 'auto' ? ['tensorflow', 'native', 'wasm', 'cpu'] : [request];
  for (const want of order) {
    let detail = '';
    let tfName: string = want;
    let chosenNumerics: string = want;
    if (want === 'tensorflow') {
      const gpu = tryRequireNative('@tensorflow/tfjs-node-gpu');
      const why = gpu == null ? null : tryRequireNative('@tensorflow/tfjs-node');
      if (gpu != null && why != null && gpu.endsWith('is not installed') && why.endsWith('is not installed')) {
        skipped.push('@tensorflow/tfjs-node(-gpu) is not installed');
        continue;
      }
      if (gpu != null) skipped.push(gpu);
      if (why != null) {
        skipped.push(why);
        continue;
      }
      detail = gpu == null ? '@tensorflow/tfjs-node-gpu (CUDA)' : '@tensorflow/tfjs-node (native CPU)';
    } else if (want === 'native' || want === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
      tfName = 'wasm';
      // The JavaScript kernels lie underneath the native ones: a shape the native kernels do
      // not take falls through to them.
      if (options.tunedKernels !== false) installWasmKernels();
      const pkg = nativePackage();
      if (want === 'native') {
        const r = pkg ? pkg.installNativeKernels({ threads: options.threads }) : { ok: false as const, reason: nativeMissing };
        if (!r.ok) {
          skipped.push(`native kernels unavailable: ${r.reason}`);
          continue;
        }
        detail = `wasm backend with @vaeflow/native kernels (${r.summary})`;
        chosenNumerics = `native (${r.cpuKernel ?? 'unknown'} kernel, ${r.threads ?? '?'} thread${r.threads === 1 ? '' : 's'})`;
      } else {
        if (pkg?.nativeKernelsActive()) pkg.uninstallNativeKernels();
        detail = options.tunedKernels === false ? '@tensorflow/tfjs-backend-wasm (stock kernels)' : '@tensorflow/tfjs-backend-wasm with vaeflow kernels';
      }
    } else if (want === 'cpu') {
      await import('@tensorflow/tfjs-backend-cpu');
      detail = '@tensorflow/tfjs-backend-cpu (pure JavaScript, slow)';
    } else {
      throw new Error(`unknown backend "${want}"; choose one of ${BACKEND_REQUESTS.join(', ')}`);
    }
    if (await activate(tfName)) {
      await tf.ready();
      const why = skipped.length ? ` [passed over: ${skipped.join('; ')}]` : '';
      numerics = chosenNumerics;
      if (log) log(`vaeflow: backend ${want} — ${detail}${why}`);
      return { name: tfName, kind: want, detail, skipped };
    }
    skipped.push(`${want} did not initialise`);
  }
  throw new UserError(`backend "${request}" is not available here: ${skipped.join('; ')}`);
}
