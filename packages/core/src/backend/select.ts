import * as tf from '@tensorflow/tfjs-core';
import { installWasmKernels } from './wasm-kernels.js';

/** Backends a manifest or `--backend` may ask for. `tensorflow` is tfjs-node(-gpu), when it loads. */
export type BackendRequest = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  /** The tfjs backend name now active: `tensorflow`, `wasm` or `cpu`. */
  name: string;
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
 * Chooses the tensor backend. `auto` tries tfjs-node-gpu, tfjs-node, wasm, then cpu, and
 * takes the first that loads; any other request takes that backend or throws saying why.
 * The wasm backend ships inside `@tensorflow/tfjs-backend-wasm`, so `auto` always has it.
 */
export async function selectBackend(request: BackendRequest = 'auto', options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const log = options.log === undefined ? (line: string) => process.stderr.write(line + '\n') : options.log;
  const skipped: string[] = [];
  const order: BackendRequest[] = request === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [request];
  for (const want of order) {
    let detail = '';
    if (want === 'tensorflow') {
      const gpu = tryRequireNative('@tensorflow/tfjs-node-gpu');
      const why = gpu == null ? null : tryRequireNative('@tensorflow/tfjs-node');
      if (gpu != null) skipped.push(gpu);
      if (why != null) {
        skipped.push(why);
        continue;
      }
      detail = gpu == null ? '@tensorflow/tfjs-node-gpu (CUDA)' : '@tensorflow/tfjs-node (native CPU)';
    } else if (want === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
      if (options.tunedKernels !== false) installWasmKernels();
      detail = options.tunedKernels === false ? '@tensorflow/tfjs-backend-wasm (stock kernels)' : '@tensorflow/tfjs-backend-wasm with vaeflow kernels';
    } else if (want === 'cpu') {
      await import('@tensorflow/tfjs-backend-cpu');
      detail = '@tensorflow/tfjs-backend-cpu (pure JavaScript, slow)';
    } else {
      throw new Error(`unknown backend "${want}"; choose one of ${BACKEND_REQUESTS.join(', ')}`);
    }
    if (await activate(want)) {
      await tf.ready();
      if (log) log(`vaeflow: backend ${want} — ${detail}`);
      return { name: want, detail, skipped };
    }
    skipped.push(`${want} did not initialise`);
  }
  throw new Error(`backend "${request}" is not available here: ${skipped.join('; ')}`);
}
