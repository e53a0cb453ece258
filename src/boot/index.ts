// dist/boot.js (CommonJS), run by bin/mt4gw.js for everything but --version: sets the V8 flags every
// command runs with, then runs dist/cli.js through the code-cache loader (loader.ts). The code
// cache lives in the state directory's cache/ (beside the config cache); MT4GW_CODE_CACHE=off
// turns it off (every chunk compiled from source, nothing written).
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import * as zlib from 'node:zlib';
import { stateDir } from '../state/dir.js';
import { available, packKey } from './code-cache.js';
import { createLoader } from './loader.js';

declare const __MT4GW_CODE_BUILD__: string;

/**
 * `--liftoff-only`: undici's HTTP parser is WebAssembly, and by default V8 also compiles it with its
 * optimising tier on a background thread that a short-lived process must wait for at exit (~80 ms;
 * docs/performance.md). Set here, before any chunk is compiled, because V8 keys cached bytecode on
 * its flags: set later, it would make every cache entry a mismatch.
 */
export const V8_FLAGS = ['--liftoff-only'];

/**
 * The kind of run, as far as the arguments tell: the first word-like argument (`account`,
 * `summary`, `help`) and the long options given (`summary --json`, `trade --dry-run`), which take
 * different code paths. A pack remembers the kinds that have written it (code-cache.ts).
 */
export function commandWord(args: string[]): string | undefined {
  const word = args.find((a) => /^[a-z][a-z-]{0,31}$/.test(a));
  const options = [...new Set(args.filter((a) => /^--[a-z][a-z-]{0,31}(=|$)/.test(a)).map((a) => a.split('=')[0]!))].sort();
  const kind = [...(word ? [word] : []), ...options].join(' ');
  return kind === '' ? undefined : kind;
}

export function cacheEnabled(env: NodeJS.ProcessEnv): boolean {
  return available && !/^(0|off|false|no)$/i.test(env.MT4GW_CODE_CACHE?.trim() ?? '');
}

export function codeCacheFile(env: NodeJS.ProcessEnv, distDir: string): string {
  return join(stateDir(env), 'cache', `code-${zlib.crc32(distDir).toString(16).padStart(8, '0')}.bin`);
}

/** Runs mt4gw: `distDir` is the directory of dist/cli.js and its chunks. */
export function boot(argv: string[], distDir: string): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
  const loader = createLoader({
    distDir,
    cacheFile: cacheEnabled(process.env) ? codeCacheFile(process.env, distDir) : undefined,
    key: packKey({ build: __MT4GW_CODE_BUILD__, distDir, flags: V8_FLAGS }),
    word: commandWord(argv.slice(2)),
  });
  process.once('exit', () => loader.save());
  // What the loader did, for bench/profile.mjs (a preloaded script reads it at exit).
  (globalThis as Record<symbol, unknown>)[Symbol.for('mt4gw.boot')] = loader.stats;
  (loader.load('cli.js') as { main(argv: string[]): void }).main(argv);
}
