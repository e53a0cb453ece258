// The V8 code cache of the bundle: one file ("pack") per installed copy of mt4gw, in the cache
// directory under the state directory, holding for each chunk of dist/ the bytecode V8 made for it
// (`vm.Script#createCachedData()`, taken at exit so that the functions the command ran are in it).
// A run that finds a valid entry for a chunk skips parsing and compiling it (docs/performance.md).
//
// What makes an entry usable, checked on every read (any failure means "compile from source", never
// an error):
// - the pack's key: format, the build's id (a hash of every emitted chunk), the install's dist
//   directory, the Node and V8 versions, the architecture and the V8 flags mt4gw sets — a pack
//   made under any other key is ignored as a whole (and replaced at exit);
// - the chunk's source: its length and CRC-32 as read this run, so a chunk changed in place is
//   never run with the bytecode of its old text (V8 itself compares only the length);
// - the entry's own CRC-32: V8 does not checksum cached data in release builds, so a damaged file
//   must not reach it;
// - V8's verdict (`cachedDataRejected`), which also covers its version and flag hash.
// The pack is written atomically (a temporary file renamed over it), private (0600 in a 0700
// directory), and only when it would change: a chunk compiled without a cache, or a kind of run
// (command word and long options) not seen yet — its lazily compiled functions are not in it yet.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as zlib from 'node:zlib';

const MAGIC = 'MT4GWCC1';
/** Bounds the kinds of run remembered (`account`, `summary --json`; src/boot/index.ts commandWord). */
const MAX_WORDS = 64;

export interface PackEntry {
  /** Offset of the cached data in the data section, and its length. */
  o: number;
  n: number;
  /** CRC-32 of the cached data. */
  c: number;
  /** Length and CRC-32 of the chunk's source the data was made from. */
  sl: number;
  sc: number;
}

export interface Pack {
  key: string;
  words: string[];
  entries: Record<string, PackEntry>;
  data: Buffer;
}

/** zlib.crc32 exists from Node 20.15 and 22.2; without it there is no code cache. */
export const available = typeof zlib.crc32 === 'function';
const crc32 = (data: Buffer | string): number => zlib.crc32(data);

export function emptyPack(key: string): Pack {
  return { key, words: [], entries: {}, data: Buffer.alloc(0) };
}

/**
 * The key a pack must carry to be used by this process: the build, where it is installed, the Node
 * and V8 versions, the architecture and the V8 flags mt4gw sets itself. V8 flags given on the
 * command line or in NODE_OPTIONS are left to V8, which refuses cached data made under other
 * flags (its flag hash); Node's own options (--cpu-prof, --import) do not change bytecode.
 */
export function packKey(parts: { build: string; distDir: string; flags: string[] }): string {
  return JSON.stringify([MAGIC, parts.build, parts.distDir, process.version, process.versions.v8, process.arch, parts.flags]);
}

/** The pack in `file` if it was made under `key`, else an empty one (missing, damaged, stale: all the same). */
export function readPack(file: string, key: string): Pack {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return emptyPack(key);
  }
  try {
    if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) return emptyPack(key);
    const headerLength = buf.readUInt32LE(8);
    const headerCrc = buf.readUInt32LE(12);
    const start = 16 + headerLength;
    if (start > buf.length) return emptyPack(key);
    const headerBytes = buf.subarray(16, start);
    if (crc32(headerBytes) !== headerCrc) return emptyPack(key);
    const header = JSON.parse(headerBytes.toString('utf8')) as Partial<Pack>;
    if (header.key !== key || !Array.isArray(header.words) || !header.entries || typeof header.entries !== 'object') return emptyPack(key);
    return { key, words: header.words.filter((w) => typeof w === 'string'), entries: header.entries, data: buf.subarray(start) };
  } catch {
    return emptyPack(key);
  }
}

/** The cached data of a chunk whose source is `source`, if the pack has a sound entry for exactly that source. */
export function entryFor(pack: Pack, name: string, source: Buffer): Buffer | undefined {
  const e = Object.hasOwn(pack.entries, name) ? pack.entries[name] : undefined;
  if (!e || typeof e.o !== 'number' || typeof e.n !== 'number' || e.o < 0 || e.n <= 0 || e.o + e.n > pack.data.length) return undefined;
  if (e.sl !== source.length || e.sc !== crc32(source)) return undefined;
  const data = pack.data.subarray(e.o, e.o + e.n);
  return crc32(data) === e.c ? data : undefined;
}

/** Whether the pack already holds what a run of this kind compiles (or remembers no more kinds). */
export function knows(pack: Pack, word: string | undefined): boolean {
  return word === undefined || pack.words.includes(word) || pack.words.length >= MAX_WORDS;
}

export interface FreshEntry {
  data: Buffer;
  source: Buffer;
}

/**
 * The pack to store: every fresh entry (chunks loaded this run, with data just made), and the
 * old pack's entries for chunks not loaded this run (still sound: checked when they are read).
 */
export function mergePack(old: Pack, fresh: Map<string, FreshEntry>, word: string | undefined): Pack {
  const parts: Buffer[] = [];
  const entries: Record<string, PackEntry> = {};
  let offset = 0;
  const add = (name: string, data: Buffer, e: Omit<PackEntry, 'o' | 'n'>) => {
    entries[name] = { o: offset, n: data.length, ...e };
    parts.push(data);
    offset += data.length;
  };
  for (const [name, e] of Object.entries(old.entries)) {
    if (fresh.has(name) || e.o + e.n > old.data.length) continue;
    add(name, old.data.subarray(e.o, e.o + e.n), { c: e.c, sl: e.sl, sc: e.sc });
  }
  for (const [name, { data, source }] of fresh) add(name, data, { c: crc32(data), sl: source.length, sc: crc32(source) });
  const words = knows(old, word) ? old.words : [...old.words, word!];
  return { key: old.key, words, entries, data: Buffer.concat(parts) };
}

/** Writes the pack atomically and privately. Throws on failure (the caller decides it is no error). */
export function writePack(file: string, pack: Pack): void {
  const header = Buffer.from(JSON.stringify({ key: pack.key, words: pack.words, entries: pack.entries }), 'utf8');
  const prefix = Buffer.alloc(16);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 8);
  prefix.writeUInt32LE(crc32(header), 12);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, Buffer.concat([prefix, header, pack.data]), { mode: 0o600 });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
