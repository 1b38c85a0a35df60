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
