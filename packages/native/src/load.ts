import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** The functions the compiled addon exports (src/native/addon.cc). Buffers are byte offsets into `heap`. */
export interface NativeBinding {
  matmul(
    heap: ArrayBuffer,
    a: number,
    b: number,
    out: number,
    bias: number,
    prelu: number,
    batch: number,
    strideA: number,
    strideB: number,
    M: number,
    N: number,
    K: number,
    transA: number,
    transB: number,
    act: number,
    alpha: number,
    biasLen: number,
    preluLen: number,
  ): void;
  /** (heap, x, w, y, ...15 geometry numbers) */
  conv2d(heap: ArrayBuffer, ...buffersThenGeometry: number[]): void;
  /** (heap, dy, w, dx, ...15 geometry numbers) */
  conv2dBackpropInput(heap: ArrayBuffer, ...buffersThenGeometry: number[]): void;
  /** (heap, x, dy, dw, ...15 geometry numbers) */
  conv2dBackpropFilter(heap: ArrayBuffer, ...buffersThenGeometry: number[]): void;
  /** (heap, x, g, m, v, xOut, mOut, vOut, n, lr, beta1, beta2, epsilon, gradScale, 1 - beta1^t, 1 - beta2^t) */
  adam(heap: ArrayBuffer, ...buffersThenScalars: number[]): void;
  /** out = x tiled reps[d] times along each dimension (4-byte elements) */
  tile(heap: ArrayBuffer, x: number, out: number, elementBytes: number, shape: number[], reps: number[]): void;
  softplus(heap: ArrayBuffer, x: number, y: number, n: number): void;
  /** out[r] = sum_d x l - softplus(l) over rows of [rows, dims] */
  bernoulliLogProb(heap: ArrayBuffer, x: number, logits: number, out: number, rows: number, dims: number): void;
  /** out[a, c] = sum_r x[a, r, c] for x viewed as [A, R, C] */
  reduceSum(heap: ArrayBuffer, x: number, out: number, A: number, R: number, C: number): void;
  /** Björck orthogonalisation of [batch, D, M] matrices: (heap, q0, q, batch, D, M, maxIterations, tolerance) */
  bjorck(heap: ArrayBuffer, q0: number, q: number, batch: number, D: number, M: number, maxIterations: number, tolerance: number): void;
  /** its backward pass: (heap, q0, dy, dq0, batch, D, M, maxIterations, tolerance) */
  bjorckBackward(heap: ArrayBuffer, q0: number, dy: number, dq0: number, batch: number, D: number, M: number, maxIterations: number, tolerance: number): void;
  /** the rational-quadratic spline over n elements with K bins: (heap, v, uw, uh, ud, out, logDet, n, K, bound, minBinSize, minDerivative, inverse) */
  rqSpline(
    heap: ArrayBuffer,
    v: number,
    uw: number,
    uh: number,
    ud: number,
    out: number,
    logDet: number,
    n: number,
    K: number,
    bound: number,
    minBinSize: number,
    minDerivative: number,
    inverse: number,
  ): void;
  /** its backward pass: (heap, v, uw, uh, ud, gOut, gLogDet, gv, guw, guh, gud, n, K, bound, minBinSize, minDerivative, inverse) */
  rqSplineBackward(
    heap: ArrayBuffer,
    v: number,
    uw: number,
    uh: number,
    ud: number,
    gOut: number,
    gLogDet: number,
    gv: number,
    guw: number,
    guh: number,
    gud: number,
    n: number,
    K: number,
    bound: number,
    minBinSize: number,
    minDerivative: number,
    inverse: number,
  ): void;
  /** a multilayer perceptron on [batch, sizes[0]]: (heap, x, y, [w_1, b_1, ...], sizes, batch, hidden, output, alpha) */
  mlp(heap: ArrayBuffer, x: number, y: number, params: number[], sizes: number[], batch: number, hidden: number, output: number, alpha: number): void;
  /** its backward pass: (heap, x, dy, dx, [w_1, b_1, ...], [dw_1, db_1, ...], sizes, batch, hidden, output, alpha) */
  mlpBackward(heap: ArrayBuffer, x: number, dy: number, dx: number, params: number[], grads: number[], sizes: number[], batch: number, hidden: number, output: number, alpha: number): void;
  sumSquares(heap: ArrayBuffer, x: number, n: number): number;
  setThreads(n: number): void;
  info(): { threads: number; blas: string; cpuKernel: string; sourceHash: string };
}

export interface LoadedNative {
  binding: NativeBinding;
  /** where the binary came from, e.g. `@vaeflow/native-linux-x64-gnu` or `source build` */
  source: string;
  file: string;
}

export type NativeLoad = { ok: true; native: LoadedNative } | { ok: false; reason: string };

const packageRoot = path.resolve(__dirname, '..');

/** The per-platform package that carries a prebuilt binary, e.g. `@vaeflow/native-linux-x64-gnu`. */
export function platformPackage(): string {
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const libc = process.platform === 'linux' ? (report?.header?.glibcVersionRuntime ? '-gnu' : '-musl') : '';
  return `@vaeflow/native-${process.platform}-${process.arch}${libc}`;
}

/** The hash of the native sources this JavaScript was built with (dist/source-hash.json). */
export function expectedSourceHash(): string {
  return JSON.parse(fs.readFileSync(path.join(packageRoot, 'dist', 'source-hash.json'), 'utf8')).sourceHash;
}

/** Candidate binaries, best first: an explicit VAEFLOW_NATIVE_BINARY, the prebuilt package, a source build. */
export function candidates(): { source: string; file: string | null; missing: string }[] {
  const list: { source: string; file: string | null; missing: string }[] = [];
  const explicit = process.env.VAEFLOW_NATIVE_BINARY;
  if (explicit) list.push({ source: 'VAEFLOW_NATIVE_BINARY', file: path.resolve(explicit), missing: `VAEFLOW_NATIVE_BINARY=${explicit} does not exist` });
  const pkg = platformPackage();
  let prebuilt: string | null = null;
  try {
    prebuilt = require.resolve(`${pkg}/vaeflow_native.node.br`);
  } catch {
    prebuilt = null;
  }
  list.push({ source: pkg, file: prebuilt, missing: `no prebuilt binary for this platform (${pkg} is not installed)` });
  const built = path.join(packageRoot, 'build', 'vaeflow_native.node');
  list.push({
    source: 'source build',
    file: fs.existsSync(built) ? built : null,
    missing: 'not built from source (needs g++ and OpenBLAS: apt-get install g++ libopenblas-dev, then npm rebuild @vaeflow/native)',
  });
  return list;
}

/**
 * The prebuilt binary ships brotli-compressed (`vaeflow_native.node.br`: 1.5 MB in the package
 * and in git, against 25 MB, most of it OpenBLAS's kernels for every CPU). The first load
 * unpacks it, atomically, beside the compressed file, or where that folder is read-only into
 * ~/.cache/vaeflow/native, then the system's temporary folder; the name carries the compressed
 * file's hash, so a new binary never meets an old unpacked one.
 */
export function unpackPrebuilt(compressed: string): string {
  const packed = fs.readFileSync(compressed);
  const name = `vaeflow_native-${createHash('sha256').update(packed).digest('hex').slice(0, 16)}.node`;
  const dirs = [path.dirname(compressed), path.join(os.homedir(), '.cache', 'vaeflow', 'native'), os.tmpdir()];
  const existing = dirs.map((d) => path.join(d, name)).find((f) => fs.existsSync(f));
  if (existing) return existing;
  const failures: string[] = [];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(tmp, zlib.brotliDecompressSync(packed));
      fs.renameSync(tmp, file);
      return file;
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      failures.push(`${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  throw new Error(`cannot unpack ${compressed} (${failures.join('; ')})`);
}

/** Loads one binary (unpacking a compressed prebuilt first) and checks that it was built from the sources this JavaScript expects. */
export function loadBinary(file: string, source: string): NativeLoad {
  let binding: NativeBinding;
  try {
    const binary = file.endsWith('.br') ? unpackPrebuilt(file) : file;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(binary) as NativeBinding;
  } catch (e) {
    return { ok: false, reason: `${source} failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  const have = binding.info?.().sourceHash;
  const want = expectedSourceHash();
  if (have !== want) return { ok: false, reason: `${source} was built from other sources (${String(have).slice(0, 12)}, expected ${want.slice(0, 12)}): rebuild it` };
  return { ok: true, native: { binding, source, file } };
}

let cached: NativeLoad | null = null;

/**
 * Finds the native kernels: VAEFLOW_NATIVE=off disables them; otherwise the first candidate
 * that loads and matches the sources wins. The reason for failure names every candidate tried.
 */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  const off = (process.env.VAEFLOW_NATIVE ?? '').toLowerCase();
  if (off === 'off' || off === '0' || off === 'false') return (cached = { ok: false, reason: `disabled by VAEFLOW_NATIVE=${process.env.VAEFLOW_NATIVE}` });
  const reasons: string[] = [];
  for (const c of candidates()) {
    if (!c.file || !fs.existsSync(c.file)) {
      reasons.push(c.missing);
      continue;
    }
    const r = loadBinary(c.file, c.source);
    if (r.ok) return (cached = r);
    reasons.push(r.reason);
  }
  return (cached = { ok: false, reason: reasons.join('; ') });
}
