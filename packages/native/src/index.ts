/**
 * @vaeflow/native — native CPU kernels (OpenBLAS GEMM, im2col convolutions, a fused Adam
 * update and the gradient norm) for TensorFlow.js's wasm backend. The binary comes prebuilt in a
 * per-platform package (`@vaeflow/native-linux-x64-gnu`) or is built from source where g++ and
 * OpenBLAS are present; where neither is possible, {@link installNativeKernels} says why and
 * changes nothing, and the wasm backend's own kernels stay in place.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { loadNative } from './load';
import { registerNativeKernels, unregisterNativeKernels, nativeKernelsRegistered } from './kernels';

export { loadNative, loadBinary, unpackPrebuilt, candidates, platformPackage, expectedSourceHash, type NativeBinding, type LoadedNative, type NativeLoad } from './load';
export {
  ADAM_KERNEL,
  GLOBAL_NORM_KERNEL,
  BERNOULLI_LOG_PROB_KERNEL,
  BJORCK_KERNEL,
  BJORCK_GRAD_KERNEL,
  RQ_SPLINE_KERNEL,
  RQ_SPLINE_GRAD_KERNEL,
  RQ_SPLINE_MAX_BINS,
  MLP_KERNEL,
  MLP_GRAD_KERNEL,
  MLP_ACTIVATIONS,
  NATIVE_KERNEL_NAMES,
  registerNativeKernels,
  unregisterNativeKernels,
  nativeKernelsRegistered,
  type AdamKernelAttrs,
  type BjorckKernelAttrs,
  type RQSplineKernelAttrs,
  type MLPKernelAttrs,
} from './kernels';

export type NativeInstall = { ok: true; source: string; file: string; threads: number; blas: string; cpuKernel: string; summary: string } | { ok: false; reason: string };

/** Threads for the native kernels: VAEFLOW_THREADS when set, else every core this process may use. */
export function defaultThreads(): number {
  const env = Number(process.env.VAEFLOW_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Loads the native binary and registers its kernels for the wasm backend (import
 * `@tensorflow/tfjs-backend-wasm` first). Returns what was loaded, or why nothing was.
 * `threads` sets the BLAS's thread count (default {@link defaultThreads}); OpenBLAS's threads
 * spin while they wait, so give one thread per process when several processes share the cores.
 */
export function installNativeKernels(options: { threads?: number } = {}): NativeInstall {
  if (tf.getKernel('BatchMatMul', 'wasm') == null) throw new Error('@vaeflow/native: load @tensorflow/tfjs-backend-wasm before installing the native kernels');
  const loaded = loadNative();
  if (!loaded.ok) return { ok: false, reason: loaded.reason };
  const { binding, source, file } = loaded.native;
  binding.setThreads(options.threads ?? defaultThreads());
  registerNativeKernels(binding);
  const info = binding.info();
  const blas = info.blas.trim();
  return {
    ok: true,
    source,
    file,
    threads: info.threads,
    blas,
    cpuKernel: info.cpuKernel,
    summary: `${`${blas.split(' ')[0]} ${blas.split(' ')[1] ?? ''}`.trim()}, ${info.cpuKernel} kernel, ${info.threads} thread${info.threads === 1 ? '' : 's'}, from ${source}`,
  };
}

/** Changes the BLAS thread count of the loaded native kernels (no effect when none are loaded). */
export function setNativeThreads(n: number): void {
  const loaded = loadNative();
  if (loaded.ok) loaded.native.binding.setThreads(n);
}

/** True when the native kernels are registered for the wasm backend now. */
export function nativeKernelsActive(): boolean {
  return nativeKernelsRegistered();
}

/** Removes the native kernels, putting back the wasm kernels that were there before. */
export function uninstallNativeKernels(): void {
  unregisterNativeKernels();
}
