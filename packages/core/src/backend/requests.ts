/**
 * Backends a manifest or `--backend` may ask for (kept apart from selection, which
 * loads Node-only packages). `tensorflow` is tfjs-node(-gpu), when it
 * loads; `native` is the wasm backend with @vaeflow/native's OpenBLAS kernels; `wasm` is the
 * wasm backend with vaeflow's JavaScript/XNNPACK kernels only.
 */
export type BackendRequest = 'auto' | 'tensorflow' | 'native' | 'wasm' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'];
