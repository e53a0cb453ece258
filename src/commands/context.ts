// What every command gets from the global flags: where to write, whether to colour, the config,
// and a logger that only ever writes to stderr.
import type { ChalkInstance } from 'chalk';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Config } from '../config/types.js';
import type { DeskStore } from '../state/store.js';
import { colorLevel, makeChalk } from '../output/style.js';

export interface GlobalFlags {
  config?: string;
  json?: boolean;
  color?: boolean;
  timeout?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export interface Context {
  env: NodeJS.ProcessEnv;
  cwd: string;
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  /** --timeout in ms, overriding every agent's mt4.timeout_ms. */
  timeoutMs: number | undefined;
  configFlag: string | undefined;
  /** stdin and stderr are terminals: prompts and spinners are allowed. */
  interactive: boolean;
  /** Colours for stdout (tables) and stderr (messages), decided separately. */
  out: ChalkInstance;
  err: ChalkInstance;
  write(text: string): void;
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  config(): Promise<Config>;
  /** The desk store (src/state/), opened once per process on first use. */
  store(): Promise<DeskStore>;
}

/** What a duration option takes: its range, and whether a number alone (no unit) means seconds. */
export interface DurationRule {
  minMs: number;
  maxMs: number;
  /** For options a person thinks of in seconds (`--deadline 30`); elsewhere a unit is required. */
  bareSeconds: boolean;
  /** A typical value, for hints. */
  example: string;
}

/** Every option that takes a duration, with its one range (stated in its --help and its errors). */
export const DURATION_RULES = {
  /** Overrides mt4.timeout_ms, and has its range (1..600000 ms). */
  '--timeout': { minMs: 1, maxMs: 600_000, bareSeconds: false, example: '3s' },
  '--deadline': { minMs: 1_000, maxMs: 3_600_000, bareSeconds: true, example: '30s' },
  /** Every agent is read at each interval: faster than 250 ms only loads the terminals. */
  '--interval': { minMs: 250, maxMs: 3_600_000, bareSeconds: true, example: '2s' },
} as const satisfies Record<string, DurationRule>;

export type DurationFlag = keyof typeof DURATION_RULES;

/** 250ms, 1s, 10m: the way the range is written, in the units a duration may be given in. */
function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The option's range and unit rule, for its --help text and its errors: "1s to 60m; a number alone is seconds". */
export function durationRange(flag: DurationFlag): string {
  const r: DurationRule = DURATION_RULES[flag];
  return `${formatMs(r.minMs)} to ${formatMs(r.maxMs)}${r.bareSeconds ? '; a number alone is seconds' : ', with a unit: ms, s or m'}`;
}

/**
 * A duration from the command line, in ms: a number with a unit (`500ms`, `3s`, `1.5m`), or for
 * the options where a person means seconds (`--deadline 30`, `--interval 2`) a number alone.
 * Anything else, or a value outside the option's range, is a usage error stating the range.
 */
export function parseDuration(text: string, flag: DurationFlag): number {
  const rule: DurationRule = DURATION_RULES[flag];
  const range = durationRange(flag);
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(t);
  if (!m)
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration`, {
      hint: `Write a number with a unit: ${flag} 500ms, ${flag} 5s, ${flag} 1m (${range}).`,
    });
  const n = Number(m[1]);
  // A number alone: seconds where the rule says so; 0 is out of range in every unit.
  if (m[2] === undefined && !rule.bareSeconds && n !== 0)
    throw new UsageError(`${flag} ${t} has no unit`, {
      hint: `Write ${t}s or ${+(n * 1000).toPrecision(12)}ms (${range}).`,
    });
  const unit = m[2] ?? (rule.bareSeconds ? 's' : 'ms');
  const value = unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
  if (!(value >= rule.minMs && value <= rule.maxMs))
    throw new UsageError(`${flag} ${t} is out of range: ${range}`, {
      hint: `Give ${flag} from ${formatMs(rule.minMs)} to ${formatMs(rule.maxMs)}, e.g. ${flag} ${rule.example}.`,
    });
  return Math.round(value);
}

export function makeContext(flags: GlobalFlags, io: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Context {
  const env = io.env ?? process.env;
  const colorFlag = flags.color !== false;
  const stdoutLevel = colorLevel({ isTTY: process.stdout.isTTY === true, env, flag: colorFlag });
  const stderrLevel = colorLevel({ isTTY: process.stderr.isTTY === true, env, flag: colorFlag });
  const err = makeChalk(stderrLevel);
  const quiet = flags.quiet === true;
  const verbose = flags.verbose === true;
  let loaded: Promise<Config> | undefined;
  const ctx: Context = {
    env,
    cwd: io.cwd ?? process.cwd(),
    json: flags.json === true,
    verbose,
    quiet,
    timeoutMs: flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout'),
    configFlag: flags.config,
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    out: makeChalk(stdoutLevel),
    err,
    write: (text) => void process.stdout.write(text),
    info: (message) => {
      if (!quiet) process.stderr.write(`${message}\n`);
    },
    warn: (message) => void process.stderr.write(`${err.yellow('warning:')} ${message}\n`),
    debug: (message) => {
      if (verbose) process.stderr.write(`${err.dim(`debug: ${message}`)}\n`);
    },
    config: () => {
      loaded ??= loadConfigCached(ctx).then((config) => {
        for (const w of config.warnings) ctx.warn(w);
        return config;
      });
      return loaded;
    },
    // agents.yml's `state:` block can put the desk's state in PostgreSQL (state/target.ts).
    store: async () => (await import('../state/open.js')).openStore(env, { config: () => ctx.config(), configText: () => configText(ctx) }),
  };
  return ctx;
}

/** agents.yml's text, or undefined when there is none to read (the store then needs no config). */
async function configText(ctx: Context): Promise<string | undefined> {
  const { locateConfig, readConfigText } = await import('../config/locate.js');
  try {
    const loc = locateConfig({ flag: ctx.configFlag, env: ctx.env, cwd: ctx.cwd });
    return readConfigText(loc.path, loc.display);
  } catch {
    return undefined;
  }
}

declare const __MT4GW_BUILD__: string | undefined;

/**
 * agents.yml, validated: from the cache when the file, its path, $HOME and this build of mt4gw are
 * all as they were at the last successful load (src/config/cache.ts), else parsed and validated.
 */
async function loadConfigCached(ctx: Context): Promise<Config> {
  const { locateConfig, readConfigText } = await import('../config/locate.js');
  const loc = locateConfig({ flag: ctx.configFlag, env: ctx.env, cwd: ctx.cwd });
  const text = readConfigText(loc.path, loc.display);
  // Only a bundled build has an id; running from source (tests of the modules) never caches.
  const build = typeof __MT4GW_BUILD__ === 'string' ? __MT4GW_BUILD__ : undefined;
  if (build === undefined)
    return (await import('../config/load.js')).parseConfigText(text, { path: loc.path, display: loc.display, env: ctx.env });
  const [cache, { stateDir }] = await Promise.all([import('../config/cache.js'), import('../state/dir.js')]);
  const dir = join(stateDir(ctx.env), 'cache');
  const key = cache.cacheKey(build, loc.path, ctx.env.HOME ?? '', text);
  const hit = cache.readCached(dir, loc.path, key);
  ctx.debug(`config: ${loc.path}${hit ? ' (validated earlier, unchanged)' : ''}`);
  if (hit) return hit;
  const config = (await import('../config/load.js')).parseConfigText(text, { path: loc.path, display: loc.display, env: ctx.env });
  cache.writeCached(dir, loc.path, key, config);
  return config;
}
