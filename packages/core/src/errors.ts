/**
 * A mistake the user can fix (a missing run folder, a damaged checkpoint, a full disk, a
 * diverged training): the CLI prints its message as one line and exits 1, with no stack trace.
 * The message says what happened and what to do. Anything else that escapes is a bug in vaeflow
 * and is printed with its stack.
 */
export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}

const SYSTEM_CAUSES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EMFILE: 'too many open files',
};

/**
 * A file-system error from Node (ENOSPC, EACCES, EROFS, ...) as a UserError that names the path
 * and the cause in words; null for anything else.
 */
export function userErrorFromSystem(e: unknown): UserError | null {
  const err = e as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (!err || typeof err.code !== 'string' || !(err.code in SYSTEM_CAUSES)) return null;
  const where = err.path ? `${err.syscall ?? 'access'} ${err.path}${err.dest ? ` -> ${err.dest}` : ''}` : (err.syscall ?? 'file access');
  return new UserError(`cannot ${where}: ${SYSTEM_CAUSES[err.code]} (${err.code}); nothing after this point was written`, { cause: e });
}

/**
 * WebAssembly's out-of-memory failures as a UserError that says what to lower; null for anything
 * else. The wasm backend's heap holds at most 4 GB, and a pass too large for it fails as
 * "memory access out of bounds" or an abort, not as an allocation error.
 */
export function userErrorFromWasmHeap(e: unknown): UserError | null {
  const err = e as Error | undefined;
  const message = err?.message ?? '';
  // WebAssembly.RuntimeError, by name (core builds without the DOM's types)
  const outOfBounds = err?.name === 'RuntimeError' && /memory access out of bounds/.test(message);
  if (!outOfBounds && !/Cannot enlarge memory|Aborted\(OOM\)|Out of memory/i.test(message)) return null;
  return new UserError(
    `the WebAssembly heap (at most 4 GB) most likely ran out during a pass (${message.trim()}): lower the rows a pass takes (vaeflow eval --max-rows, a sweep's eval.maxRows, training.batchSize), or use --backend tensorflow where @tensorflow/tfjs-node loads; run with --debug for the stack`,
    { cause: e },
  );
}
