// Reading a small file whole, bounded in bytes whatever the file system says about its size: a
// /proc file reports 0, a device has no end, and a file can grow, or be swapped for a FIFO or a
// device, between a stat and a read. Used for agents.yml and token files (both synchronous).
import fs from 'node:fs';

export type CappedRead =
  | { kind: 'ok'; buf: Buffer }
  /** Not a regular file once opened (a directory, a FIFO, a device, a socket). */
  | { kind: 'not-regular'; stats: fs.Stats }
  /** More than `max` bytes were there to read. */
  | { kind: 'too-large' };

/** Opened without blocking: a FIFO put in the file's place is refused, never waited on. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/**
 * At most `max` bytes of a regular file, checked on the open descriptor (not the path), reading
 * one byte past `max` to tell "larger". Throws the system error when it cannot be opened or read.
 */
export function readRegularFileCapped(file: string, max: number): CappedRead {
  const fd = fs.openSync(file, OPEN_FLAGS);
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) return { kind: 'not-regular', stats };
    if (stats.size > max) return { kind: 'too-large' };
    // Sized from what fstat says, grown when more comes, never beyond max + 1.
    let buf = Buffer.allocUnsafe(Math.min(max + 1, Math.max(stats.size + 1, 4096)));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (buf.length > max) break;
        const bigger = Buffer.allocUnsafe(Math.min(max + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return n > max ? { kind: 'too-large' } : { kind: 'ok', buf: buf.subarray(0, n) };
  } finally {
    fs.closeSync(fd);
  }
}
