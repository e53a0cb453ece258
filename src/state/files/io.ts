// File primitives of the files store: durable writes (fsync of the file and of its directory),
// atomic replacement, and one translation of file-system failures into StoreUnavailableError.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../store.js';

/** Errors that mean the disk or directory cannot take writes (as opposed to a bug). */
const STORAGE_CODES = new Set([
  'ENOSPC',
  'EROFS',
  'EACCES',
  'EPERM',
  'EIO',
  'ENOTDIR',
  'EISDIR',
  'EDQUOT',
  'EEXIST',
  'ENOENT',
  'EMFILE',
  'ENFILE',
]);

export function isStorageError(e: unknown): e is NodeJS.ErrnoException {
  return typeof (e as { code?: unknown })?.code === 'string' && STORAGE_CODES.has((e as NodeJS.ErrnoException).code!);
}

/** Rethrows a file-system failure as StoreUnavailableError naming what was being done; anything else as is. */
export function storageFailure(e: unknown, doing: string, where: string): never {
  if (isStorageError(e)) {
    throw new StoreUnavailableError(`the desk state in ${where} could not be ${doing}: ${e.code}${e.message ? ` (${e.message})` : ''}`, {
      cause: e,
    });
  }
  throw e;
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Appends one line with a single write() on an O_APPEND descriptor, optionally flushed. */
export function appendLine(file: string, line: string, durable: boolean): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, line);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `text` atomically and durably: a temporary file beside it, fsync, rename,
 * fsync of the directory. A failure removes the temporary file: nothing is left behind.
 */
export function writeAtomic(path: string, text: string, tmpName: string): void {
  const tmp = `${dirname(path)}/${tmpName}`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    fsyncPath(tmp);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the directory itself is gone or unusable: nothing was left in it
    }
    throw e;
  }
  fsyncPath(dirname(path));
}

/** Writes a new file durably (file and directory entry). */
export function writeDurable(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  fsyncPath(path);
  fsyncPath(dirname(path));
}
