// Shared plumbing for command files: the context from the global flags, agent selection with
// suggestions, and examples in --help.
import type { Command } from 'commander';
import { EXIT, PartialFailure, UsageError } from '../errors.js';
import type { Bridge } from '../bridge/transport.js';
import type { Column } from '../output/table.js';
import { toJson } from '../output/json.js';
import type { Bridges } from '../bridge/registry.js';
import { closest } from '../config/suggest.js';
import type { AgentConfig, Config } from '../config/types.js';
import { makeContext, type Context, type GlobalFlags } from './context.js';

/** The context of the command being run (global flags may stand before or after the subcommand). */
export function contextOf(cmd: Command): Context {
  return makeContext(cmd.optsWithGlobals<GlobalFlags>());
}

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** The agents named (all when none are), or a usage error listing the configured ids. */
export function selectAgents(config: Config, ids: string[] | undefined): AgentConfig[] {
  if (!ids || ids.length === 0) return config.agents;
  return [...new Set(ids)].map((id) => findAgent(config, id));
}

export function findAgent(config: Config, id: string): AgentConfig {
  const agent = config.agents.find((a) => a.id === id);
  if (agent) return agent;
  const known = config.agents.map((a) => a.id);
  const close = closest(id, known);
  throw new UsageError(`unknown agent "${id}"${close ? ` — did you mean "${close}"?` : ''}`, {
    hint: `Agents in ${config.path}: ${known.join(', ')}.`,
  });
}

/** Upper-cased symbol, or a usage error for something that cannot be a symbol name. */
export function parseSymbol(text: string): string {
  const s = text.trim().toUpperCase();
  if (!/^[A-Z0-9._#-]{2,20}$/.test(s)) {
    throw new UsageError(`"${text}" is not a symbol name`, {
      hint: 'Symbols look like XAUUSD or EURUSD (a broker suffix such as .m is kept).',
    });
  }
  return s;
}

/** Opens the agents' bridges (tokens resolved first: nothing is sent if one is missing) and closes them after. */
export async function withBridges<T>(
  ctx: Context,
  agents: AgentConfig[],
  fn: (bridges: Bridges) => Promise<T>,
  options: { tolerateMissingTokens?: boolean } = {},
): Promise<T> {
  const [{ setFlagsFromString }, { openBridges }] = await Promise.all([import('node:v8'), import('../bridge/registry.js')]);
  // The REST client parses HTTP with undici's WebAssembly llhttp, compiled at the first connection.
  // By default V8 also recompiles it with its optimising tier on a background thread, which a
  // short-lived process never uses but must wait for at exit (~80 ms, ~30 MB of peak RSS; see
  // docs/performance.md). Liftoff, V8's baseline wasm compiler, is plenty for a few small answers.
  setFlagsFromString('--liftoff-only');
  // symbols: the dwx transport sends stops in points and needs each symbol's point size.
  const bridges = openBridges(agents, {
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    debug: ctx.verbose ? ctx.debug : undefined,
    symbols: (await ctx.config()).symbols,
    ...options,
  });
  try {
    return await fn(bridges);
  } finally {
    await bridges.close();
  }
}

/** After printing what could be read: exit 3 when some agents did not answer. */
export function failIfOffline(offline: { agent_id: string; error: string | null }[], total: number): void {
  if (offline.length === 0) return;
  const list = offline.map((o) => `${o.agent_id} (${o.error ?? 'offline'})`).join('; ');
  throw new PartialFailure(`${offline.length} of ${total} agent${total === 1 ? '' : 's'} did not answer: ${list}`, EXIT.BRIDGE, {
    hint: 'Check those terminals and their EA Bridge (`mt4gw status`).',
  });
}

/** The oldest an age (`--since 7d`) may reach back: 10 years. */
export const MAX_AGE_DAYS = 3653;
/** How far ahead of now a date may be (a broker's clock or zone ahead of this machine's). */
const MAX_AHEAD_MS = 86_400_000;
const EARLIEST_MS = 0; // 1970-01-01T00:00:00Z
const AGE_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The range of a time option, for its --help text and its errors. */
export const TIME_RANGE = `an ISO date or date-time from 1970-01-01 to a day ahead, or an age up to 10 years (30m, 12h, 7d, 52w; at most ${MAX_AGE_DAYS}d)`;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A point in time from the command line: an ISO date or date-time (`2026-11-20`, midnight UTC;
 * `2026-11-20T08:00:00Z`, or without a zone the local time) from 1970 to a day ahead, or an age
 * (`30m`, `12h`, `7d`, `2w`) of at most 10 years, counted back from now. An impossible date
 * (`2026-02-30`) or a value out of range is a usage error: nothing is sent.
 */
export function parseTimeArg(text: string, flag: string, now = Date.now()): Date {
  const t = text.trim();
  const hint = `Give an ISO date or date-time from 1970-01-01 to a day ahead (${flag} 2026-11-20, ${flag} 2026-11-20T08:00:00Z) or an age of at most 10 years (${flag} 12h, ${flag} 7d; at most ${MAX_AGE_DAYS}d).`;
  const impossible = (why: string) => new UsageError(`${flag} ${JSON.stringify(text)} is not a time: ${why}`, { hint });
  const outOfRange = (why: string) => new UsageError(`${flag} ${t} is out of range: ${why}`, { hint });

  const age = /^(\d+)(m|h|d|w)$/.exec(t);
  if (age) {
    const ms = Number(age[1]) * AGE_UNITS[age[2] as keyof typeof AGE_UNITS];
    if (!(ms <= MAX_AGE_DAYS * 86_400_000)) throw outOfRange(`an age may be at most 10 years (${MAX_AGE_DAYS}d)`);
    return new Date(now - ms);
  }

  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a time`, { hint });
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const zone = m[8];
  if (month < 1 || month > 12) throw impossible(`there is no month ${m[2]}`);
  if (day < 1 || day > daysInMonth(year, month)) throw impossible(`${MONTHS[month - 1]} ${year} has ${daysInMonth(year, month)} days`);
  if (hour > 23 || minute > 59 || second > 59) throw impossible(`${m[4]}:${m[5]}${m[6] ? `:${m[6]}` : ''} is not a time of day`);
  let offsetMin = 0;
  if (zone !== undefined && zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const [zh, zm] = [Number(z[2]), Number(z[3])];
    if (zh > 23 || zm > 59) throw impossible(`${zone} is not a zone offset`);
    offsetMin = (z[1] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  if (year < 1970) throw outOfRange('dates start at 1970-01-01');
  const at =
    m[4] === undefined
      ? Date.UTC(year, month - 1, day)
      : zone === undefined
        ? new Date(year, month - 1, day, hour, minute, second, millis).getTime()
        : Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMin * 60_000;
  if (at < EARLIEST_MS) throw outOfRange('dates start at 1970-01-01');
  if (at > now + MAX_AHEAD_MS) throw outOfRange(`at most a day ahead (${new Date(now + MAX_AHEAD_MS).toISOString().slice(0, 16)}Z)`);
  return new Date(at);
}

/**
 * A positive decimal number from the command line, strictly: `0.01`, `2650.4`. Commas, exponents,
 * signs, NaN and Infinity are refused with a hint, so a typo never becomes an order.
 */
export function parsePositive(text: string, what: string): number {
  const t = text.trim();
  if (/^\d+,\d+$/.test(t))
    throw new UsageError(`${what} ${JSON.stringify(text)} uses a comma`, { hint: `Write decimals with a dot: ${t.replace(',', '.')}.` });
  if (/^-/.test(t)) throw new UsageError(`${what} ${JSON.stringify(text)} is negative`, { hint: `${what} must be greater than 0.` });
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t))
    throw new UsageError(`${what} ${JSON.stringify(text)} is not a number`, {
      hint: `Write it as a plain decimal number, e.g. 0.01 or 2650.50.`,
    });
  const n = Number(t);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${what} must be greater than 0, got ${JSON.stringify(text)}`);
  return n;
}

/** A ticket number: a positive whole number. */
export function parseTicket(text: string): number {
  const t = text.trim().replace(/^#/, '');
  if (!/^\d{1,15}$/.test(t) || Number(t) <= 0)
    throw new UsageError(`ticket ${JSON.stringify(text)} is not a ticket number`, {
      hint: 'Tickets are positive whole numbers, as `mt4gw positions` shows them.',
    });
  return Number(t);
}

/**
 * A command that lists rows of one kind from several agents (positions, orders): concurrent reads,
 * a table or `{<jsonKey>: [...], offline: [...]}`, and exit 3 when an agent did not answer.
 */
export function registerListing<T extends object>(
  program: Command,
  spec: {
    name: string;
    description: string;
    examples: string[];
    jsonKey: string;
    empty: string;
    read: (bridge: Bridge) => Promise<T[]>;
    columns: (f: typeof import('../output/format.js')) => Column<T & { agent_id: string }>[];
  },
): void {
  program
    .command(spec.name)
    .argument('[agents...]', 'agent ids (default: every agent)')
    .description(spec.description)
    .addHelpText('after', examples(spec.examples))
    .action(async (ids: string[], _opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      const agents = selectAgents(await ctx.config(), ids);
      const { rows, offline } = await withBridges(ctx, agents, async (bridges) =>
        (await import('../trading/read.js')).gather(agents, bridges, spec.read, await ctx.store()),
      );
      if (ctx.json) ctx.write(toJson({ [spec.jsonKey]: rows, offline }));
      else if (rows.length === 0) ctx.info(spec.empty);
      else {
        const [{ renderTable }, f] = await Promise.all([import('../output/table.js'), import('../output/format.js')]);
        ctx.write(renderTable(spec.columns(f), rows, ctx.out));
      }
      failIfOffline(offline, agents.length);
    });
}
