// The V8 code cache of the bundle (src/boot/): a chunk runs with cached bytecode only when the
// pack was made by this very build, for exactly these bytes of that chunk, and the entry is intact;
// anything else — a missing, damaged, foreign or stale pack, an entry V8 refuses, a cache that
// cannot be written — means compiling from source, silently. First on small chunks in a temporary
// directory (in-process), then on the built mt4gw.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packKey, readPack, writePack } from '../src/boot/code-cache.js';
import { commandWord } from '../src/boot/index.js';
import { createLoader } from '../src/boot/loader.js';
import { baseEnv } from './helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mt4gw-code-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A dist/ of two chunks: cli.js requires chunk-a.js and a built-in; both report what they ran. */
function fakeDist(greeting = 'hello') {
  const dir = path.join(tmp, `dist-${n++}`);
  mkdirSync(dir);
  writeFileSync(
    path.join(dir, 'chunk-a.js'),
    `exports.greet = (who) => ${JSON.stringify(greeting)} + ", " + who;\nexports.strict = (function () { return this === undefined; })();\n`,
  );
  writeFileSync(
    path.join(dir, 'cli.js'),
    'const a = require("./chunk-a.js");\nconst { basename } = require("node:path");\n' +
      'exports.run = (who) => `${a.greet(who)} from ${basename(__filename)} (${new URL(__mt4gw_import_meta_url).protocol}) strict=${a.strict}`;\n',
  );
  return dir;
}

function run(dist: string, cacheFile: string | undefined, { key = 'k1', word = 'account' as string | undefined } = {}) {
  const loader = createLoader({ distDir: dist, cacheFile, key, word });
  const out = (loader.load('cli.js') as { run(who: string): string }).run('desk');
  const saved = loader.save();
  const { timings, ...stats } = loader.stats;
  expect(timings.map((t) => t.name).sort()).toEqual([...stats.cached, ...stats.compiled, ...stats.rejected].sort());
  return { out, saved, stats };
}

describe('the code-cache loader', () => {
  it('compiles and stores on the first run, runs from the cache on the next, with the same result', () => {
    const dist = fakeDist();
    const file = path.join(tmp, `c${n++}`, 'cache', 'code.bin');
    const first = run(dist, file);
    expect(first.out).toBe('hello, desk from cli.js (file:) strict=true');
    expect(first.stats).toEqual({ cached: [], compiled: ['cli.js', 'chunk-a.js'], rejected: [] });
    expect(first.saved).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const second = run(dist, file);
    expect(second.out).toBe(first.out);
    expect(second.stats).toEqual({ cached: ['cli.js', 'chunk-a.js'], compiled: [], rejected: [] });
    expect(second.saved).toBe(false); // nothing new: the pack is not rewritten
    // A command word not seen yet rewrites it once (its lazily compiled functions), then not again.
    expect(run(dist, file, { word: 'summary' }).saved).toBe(true);
    expect(run(dist, file, { word: 'summary' }).saved).toBe(false);
    expect(readPack(file, 'k1').words).toEqual(['account', 'summary']);
    // It remembers a bounded number of kinds; past that, a new kind no longer rewrites it.
    for (let i = 0; i < 62; i++) run(dist, file, { word: `kind-${i}` });
    expect(readPack(file, 'k1').words).toHaveLength(64);
    expect(run(dist, file, { word: 'one-too-many' }).saved).toBe(false);
  });

  it('a damaged pack is never handed to V8: that chunk is compiled, the result is the same, and the pack is repaired', () => {
    const dist = fakeDist();
    const file = path.join(tmp, `c${n++}.bin`);
    run(dist, file);
    const bytes = readFileSync(file);
    // Flip a byte in the middle of the data section (after the header).
    const dataStart = 16 + bytes.readUInt32LE(8);
    bytes[dataStart + Math.floor((bytes.length - dataStart) / 2)]! ^= 0xff;
    writeFileSync(file, bytes);
    const damaged = run(dist, file);
    expect(damaged.out).toBe('hello, desk from cli.js (file:) strict=true');
    expect(damaged.stats.compiled.length).toBe(1);
    expect(damaged.saved).toBe(true);
    expect(run(dist, file).stats.compiled).toEqual([]);
    // Garbage, a truncated file, an empty file: compiled from source, no error.
    for (const junk of [Buffer.from('not a pack at all'), bytes.subarray(0, 40), Buffer.alloc(0)]) {
      writeFileSync(file, junk);
      const r = run(dist, file);
      expect(r.out).toBe('hello, desk from cli.js (file:) strict=true');
      expect(r.stats.compiled).toEqual(['cli.js', 'chunk-a.js']);
    }
  });

  it('a chunk changed in place (even to the same length) runs its new code, never the old bytecode', () => {
    const dist = fakeDist('hello');
    const file = path.join(tmp, `c${n++}.bin`);
    run(dist, file);
    const chunk = path.join(dist, 'chunk-a.js');
    writeFileSync(chunk, readFileSync(chunk, 'utf8').replace('hello', 'howdy'));
    const r = run(dist, file);
    expect(r.out).toBe('howdy, desk from cli.js (file:) strict=true');
    expect(r.stats).toEqual({ cached: ['cli.js'], compiled: ['chunk-a.js'], rejected: [] });
  });

  it('a pack made under another key (another build, Node, V8 or flags) is ignored as a whole, and replaced', () => {
    const dist = fakeDist();
    const file = path.join(tmp, `c${n++}.bin`);
    run(dist, file, { key: 'build-1' });
    const other = run(dist, file, { key: 'build-2' });
    expect(other.stats.compiled).toEqual(['cli.js', 'chunk-a.js']);
    expect(other.saved).toBe(true);
    expect(readPack(file, 'build-2').entries).toHaveProperty('cli.js');
    expect(readPack(file, 'build-1').entries).toEqual({});
    // The key carries the build id, the install and this Node, V8 and architecture.
    const key = packKey({ build: 'abc', distDir: '/x/dist', flags: ['--liftoff-only'] });
    for (const part of ['abc', '/x/dist', process.version, process.versions.v8, process.arch, '--liftoff-only'])
      expect(key).toContain(part);
    expect(packKey({ build: 'abd', distDir: '/x/dist', flags: ['--liftoff-only'] })).not.toBe(key);
  });

  it('data V8 refuses (made for another source) is reported as rejected, and the chunk compiled from source', () => {
    const dist = fakeDist();
    const file = path.join(tmp, `c${n++}.bin`);
    run(dist, file);
    // A chunk never compiled in this process (V8 would otherwise reuse its in-memory compilation
    // and not look at the data), given the entry of cli.js with its own source length and CRC:
    // our checks pass, and only V8 can tell that the bytecode is not for this text.
    const chunkB = path.join(dist, 'chunk-b.js');
    writeFileSync(chunkB, `exports.b = ${JSON.stringify(`b-${process.pid}-${Date.now()}`)};\n`);
    const bytes = readFileSync(file);
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(16, 16 + headerLength).toString('utf8'));
    const source = readFileSync(chunkB);
    header.entries['chunk-b.js'] = { ...header.entries['cli.js'], sl: source.length, sc: zlib.crc32(source) };
    writePack(file, { key: header.key, words: header.words, entries: header.entries, data: bytes.subarray(16 + headerLength) });
    const loader = createLoader({ distDir: dist, cacheFile: file, key: 'k1', word: 'account' });
    expect((loader.load('chunk-b.js') as { b: string }).b).toMatch(/^b-/);
    expect(loader.stats).toMatchObject({ cached: [], compiled: [], rejected: ['chunk-b.js'] });
    expect(loader.save()).toBe(true);
    expect(Object.keys(readPack(file, 'k1').entries).sort()).toEqual(['chunk-a.js', 'chunk-b.js', 'cli.js']);
  });

  it('a cache that cannot be written is no error; without a cache file nothing is written', () => {
    const dist = fakeDist();
    const ro = path.join(tmp, `ro${n++}`);
    mkdirSync(ro, { mode: 0o500 });
    chmodSync(ro, 0o500);
    const r = run(dist, path.join(ro, 'cache', 'code.bin'));
    expect(r.out).toBe('hello, desk from cli.js (file:) strict=true');
    if (process.getuid?.() !== 0) expect(r.saved).toBe(false); // root writes anywhere
    const none = run(dist, undefined);
    expect(none.saved).toBe(false);
    expect(none.stats.compiled).toEqual(['cli.js', 'chunk-a.js']);
  });

  it('the kind of run is the first word-like argument and the long options given', () => {
    expect(commandWord(['-c', '/x/agents.yml', 'account', 'agent_1'])).toBe('account');
    expect(commandWord(['--json', 'summary'])).toBe('summary --json');
    expect(commandWord(['--help'])).toBe('--help');
    expect(commandWord(['-V'])).toBeUndefined();
    expect(commandWord(['--timeout=3s', 'trade', 'agent_1', 'buy', '--dry-run', '--sl', '2640', '--dry-run'])).toBe(
      'trade --dry-run --sl --timeout',
    );
  });
});

describe('the built mt4gw', () => {
  const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  // A private copy of the install, so that its chunks can be edited.
  const install = path.join(tmp, 'install');
  beforeAll(() => {
    if (!existsSync(path.join(ROOT, 'dist', 'boot.js')))
      throw new Error('dist/ is missing: run `node scripts/build.mjs` (npm test does it first)');
    cpSync(path.join(ROOT, 'bin'), path.join(install, 'bin'), { recursive: true });
    cpSync(path.join(ROOT, 'dist'), path.join(install, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.map') });
    cpSync(path.join(ROOT, 'package.json'), path.join(install, 'package.json'));
  });
  const state = path.join(tmp, 'state');
  const env = (extra: Record<string, string> = {}) => baseEnv({ MT4GW_STATE_DIR: state, ...extra });
  const mt4gw = (args: string[], extra?: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(install, 'bin', 'mt4gw.js'), ...args], { env: env(extra), encoding: 'utf8', timeout: 20_000 });
  const packs = () =>
    existsSync(path.join(state, 'cache')) ? readdirSync(path.join(state, 'cache')).filter((f) => /^code-.*\.bin$/.test(f)) : [];

  it('writes one pack in the state directory, runs from it, survives its damage, and obeys MT4GW_CODE_CACHE=off', () => {
    const off = mt4gw(['--help'], { MT4GW_CODE_CACHE: 'off' });
    expect(off.status, off.stderr).toBe(0);
    expect(packs()).toEqual([]);
    const first = mt4gw(['--help']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe(off.stdout);
    expect(packs()).toHaveLength(1);
    const file = path.join(state, 'cache', packs()[0]!);
    expect(Object.keys(readPack(file, headerKey(file)).entries)).toContain('cli.js');
    const second = mt4gw(['--help']);
    expect(second.stdout).toBe(first.stdout);
    // Damage every byte after the header: the next run still answers, exactly the same.
    const bytes = readFileSync(file);
    const dataStart = 16 + bytes.readUInt32LE(8);
    for (let i = dataStart; i < bytes.length; i += 97) bytes[i]! ^= 0x5a;
    writeFileSync(file, bytes);
    const damaged = mt4gw(['--help']);
    expect(damaged.status, damaged.stderr).toBe(0);
    expect(damaged.stdout).toBe(first.stdout);
    expect(damaged.stderr).toBe('');
    expect(mt4gw(['--version']).stdout.trim()).toBe(JSON.parse(readFileSync(path.join(install, 'package.json'), 'utf8')).version);
  });

  it('a chunk rebuilt with other text (same length) is run as it is now, not from the old bytecode', () => {
    expect(mt4gw(['--help']).stdout).toMatch(/Trading console for several/);
    const cli = path.join(install, 'dist', 'cli.js');
    const text = readFileSync(cli, 'utf8');
    expect(text).toContain('Trading console for several');
    writeFileSync(cli, text.replace('Trading console for several', 'TRADING CONSOLE FOR SEVERAL'));
    const r = mt4gw(['--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/TRADING CONSOLE FOR SEVERAL/);
  });
});

/** The key stored in a pack's header (to read it back with readPack). */
function headerKey(file: string): string {
  const bytes = readFileSync(file);
  return JSON.parse(bytes.subarray(16, 16 + bytes.readUInt32LE(8)).toString('utf8')).key;
}
