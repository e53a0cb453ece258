// A trading signal as it comes in: the schema (symbol, side, levels that fit the side, confidence,
// id, created_at), the parsing of signal JSON text, and the id derived from the content when none
// is given. Pure: no I/O. Every problem is reported at once and a bad signal refuses the whole
// delivery, so nothing is half-sent (docs/signals.md).
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { SYMBOL, describeValue } from '../config/schema.js';
import { closest } from '../config/suggest.js';
import { UsageError } from '../errors.js';
import { findDuplicateKeys } from './json-duplicates.js';

export interface Signal {
  id: string;
  /** True when no id was given and it was derived from the content. */
  derived_id: boolean;
  symbol: string;
  side: 'buy' | 'sell';
  sl: number;
  tp?: number | undefined;
  entry?: number | undefined;
  /** 0..1 */
  confidence?: number | undefined;
  /** ISO-8601, normalized to UTC. */
  created_at?: string | undefined;
}

/** Prices above this are refused as typos (no instrument MT4 quotes comes near it). */
export const MAX_PRICE = 100_000_000;
/** At most this many signals in one delivery. */
export const MAX_SIGNALS = 100;

export const SIGNAL_KEYS = ['id', 'symbol', 'side', 'sl', 'tp', 'entry', 'confidence', 'created_at'] as const;
const SIGNAL_SHAPE_TEXT = '{"symbol": "XAUUSD", "side": "long", "sl": 2648.27, "tp": 2660, "confidence": 0.78, "id": "…"}';
const SIGNAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@#+/-]{0,127}$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const SIDES: Record<string, 'buy' | 'sell'> = { long: 'buy', buy: 'buy', short: 'sell', sell: 'sell' };

interface RawIssue {
  input?: unknown;
}

/** "expected <what>, got <value>" — or "missing" when the key is absent. */
function expected(what: string, extra?: (input: unknown) => string | undefined) {
  return {
    error: (iss: RawIssue): string => {
      if (iss.input === undefined) return `missing: expected ${what}`;
      const more = extra?.(iss.input);
      return `expected ${what}, got ${describeValue(iss.input)}${more ? ` (${more})` : ''}`;
    },
  };
}

function price(what: string) {
  const e = expected(`${what}: a price > 0 and below ${MAX_PRICE}`, (v) =>
    typeof v === 'string' && /^\s*\d/.test(v) ? 'write numbers without quotes' : undefined,
  );
  return z.number(e).gt(0, e).lt(MAX_PRICE, e);
}

const confidence = (() => {
  const e = expected('a confidence from 0 to 1 (0.78 means 78%)', (v) => {
    const pct =
      typeof v === 'number' && v > 1 && v <= 100
        ? v
        : typeof v === 'string'
          ? Number(/^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v)?.[1] ?? Number.NaN)
          : Number.NaN;
    return Number.isFinite(pct) ? `a fraction, not a percentage: write ${+(pct / 100).toPrecision(6)} for ${pct}%` : undefined;
  });
  return z.number(e).min(0, e).max(1, e);
})();

const side = (() => {
  const e = expected('long, short, buy or sell');
  return z
    .string(e)
    .trim()
    .toLowerCase()
    .refine((s) => s in SIDES, e)
    .transform((s) => SIDES[s]!);
})();

const symbol = (() => {
  const e = expected('a symbol such as XAUUSD (letters, digits and . _ # + -)');
  return z
    .string(e)
    .trim()
    .regex(SYMBOL, e)
    .transform((s) => s.toUpperCase());
})();

const signalId = (() => {
  const e = expected('an id of 1 to 128 letters, digits and . _ : @ # + / - (no spaces)');
  return z.string(e).trim().regex(SIGNAL_ID, e);
})();

const createdAt = (() => {
  const e = expected('an ISO-8601 time with its zone, such as 2026-11-20T08:15:00Z', (v) =>
    typeof v === 'number' ? 'a time string, not a number of seconds' : undefined,
  );
  return z
    .string(e)
    .trim()
    .refine((s) => ISO_WITH_ZONE.test(s) && !Number.isNaN(Date.parse(s)), e)
    .transform((s) => new Date(s).toISOString());
})();

const SignalSchema = z
  .strictObject(
    {
      id: signalId.optional(),
      symbol,
      side,
      sl: price('the stop loss'),
      tp: price('the take profit').optional(),
      entry: price('the entry').optional(),
      confidence: confidence.optional(),
      created_at: createdAt.optional(),
    },
    expected(`a signal object such as ${SIGNAL_SHAPE_TEXT}`),
  )
  .superRefine((s, ctx) => {
    // The levels must make sense for the side; the market price is checked later, per agent.
    const buy = s.side === 'buy';
    const word = buy ? 'long' : 'short';
    const below = (a: number, b: number) => (buy ? a < b : a > b);
    const rel = buy ? 'below' : 'above';
    if (s.tp !== undefined && !below(s.sl, s.tp))
      ctx.addIssue({
        code: 'custom',
        path: ['sl'],
        message: `for a ${word} signal the stop loss (${s.sl}) must be ${rel} the take profit (${s.tp})`,
      });
    if (s.entry !== undefined && !below(s.sl, s.entry))
      ctx.addIssue({
        code: 'custom',
        path: ['sl'],
        message: `for a ${word} signal the stop loss (${s.sl}) must be ${rel} the entry (${s.entry})`,
      });
    if (s.entry !== undefined && s.tp !== undefined && !below(s.entry, s.tp)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tp'],
        message: `for a ${word} signal the take profit (${s.tp}) must be ${buy ? 'above' : 'below'} the entry (${s.entry})`,
      });
    }
  });

/** The content that identifies a signal without an id (confidence excluded: a re-scored signal is the same trade). */
export function signalContentHash(s: Pick<Signal, 'symbol' | 'side' | 'sl' | 'tp' | 'entry' | 'created_at'>): string {
  const canonical = JSON.stringify([s.symbol, s.side, s.sl, s.tp ?? null, s.entry ?? null, s.created_at ?? null]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function issueLines(error: z.ZodError, prefix: string): string[] {
  return error.issues
    .map((iss) => {
      const path = [prefix, ...iss.path.map(String)].filter(Boolean).join('.');
      if (iss.code === 'unrecognized_keys') {
        return iss.keys
          .map((k) => {
            const near = closest(k, SIGNAL_KEYS);
            return `${path ? `${path}.` : ''}${k}: unknown key${near ? ` — did you mean \`${near}\`?` : ''} (a signal has ${SIGNAL_KEYS.join(', ')})`;
          })
          .join('\n');
      }
      return `${path || 'signal'}: ${iss.message}`;
    })
    .flatMap((l) => l.split('\n'));
}

/**
 * Validates one signal or a list of them (already parsed JSON). Every problem of every signal is
 * reported at once; one bad signal refuses the whole delivery, so nothing is half-sent.
 */
export function validateSignals(raw: unknown, source: string): Signal[] {
  const fail = (problems: string[], what = 'malformed'): never => {
    throw new UsageError(`the signal from ${source} is ${what}; nothing was sent`, {
      problems,
      hint: `A signal is ${SIGNAL_SHAPE_TEXT} (id, tp, entry, confidence and created_at are optional), or a list of them. See docs/signals.md.`,
    });
  };
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length > MAX_SIGNALS) fail([`${list.length} signals in one delivery; at most ${MAX_SIGNALS}`], 'too large');
  const problems: string[] = [];
  const signals: Signal[] = [];
  list.forEach((item, i) => {
    const prefix = Array.isArray(raw) ? `[${i}]` : '';
    const r = SignalSchema.safeParse(item);
    if (!r.success) {
      problems.push(...issueLines(r.error, prefix));
      return;
    }
    const { id, ...content } = r.data;
    signals.push({ id: id ?? `sig-${signalContentHash(content)}`, derived_id: id === undefined, ...content });
  });
  if (problems.length > 0) fail(problems);

  // The same signal twice in one delivery is one signal; one id for two different signals is an error.
  const byId = new Map<string, Signal>();
  const unique: Signal[] = [];
  for (const s of signals) {
    const seen = byId.get(s.id);
    if (!seen) {
      byId.set(s.id, s);
      unique.push(s);
    } else if (signalContentHash(seen) !== signalContentHash(s)) {
      problems.push(`id ${JSON.stringify(s.id)} names two different signals in this delivery; give each signal its own id`);
    }
  }
  if (problems.length > 0) fail(problems);
  return unique;
}

/** Parses signal JSON text (one signal or a list; an empty list is allowed: nothing to do). */
export function parseSignals(text: string, source: string): Signal[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') {
    throw new UsageError(`no signal: ${source} is empty; nothing was sent`, {
      hint: `Send one signal as JSON, e.g. ${SIGNAL_SHAPE_TEXT}.`,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    throw new UsageError(`the signal from ${source} is not JSON (${(e as Error).message}); nothing was sent`, {
      hint: `A signal looks like ${SIGNAL_SHAPE_TEXT}.`,
    });
  }
  // JSON.parse keeps the last of two equal keys; a signal that says its stop twice is refused.
  const duplicates = findDuplicateKeys(body);
  if (duplicates.length === 0) return validateSignals(raw, source);
  // Reported with whatever else is wrong, so that one run lists every problem.
  const others: string[] = [];
  try {
    validateSignals(raw, source);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    others.push(...e.problems);
  }
  throw new UsageError(`the signal from ${source} is malformed; nothing was sent`, {
    problems: [
      ...duplicates.map(
        (d) => `${d.path}: duplicate key ${JSON.stringify(d.key)}: given more than once in the same object (JSON would keep only the last)`,
      ),
      ...others,
    ],
    hint: 'Give each key once per signal. See docs/signals.md.',
  });
}
