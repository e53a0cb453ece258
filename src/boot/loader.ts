// Loads the chunks of dist/ (CommonJS, made by scripts/build.mjs from esbuild's split ES modules)
// through `vm.Script`, so that V8 can be handed each chunk's cached bytecode (code-cache.ts) and
// asked for fresh bytecode at exit. A chunk is run exactly as Node would run a CommonJS module, in
// strict mode (the code was written as ES modules), with `import.meta.url` passed in as its file
// URL. `require('./x.js')` loads a chunk of the same directory, anything else goes to Node's own
// require (built-ins, and the optional native zeromq).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { type FreshEntry, type Pack, emptyPack, entryFor, knows, mergePack, readPack, writePack } from './code-cache.js';

export interface LoaderOptions {
  distDir: string;
  /** The pack file; undefined: no code cache (compile every chunk from source, write nothing). */
  cacheFile: string | undefined;
  key: string;
  /** The command word of this run (what the pack remembers having run); undefined: none. */
  word: string | undefined;
}

export interface LoaderStats {
  /** Chunks run with cached bytecode. */
  cached: string[];
  /** Chunks compiled from source: no entry, or an entry for other bytes. */
  compiled: string[];
  /** Chunks whose cached data V8 refused (compiled from source). */
  rejected: string[];
  /**
   * Per chunk, in load order: its size, how long the vm.Script took (compiling, or deserialising
   * the cache) and when running its top level started and ended (performance.now(); a chunk's run
   * includes the chunks it requires). For bench/profile.mjs.
   */
  timings: { name: string; bytes: number; compileMs: number; start: number; end: number }[];
}

interface Loaded {
  exports: unknown;
}

const CHUNK = /^\.\/([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.js)$/;
const WRAPPER = ['exports', 'require', 'module', '__filename', '__dirname', '__mt4gw_import_meta_url'];

export function createLoader(options: LoaderOptions) {
  const { distDir, cacheFile } = options;
  const pack: Pack = cacheFile === undefined ? emptyPack(options.key) : readPack(cacheFile, options.key);
  const nodeRequire = createRequire(join(distDir, 'cli.js'));
  const modules = new Map<string, Loaded>();
  const scripts = new Map<string, { script: Script; source: Buffer }>();
  const stats: LoaderStats = { cached: [], compiled: [], rejected: [], timings: [] };

  function load(name: string): unknown {
    const done = modules.get(name);
    if (done) return done.exports;
    const file = join(distDir, name);
    const source = readFileSync(file);
    const cachedData = cacheFile === undefined ? undefined : entryFor(pack, name, source);
    // One line, so that line numbers in stack traces are those of the file.
    const code = `(function (${WRAPPER.join(', ')}) {"use strict";${source.toString('utf8')}\n})`;
    const t0 = performance.now();
    const script = new Script(code, { filename: file, ...(cachedData ? { cachedData } : {}) });
    const timing = { name, bytes: source.length, compileMs: performance.now() - t0, start: performance.now(), end: 0 };
    stats.timings.push(timing);
    if (!cachedData) stats.compiled.push(name);
    else if (script.cachedDataRejected) stats.rejected.push(name);
    else stats.cached.push(name);
    scripts.set(name, { script, source });
    const module: Loaded = { exports: {} };
    modules.set(name, module); // before it runs, as Node does: a cycle sees the exports so far
    const fn = script.runInThisContext() as (...args: unknown[]) => void;
    try {
      fn.call(undefined, module.exports, chunkRequire, module, file, distDir, pathToFileURL(file).href);
    } finally {
      timing.end = performance.now();
    }
    return module.exports;
  }

  function chunkRequire(spec: string): unknown {
    const m = CHUNK.exec(spec);
    return m ? load(m[1]!) : nodeRequire(spec);
  }
  chunkRequire.resolve = nodeRequire.resolve;
  chunkRequire.cache = nodeRequire.cache;

  /** Whether the pack would change: a chunk compiled or refused, or a kind of run it has not seen. */
  function stale(): boolean {
    return stats.compiled.length > 0 || stats.rejected.length > 0 || !knows(pack, options.word);
  }

  /**
   * At exit: stores fresh bytecode for every chunk loaded this run when the pack would change.
   * Never throws (a cache that cannot be written is no error: the next run compiles again).
   */
  function save(): boolean {
    if (cacheFile === undefined || !stale()) return false;
    try {
      const fresh = new Map<string, FreshEntry>();
      for (const [name, { script, source }] of scripts) fresh.set(name, { data: script.createCachedData(), source });
      writePack(cacheFile, mergePack(pack, fresh, options.word));
      return true;
    } catch {
      return false;
    }
  }

  return { require: chunkRequire, load, save, stats };
}
