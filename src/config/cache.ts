// A cache of the validated config, so a run whose agents.yml is unchanged since the last run skips
// the YAML parser and the schema validation (~60 ms of start-up, and more for a 50-agent file;
// docs/performance.md). The key is the file's exact bytes, its path, $HOME (token_file paths may
// start with ~) and the build of mt4gw that validated it: any change to any of them is a miss, and
// a miss is an ordinary load. Only successful loads are cached; errors are always recomputed, and
// the token-file permission warnings are recomputed on every run. Tokens are never cached: the
// config holds only references to them.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { looseModeWarning } from './locate.js';
import type { Config } from './types.js';

interface Entry {
  key: string;
  config: Config;
}

const isTokenFileWarning = (w: string) => w.startsWith('token file ');

export function cacheKey(build: string, path: string, home: string, text: string): string {
  return createHash('sha256').update(`${build}\0${path}\0${home}\0`).update(text).digest('hex');
}

function entryFile(dir: string, path: string): string {
  return join(dir, `config-${createHash('sha256').update(path).digest('hex').slice(0, 16)}.json`);
}

/** The cached config for this key, with fresh token-file warnings; undefined on any miss. */
export function readCached(dir: string, path: string, key: string): Config | undefined {
  try {
    const entry = JSON.parse(readFileSync(entryFile(dir, path), 'utf8')) as Entry;
    if (entry.key !== key || !entry.config || !Array.isArray(entry.config.agents)) return undefined;
    const config = entry.config;
    config.warnings = [...config.warnings, ...tokenFileWarnings(config)];
    return config;
  } catch {
    return undefined;
  }
}

/** Stores a config just validated (best effort: a cache that cannot be written is no error). */
export function writeCached(dir: string, path: string, key: string, config: Config): void {
  const tmp = `${entryFile(dir, path)}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const entry: Entry = { key, config: { ...config, warnings: config.warnings.filter((w) => !isTokenFileWarning(w)) } };
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, entryFile(dir, path));
  } catch {
    // Read-only state directory, full disk: the next run validates again; nothing is left behind.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // no directory to leave it in
    }
  }
}

function tokenFileWarnings(config: Config): string[] {
  const out: string[] = [];
  for (const a of config.agents) {
    const w = a.mt4.token?.kind === 'file' ? looseModeWarning(a, a.mt4.token.path) : undefined;
    if (w) out.push(w);
  }
  return out;
}
