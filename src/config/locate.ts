// Finding and reading agents.yml, and the token-file permission check: the cheap part of loading
// the config, kept apart from the YAML parser and the schemas (load.ts) so that a run whose config
// is unchanged since the last one never loads those (see cache.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { readRegularFileCapped, type CappedRead } from './bounded-read.js';
import type { AgentConfig } from './types.js';

export const DOCS_HINT = 'docs/configuration.md describes every key, its default and an example.';

/** Larger files are refused unread: agents.yml holds a handful of agents. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

// ───────────────────────────── lookup ─────────────────────────────

export interface ConfigLookupOptions {
  /** The --config flag, as typed. */
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  cwd?: string | undefined;
}

export type ConfigSource = 'flag' | 'env' | 'cwd' | 'xdg';

export interface ConfigLocation {
  /** Absolute path. */
  path: string;
  source: ConfigSource;
  /** How messages name the file: as typed for --config and MT4GW_CONFIG, else relative to cwd when inside it. */
  display: string;
}

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || os.homedir();
}

/** `~` and `~/x` are expanded; nothing else is. */
export function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~') return homeDir(env);
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(homeDir(env), p.slice(2));
  return p;
}

export function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

export function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return code ?? (e instanceof Error ? e.message : String(e));
  }
}

/** An explicitly named file (--config or MT4GW_CONFIG): it must exist. */
function explicitPath(given: string, origin: string, cwd: string, env: NodeJS.ProcessEnv): string {
  const abs = path.resolve(cwd, expandHome(given, env));
  try {
    fs.statSync(abs);
  } catch (e) {
    throw new ConfigError(`config file ${given} (${origin}) cannot be used: ${errnoText(e)}`, [], {
      hint:
        abs === given
          ? `Check the path (${origin}).`
          : `Check the path (${origin}); a relative path is taken from ${cwd}, so it means ${abs}.`,
    });
  }
  return abs;
}

/**
 * Where agents.yml is, and how to name it: the --config flag, else $MT4GW_CONFIG, else ./agents.yml,
 * else $XDG_CONFIG_HOME/mt4gw/agents.yml (XDG_CONFIG_HOME defaulting to ~/.config).
 */
export function locateConfig(opts: ConfigLookupOptions = {}): ConfigLocation {
  const env = opts.env ?? process.env;
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  if (opts.flag !== undefined) {
    if (opts.flag.trim() === '')
      throw new ConfigError('--config was given an empty path', [], { hint: 'Write --config path/to/agents.yml.' });
    return { path: explicitPath(opts.flag, 'given with --config', cwd, env), source: 'flag', display: opts.flag };
  }
  const fromEnv = env.MT4GW_CONFIG;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { path: explicitPath(fromEnv, 'from the MT4GW_CONFIG environment variable', cwd, env), source: 'env', display: fromEnv };
  }
  const local = path.join(cwd, 'agents.yml');
  if (statOrUndefined(local)?.isFile()) return { path: local, source: 'cwd', display: displayPath(local, cwd) };
  const xdgHome = env.XDG_CONFIG_HOME;
  const xdgBase = xdgHome && path.isAbsolute(xdgHome) ? xdgHome : path.join(homeDir(env), '.config');
  const xdg = path.join(xdgBase, 'mt4gw', 'agents.yml');
  if (statOrUndefined(xdg)?.isFile()) return { path: xdg, source: 'xdg', display: displayPath(xdg, cwd) };
  throw new ConfigError(
    `no config file found: --config was not given, MT4GW_CONFIG is not set, and neither ${local} (current directory) nor ${xdg} (${
      xdgHome && path.isAbsolute(xdgHome) ? '$XDG_CONFIG_HOME/mt4gw' : '~/.config/mt4gw'
    }) exists`,
    [],
    {
      hint: `Copy the agents.yml shipped with mt4gw to ${xdg} or to the current directory and edit it, or point to a file with --config <file> or MT4GW_CONFIG. ${DOCS_HINT}`,
    },
  );
}

/** The absolute path of the config file to load (see locateConfig for the order). */
export function findConfigPath(opts: ConfigLookupOptions = {}): string {
  return locateConfig(opts).path;
}

// ───────────────────────────── reading ─────────────────────────────

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

function lineColOfOffset(buf: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

/**
 * The file's text: a regular UTF-8 file of at most 1 MiB with no NUL bytes and something in it.
 * Never reads more than 1 MiB + 1 byte, whatever the file claims to be.
 */
export function readConfigText(abs: string, display: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    throw new ConfigError(`cannot read ${display}: ${errnoText(e)}`);
  }
  if (st.isDirectory())
    throw new ConfigError(`${display} is a directory, not a config file`, [], {
      hint: `Point to the file itself, e.g. ${path.join(display, 'agents.yml')}.`,
    });
  const notRegular = () =>
    new ConfigError(`${display} is not a regular file`, [], { hint: 'agents.yml must be a plain file (not a pipe or a device).' });
  if (!st.isFile()) throw notRegular();
  const tooBig = (size: string) =>
    new ConfigError(`${display} is ${size}; a config file may be at most 1 MiB`, [], {
      hint: 'agents.yml describes a few agents and is a few KiB; check that the path points at the right file.',
    });
  if (st.size > MAX_CONFIG_BYTES) throw tooBig(formatBytes(st.size));
  // Read through the open file with a cap, whatever the stat above said (see bounded-read.ts).
  let read: CappedRead;
  try {
    read = readRegularFileCapped(abs, MAX_CONFIG_BYTES);
  } catch (e) {
    throw new ConfigError(`cannot read ${display}: ${errnoText(e)}`);
  }
  if (read.kind === 'not-regular') throw notRegular();
  if (read.kind === 'too-large') throw tooBig('larger than 1 MiB');
  const buf = read.buf;
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const { line, col } = lineColOfOffset(buf, nul);
    throw new ConfigError(`${display} is not a text file: it contains a NUL byte at line ${line}, column ${col}`, [], {
      hint: 'agents.yml must be UTF-8 text. If an editor saved it as UTF-16, save it again as UTF-8.',
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new ConfigError(`${display} is not valid UTF-8 text`, [], { hint: 'Save the file as UTF-8.' });
  }
  if (text.trim() === '') {
    throw new ConfigError(`${display} is empty`, [], {
      hint: `Start from the agents.yml shipped with mt4gw: it defines three agents under \`agents:\`. ${DOCS_HINT}`,
    });
  }
  return text;
}

// ───────────────────────────── token files ─────────────────────────────

export function agentLabel(agent: AgentConfig): string {
  return agent.name && agent.name !== agent.id ? `agent ${agent.id} (${agent.name})` : `agent ${agent.id}`;
}

/** A warning when a token file can be read or written by other users; cheap enough for every run. */
export function looseModeWarning(agent: AgentConfig, file: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  const st = statOrUndefined(file);
  if (!st?.isFile() || (st.mode & 0o077) === 0) return undefined;
  const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
  return `token file ${file} of ${agentLabel(agent)} can be read or written by other users (mode ${mode}); run: chmod 600 ${file}`;
}
