// The command-line values and their one rule each: durations and points in time with their ranges
// (stated in the options' --help and in their errors), prices and lots, tickets, symbols. Pure
// functions; definitions read the ranges at every start, handlers parse with them.
import { UsageError } from '../errors.js';

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
