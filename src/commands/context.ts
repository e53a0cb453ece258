// What every command gets from the global flags: where to write, whether to colour, the config,
// and a logger that only ever writes to stderr. src/cli.ts makes one for the command being run;
// a test makes its own (with `stdout`/`stderr` to capture what the handler prints).
import type { ChalkInstance } from 'chalk';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import type { DeskStore } from '../state/store.js';
import { colorLevel, makeChalk } from '../output/style.js';
import { parseDuration } from './args.js';

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
  /**
   * The command leaves work behind that it does not wait for (a read still in flight to a hung
   * terminal): once it has returned, the process ends within `ms` even if a socket is still open.
   */
  leaveWithin(ms: number): void;
}

/** Where a context writes and what it reports to its maker; each defaults to the process's own. */
export interface ContextIo {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Data (what `write` prints). */
  stdout?: (text: string) => void;
  /** Messages (`info`, `warn`, `debug`). */
  stderr?: (text: string) => void;
  /** Called when the store is first asked for (src/cli.ts then closes it after the command). */
  onStore?: () => void;
  /** See Context.leaveWithin; by default nothing (a test process does not end). */
  leaveWithin?: (ms: number) => void;
}

export function makeContext(flags: GlobalFlags, io: ContextIo = {}): Context {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = io.stderr ?? ((text: string) => void process.stderr.write(text));
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
    write: (text) => stdout(text),
    info: (message) => {
      if (!quiet) stderr(`${message}\n`);
    },
    warn: (message) => stderr(`${err.yellow('warning:')} ${message}\n`),
    debug: (message) => {
      if (verbose) stderr(`${err.dim(`debug: ${message}`)}\n`);
    },
    config: () => {
      loaded ??= loadConfigCached(ctx).then((config) => {
        for (const w of config.warnings) ctx.warn(w);
        return config;
      });
      return loaded;
    },
    store: async () => {
      io.onStore?.();
      // agents.yml's `state:` block can put the desk's state in PostgreSQL (state/target.ts).
      return (await import('../state/open.js')).openStore(env, { config: () => ctx.config(), configText: () => configText(ctx) });
    },
    leaveWithin: (ms) => io.leaveWithin?.(ms),
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
