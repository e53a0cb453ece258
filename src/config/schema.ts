// The zod schema of agents.yml (docs/configuration.md). Every leaf carries a plain-English
// description so a failure reads "expected an integer >= 1, got "two"" rather than zod's default.
// Cross-field rules (id vs key, token vs token_file, literal tokens, max_lots vs lot_size, duplicate
// host:port) need the map key or other agents and live in load.ts. Nothing here runs at import time
// beyond building the schema objects.
import * as z from 'zod';
import type { SymbolOverride } from '../bridge/symbols.js';
import { normalizeHost } from './address.js';
import { type Mt4Parsed, refineMt4, TRANSPORT_KINDS, TRANSPORT_SPECS, type TransportKind } from './transports.js';
import type { AgentConfig, Mt4Common, TokenRef } from './types.js';

/** `${NAME}`: the only form `mt4.token` may take. */
export const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
/** Agent ids (the keys under `agents:`): typed on the command line, so kept simple. */
export const AGENT_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Broker symbols: letters and digits, plus the suffix characters brokers use (`XAUUSD.m`, `EURUSD#`). */
export const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._#+-]{0,31}$/;

export const DEFAULT_TIMEOUT_MS = 5000;
/** Longer than any sane request; also far below setTimeout's 2^31-1 ms overflow. */
export const MAX_TIMEOUT_MS = 600_000;

/** How a value looks in a message. Strings are quoted and cut at 40 characters. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 39)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

interface RawIssue {
  input?: unknown;
}

/** Marks a message for a key that is absent, so load.ts can point at the parent mapping. */
export const MISSING_PREFIX = 'required key is missing; ';

/** The error option of one schema: "expected <what>, got <value>", or "missing: …" when absent. */
function expected(what: string, extra?: (input: unknown) => string | undefined) {
  return {
    error: (iss: RawIssue): string => {
      if (iss.input === undefined) return `${MISSING_PREFIX}expected ${what}`;
      const more = extra?.(iss.input);
      return `expected ${what}, got ${describeValue(iss.input)}${more ? ` (${more})` : ''}`;
    },
  };
}

const YAML11_BOOLEANS = /^(y|yes|n|no|on|off|true|false)$/i;
function boolean(what: string) {
  return z.boolean(expected(what, (v) => (typeof v === 'string' && YAML11_BOOLEANS.test(v) ? 'write true or false, unquoted' : undefined)));
}

/** A non-empty string, trimmed. */
function text(what: string) {
  const e = expected(what);
  return z.string(e).trim().min(1, e);
}

function positive(what: string) {
  const e = expected(what);
  return z.number(e).positive(e);
}

function nonNegative(what: string) {
  const e = expected(what);
  return z.number(e).nonnegative(e);
}

function intRange(what: string, min: number, max: number) {
  const e = expected(what);
  return z.int(e).min(min, e).max(max, e);
}

/** A fraction of the balance in (0, 1]; percentages written as 1 or "1%" get a hint. */
function fraction(what: string) {
  const e = expected(what, (v) => {
    let pct: number | undefined;
    if (typeof v === 'number' && v > 1) pct = v;
    if (typeof v === 'string') {
      const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
      if (m?.[1] !== undefined) pct = Number(m[1]);
    }
    return pct === undefined ? undefined : `fractions, not percentages: write ${+(pct / 100).toPrecision(6)} for ${pct}%`;
  });
  return z.number(e).gt(0, e).max(1, e);
}

const SYMBOL_WHAT = 'a symbol such as XAUUSD (letters, digits and . _ # + -)';
const symbol = (() => {
  const e = expected(SYMBOL_WHAT);
  return z
    .string(e)
    .trim()
    .regex(SYMBOL, e)
    .transform((s) => s.toUpperCase());
})();

/** A list of symbols, upper-cased, duplicates dropped, order kept. */
function symbolList(what: string) {
  return z.array(symbol, expected(what)).transform((list) => [...new Set(list)]);
}

const host = text('a host name or IP address such as 127.0.0.1')
  .refine((h) => !/\s/.test(h), { error: 'a host name cannot contain spaces' })
  .refine((h) => !h.includes('://'), {
    error: 'expected a host name or IP address, not a URL: drop the scheme and put the port in `port:`',
  })
  .refine((h) => !/^[^:[\]]+:\d*$/.test(h) && !/^\[.*\]:\d*$/.test(h), {
    error: 'the host must not include a port: put it in `port:`',
  });

/** MetaApi's account id: one path segment (MetaApi's are UUIDs). */
const accountId = (() => {
  const e = expected("MetaApi's account id, such as 865d3a4d-3803-486d-bdf3-a85679d9fad2 (letters, digits, - and _)");
  return z
    .string(e)
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, e);
})();

const region = (() => {
  const e = expected('a MetaApi region such as new-york or london');
  return z
    .string(e)
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, e)
    .transform((r) => r.toLowerCase());
})();

/** A MetaApi API address: https (http only to a loopback address, for the paper bridge), no credentials, query or fragment. */
const baseUrl = (() => {
  const what = 'an https URL such as https://mt-client-api-v1.london.agiliumtrade.ai (http only to a loopback address)';
  const e = expected(what);
  return z
    .string(e)
    .trim()
    .transform((v, ctx) => {
      const bad = (why: string) => {
        ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${describeValue(v)}: ${why}`, input: v });
        return z.NEVER;
      };
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return bad('not a URL');
      }
      if (u.username !== '' || u.password !== '') return bad('it must not hold a user name or password (the token goes in `token:`)');
      if (u.search !== '' || u.hash !== '' || v.includes('?') || v.includes('#')) return bad('it must not have a query or fragment');
      const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      const n = normalizeHost(host);
      if (u.protocol === 'http:' && !(n.ok && n.kind === 'loopback')) return bad('plain http would send the token unencrypted; use https');
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return bad(`the scheme ${u.protocol.slice(0, -1)} is not http(s)`);
      return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    });
})();

function mapping<T extends z.core.$ZodLooseShape>(what: string, shape: T) {
  return z.strictObject(shape, expected(what));
}

/** `2m`, `90s`, or a whole number of seconds: 10 s to 1 h. */
export const MAX_ORDER_AGE_RANGE_MS = { min: 10_000, max: 3_600_000 } as const;
const orderAge = (() => {
  const what = 'a duration from 10s to 1h such as 2m or 90s (a plain number is seconds)';
  const e = expected(what);
  return z.union([z.string(e), z.number(e)], e).transform((v, ctx) => {
    const m = typeof v === 'number' ? [String(v), String(v), 's'] : /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
    const n = m
      ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
      : Number.NaN;
    if (!(n >= MAX_ORDER_AGE_RANGE_MS.min && n <= MAX_ORDER_AGE_RANGE_MS.max)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${describeValue(v)}`, input: v });
      return z.NEVER;
    }
    return Math.round(n);
  });
})();

const tcpPort = (what: string) => intRange(`${what}, an integer 1..65535`, 1, 65535);

export { DWX_DEFAULT_PORTS } from './transports.js';

/** `'rest' (…), 'dwx' (…) or 'metaapi' (…)`. */
function transportList(): string {
  const labels = TRANSPORT_KINDS.map((k) => TRANSPORT_SPECS[k].label);
  return labels.length < 2 ? labels.join('') : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}`;
}

/** Without the rules that tie keys to the transport: `defaults.mt4` takes any subset of it. */
const Mt4Base = mapping('a mapping of bridge settings (host, port, …)', {
  /** Required with transports rest and dwx (the refinement below); MetaApi has none. */
  host: host.optional(),
  /** Required with transport rest (the refinement below); over dwx the three ports below are used. */
  port: tcpPort('a TCP port').optional(),
  /** A string in the output; load.ts replaces a plain YAML number by its source text first. */
  account: z
    .union([text('an account number'), z.int().nonnegative()], expected('an account number such as "22437"'))
    .transform(String)
    .optional(),
  server: text('a broker server name such as EBCFinancialGroupKY-Demo02').optional(),
  /** Checked in load.ts, which knows the agent id for the message and must never echo the value. */
  token: z.unknown().optional(),
  token_file: text('the path of a file holding the token').optional(),
  timeout_ms: intRange(`a timeout in milliseconds, an integer 1..${MAX_TIMEOUT_MS}`, 1, MAX_TIMEOUT_MS).default(DEFAULT_TIMEOUT_MS),
  /** How old an unanswered order must be on the terminal's clock to be proven never to open; ms in the output. */
  max_order_age: orderAge.optional(),
  // Every transport by its label, as test/config.test.ts pins it (see docs/transports.md).
  transport: z.enum(TRANSPORT_KINDS as [TransportKind, ...TransportKind[]], expected(transportList())).default('rest'),
  /** transport dwx: the EA's PUSH_PORT, where commands go (default 32768). */
  push_port: tcpPort("the DWX EA's PUSH_PORT").optional(),
  /** transport dwx: the EA's PULL_PORT, where replies come from (default 32769). */
  pull_port: tcpPort("the DWX EA's PULL_PORT").optional(),
  /** transport dwx: the EA's PUB_PORT, where quotes come from (default 32770). */
  pub_port: tcpPort("the DWX EA's PUB_PORT").optional(),
  /** transport metaapi: MetaApi's account id (not the MT4 login). */
  account_id: accountId.optional(),
  /** transport metaapi: the region of MetaApi's API (default new-york); not with base_url. */
  region: region.optional(),
  /** transport metaapi: the API's address when it is not a region's (another domain, or the paper bridge on loopback). */
  base_url: baseUrl.optional(),
  /** transport dwx: the account currency, which the DWX EA does not report. */
  currency: (() => {
    const e = expected('an ISO currency code such as USD');
    return z
      .string(e)
      .trim()
      .regex(/^[A-Za-z]{3}$/, e)
      .transform((c) => c.toUpperCase());
  })().optional(),
});

/** The keys tied to the transport (transports.ts): each transport's rules, and no key of another. */
export const Mt4Schema = Mt4Base.superRefine((m, ctx) => {
  refineMt4(
    m as Mt4Parsed,
    (key, message) => ctx.addIssue({ code: 'custom', path: [key], message, input: m[key as keyof typeof m] }),
    MISSING_PREFIX,
  );
});

/** An agent's mt4 block as AgentConfig holds it: the common keys and its transport's branch. */
export function mt4Config(m: z.output<typeof Mt4Base>, token: TokenRef | undefined): AgentConfig['mt4'] {
  const common: Mt4Common = {
    ...(m.account !== undefined ? { account: m.account } : {}),
    ...(m.server !== undefined ? { server: m.server } : {}),
    ...(token ? { token } : {}),
    timeout_ms: m.timeout_ms,
    ...(m.max_order_age !== undefined ? { max_order_age_ms: m.max_order_age } : {}),
  };
  return TRANSPORT_SPECS[m.transport].build(m as Mt4Parsed, common);
}

const strategyShape = {
  type: text('a strategy name such as amd').optional(),
  pairs: symbolList('a list of symbols such as [XAUUSD, EURUSD]').default([]),
  timeframe: text('a timeframe such as 5m').optional(),
  min_confidence: (() => {
    const e = expected('a number from 0 to 1 (0.7 means 70%)');
    return z.number(e).min(0, e).max(1, e).optional();
  })(),
};
export const StrategySchema = mapping('a mapping of strategy settings (type, pairs, …)', strategyShape);

export const RiskSchema = mapping('a mapping of risk limits (initial_balance, max_risk_per_trade, …)', {
  initial_balance: positive('an amount > 0 in the account currency'),
  max_risk_per_trade: fraction('a fraction of the balance in (0, 1], such as 0.01 for 1%'),
  max_daily_loss: fraction('a fraction of the balance in (0, 1], such as 0.05 for 5%'),
  max_positions: intRange('an integer >= 1', 1, Number.MAX_SAFE_INTEGER),
  allowed_pairs: symbolList('a list of symbols such as [XAUUSD]').optional(),
  lot_size: positive('a lot size > 0 such as 0.01').optional(),
  max_lots: positive('a lot size > 0 such as 0.05').optional(),
  require_stop_loss: boolean('true or false').default(false),
});

const agentWhat = 'a mapping of agent settings (name, mt4, strategy, risk, …)';
export const AgentSchema = mapping(agentWhat, {
  id: text('the agent id, equal to its key under agents:').optional(),
  name: text('a display name such as Atlas').optional(),
  description: z.string(expected('a description')).optional(),
  enabled: boolean('true or false').default(true),
  mt4: Mt4Schema,
  strategy: StrategySchema.prefault({}),
  risk: RiskSchema,
});
export type ParsedAgent = z.output<typeof AgentSchema>;

/** `defaults:` — any subset of an agent's fields except id, each section partial. */
export const DefaultsSchema = mapping('a mapping of agent fields shared by every agent', {
  name: AgentSchema.shape.name,
  description: AgentSchema.shape.description,
  enabled: boolean('true or false').optional(),
  mt4: Mt4Base.partial().optional(),
  strategy: StrategySchema.partial().optional(),
  risk: RiskSchema.partial().optional(),
});

export const SymbolOverrideSchema = mapping('a mapping of contract fields (digits, point, …)', {
  digits: intRange('an integer 0..10', 0, 10).optional(),
  point: positive('a number > 0 such as 0.01').optional(),
  contract_size: positive('a number > 0 such as 100000').optional(),
  tick_size: positive('a number > 0 such as 0.01').optional(),
  tick_value: positive('a number > 0').optional(),
  min_lot: positive('a lot size > 0 such as 0.01').optional(),
  lot_step: positive('a lot step > 0 such as 0.01').optional(),
  max_lot: positive('a lot size > 0 such as 50').optional(),
  stop_level: nonNegative('a number >= 0 (points)').optional(),
  freeze_level: nonNegative('a number >= 0 (points)').optional(),
  margin_required: nonNegative('a number >= 0').optional(),
});

// The schema's keys must be exactly SymbolOverride's: a compile error here means one side changed.
type OverrideKeys = keyof z.output<typeof SymbolOverrideSchema>;
const overrideKeysMatch: [OverrideKeys] extends [keyof SymbolOverride]
  ? [keyof SymbolOverride] extends [OverrideKeys]
    ? true
    : never
  : never = true;
void overrideKeysMatch;
const overrideAssignable = (o: z.output<typeof SymbolOverrideSchema>): SymbolOverride => o;
void overrideAssignable;

export const SYMBOL_KEY_WHAT = SYMBOL_WHAT;

/**
 * `state:` — a desk shared through PostgreSQL (docs/shared-desk.md). The URL holds a password, so,
 * like a token, it is only ever a `${NAME}` reference or a file; validator.ts checks `url` without
 * echoing it.
 */
export const StateSchema = mapping('a mapping with `url: ${NAME}` or `url_file: <path>`', {
  url: z.unknown().optional(),
  url_file: text('the path of a file holding the database URL').optional(),
});

/** The keys each mapping accepts, for "unknown key" messages and suggestions. */
export const KNOWN_KEYS = {
  root: ['agents', 'defaults', 'symbols', 'state'],
  agent: Object.keys(AgentSchema.shape),
  defaults: Object.keys(DefaultsSchema.shape),
  mt4: Object.keys(Mt4Schema.shape),
  strategy: Object.keys(StrategySchema.shape),
  risk: Object.keys(RiskSchema.shape),
  symbol: Object.keys(SymbolOverrideSchema.shape),
  state: Object.keys(StateSchema.shape),
} as const satisfies Record<string, readonly string[]>;

/** The agent sections, for "`port` belongs under `mt4:`" hints. */
export const SECTIONS = ['mt4', 'strategy', 'risk'] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * Keys of the older inventory layout and other common spellings, mapped to where they live now
 * (relative to the agent).
 */
export const KEY_ALIASES: Readonly<Record<string, string>> = {
  risk_config: 'risk',
  mt4_port: 'mt4.port',
  nombre: 'name',
  descripcion: 'description',
  codigo: 'id',
  symbols: 'strategy.pairs',
  password: 'mt4.token',
  api_key: 'mt4.token',
  lots: 'risk.lot_size',
  timeout: 'mt4.timeout_ms',
};
