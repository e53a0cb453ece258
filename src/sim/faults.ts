// Fault injection for the paper terminals: which faults exist, how they are validated, which of
// them hit a given request, and the reply corruptions every front shares. What a fault means for a
// protocol is up to each front (rest-server.ts, dwx-server.ts).
import { SimInputError } from './errors.js';
import type { Prng } from './prng.js';

export const FAULT_KINDS = [
  'latency',
  'trade_error',
  'execute_then_drop',
  'hang',
  'malformed_json',
  'wrong_types',
  'http_500',
  'http_503',
  'unauthorized',
  'down',
  'trade_context_busy',
  'echo_token',
  'http_429',
  'not_connected',
  'execute_then_error',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Apply to the next N matching requests, then drop the fault. Default: every one until cleared. */
  count?: number;
  /** Probability (0..1) that a matching request is hit, drawn from the sim's seeded PRNG. */
  rate?: number;
  /** Only requests whose path is this path or below it ('/trade', '/tick', '/tick/XAUUSD', …). */
  endpoint?: string;
  /** Only POST /trade requests whose body has this action ('buy', 'close', …). */
  action?: string;
  /** latency: delay before the reply, in milliseconds. */
  ms?: number;
  /** latency: extra random delay, uniform in [0, jitter) ms. */
  jitter?: number;
  /**
   * trade_error: the MT4 error code to answer (default 2, common error); over metaapi also
   * MetaApi's own negative codes (-11, -10, -7, -5). execute_then_error (metaapi): the code
   * answered after executing (default -11).
   */
  code?: number;
  /**
   * down: how long the bridge stays unreachable; trade_context_busy: how long the trade context is
   * held (default 5 s each); http_429 (metaapi): when MetaApi recommends retrying (default 1 s).
   */
  seconds?: number;
  /** http_429 (metaapi): where the retry time is: `metadata` (default), `details`, or only the `header` (Retry-After). */
  variant?: string;
}

const FAULT_FIELDS = new Set(['kind', 'count', 'rate', 'endpoint', 'action', 'ms', 'jitter', 'code', 'seconds', 'variant']);
/** http_429's layouts of the retry time. */
export const RATE_LIMIT_VARIANTS = ['metadata', 'details', 'header'] as const;

/** Checks a fault given by a caller (options, control API or control path) and returns a clean copy. */
export function validateFault(input: unknown): Fault {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SimInputError('a fault must be an object');
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!FAULT_FIELDS.has(key)) throw new SimInputError(`fault: unknown field "${key}"`);
  }
  const kind = o.kind;
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new SimInputError(`fault: kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  const fault: Fault = { kind: kind as FaultKind };
  const num = (key: 'count' | 'rate' | 'ms' | 'jitter' | 'code' | 'seconds', check: (n: number) => boolean, what: string): void => {
    const v = o[key];
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new SimInputError(`fault ${kind}: ${key} must be ${what}`);
    fault[key] = v;
  };
  num('count', (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  num('rate', (n) => n >= 0 && n <= 1, 'a probability between 0 and 1');
  num('ms', (n) => n >= 0, 'a number of milliseconds >= 0');
  num('jitter', (n) => n >= 0, 'a number of milliseconds >= 0');
  num('code', (n) => Number.isInteger(n) && n >= -100, "an MT4 error code (or MetaApi's own, from -100)");
  num('seconds', (n) => n >= 0, 'a number of seconds >= 0');
  for (const key of ['endpoint', 'action', 'variant'] as const) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v === '') throw new SimInputError(`fault ${kind}: ${key} must be a non-empty string`);
    fault[key] = v;
  }
  if (fault.endpoint !== undefined && !fault.endpoint.startsWith('/'))
    throw new SimInputError(`fault ${kind}: endpoint must start with "/"`);
  if (fault.variant !== undefined && (fault.kind !== 'http_429' || !(RATE_LIMIT_VARIANTS as readonly string[]).includes(fault.variant)))
    throw new SimInputError(`fault ${kind}: variant is for http_429 only, one of ${RATE_LIMIT_VARIANTS.join(', ')}`);
  if (fault.kind === 'latency' && fault.ms === undefined && fault.jitter === undefined) {
    throw new SimInputError('fault latency: give ms (and optionally jitter)');
  }
  return fault;
}

export function validateFaults(input: unknown): Fault[] {
  if (!Array.isArray(input)) throw new SimInputError('faults must be an array');
  return input.map(validateFault);
}

/** What a request looks like to the fault matcher. */
export interface FaultTarget {
  path: string;
  /** The body's action on POST /trade, when the body is a valid trade request. */
  action?: string;
  /** True for a valid POST /trade (one that would execute). */
  trade: boolean;
}

export interface FaultDecision {
  /** The first fault that fired and decides the outcome (neither latency nor trade_context_busy), if any. */
  fault?: Fault;
  /** The total delay of the latency faults that fired. */
  delayMs: number;
  /** trade_context_busy: the longest hold of those that fired, in seconds. */
  holdSeconds?: number;
  /** Every fault kind that fired, in order. */
  fired: FaultKind[];
}

/** Faults that add to a request and let the next ones be tried. */
const MODIFIERS: ReadonlySet<FaultKind> = new Set(['latency', 'trade_context_busy']);

/** True when `path` is `endpoint` or lies below it (segment-wise: '/tick' covers '/tick/EURUSD'). */
export function endpointMatches(endpoint: string, path: string): boolean {
  if (endpoint === path) return true;
  const base = endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
  return path.startsWith(base);
}

interface ActiveFault {
  fault: Fault;
  remaining: number | undefined;
}

/** The faults of one agent, in the order they were given. */
export class FaultSet {
  private active: ActiveFault[] = [];
  private readonly rng: Prng;

  constructor(rng: Prng) {
    this.rng = rng;
  }

  set(faults: readonly Fault[]): void {
    this.active = faults.map((f) => ({ fault: { ...f }, remaining: f.count }));
  }

  add(fault: Fault): void {
    this.active.push({ fault: { ...fault }, remaining: fault.count });
  }

  clear(): void {
    this.active = [];
  }

  /** The faults still in force; `count` is what is left of it. */
  list(): Fault[] {
    return this.active.map(({ fault, remaining }) => (remaining === undefined ? { ...fault } : { ...fault, count: remaining }));
  }

  private matches(f: Fault, t: FaultTarget): boolean {
    if (f.endpoint !== undefined && !endpointMatches(f.endpoint, t.path)) return false;
    if (f.action !== undefined && (!t.trade || t.action !== f.action)) return false;
    // trade_error stands in for MT4's answer to a trade: only a trade that would execute can get it.
    if ((f.kind === 'trade_error' || f.kind === 'execute_then_error') && !t.trade) return false;
    return true;
  }

  /** Whether the fault fires on this request; a fault that fires counts down (and goes at 0). */
  private fires(a: ActiveFault, t: FaultTarget): boolean {
    if (!this.matches(a.fault, t)) return false;
    if (a.fault.rate !== undefined && !(this.rng.next() < a.fault.rate)) return false;
    if (a.remaining !== undefined) {
      a.remaining -= 1;
      if (a.remaining <= 0) this.active = this.active.filter((x) => x !== a);
    }
    return true;
  }

  /**
   * Which faults hit this request (echo_token aside: see echoes()). Faults are tried in order:
   * every latency fault that fires adds its delay, every trade_context_busy that fires holds the
   * trade context; the first other fault that fires is the outcome, and later ones are not tried
   * (their count and the PRNG are left untouched). A fault's count goes down only when it fires.
   */
  decide(t: FaultTarget): FaultDecision {
    let delayMs = 0;
    let holdSeconds: number | undefined;
    let chosen: Fault | undefined;
    const fired: FaultKind[] = [];
    for (const a of [...this.active]) {
      if (a.fault.kind === 'echo_token' || !this.fires(a, t)) continue;
      fired.push(a.fault.kind);
      if (a.fault.kind === 'latency') {
        delayMs += (a.fault.ms ?? 0) + (a.fault.jitter ? this.rng.next() * a.fault.jitter : 0);
      } else if (a.fault.kind === 'trade_context_busy') {
        holdSeconds = Math.max(holdSeconds ?? 0, a.fault.seconds ?? 5);
      }
      if (MODIFIERS.has(a.fault.kind)) continue;
      chosen = a.fault;
      break;
    }
    return {
      delayMs: Math.round(delayMs),
      fired,
      ...(chosen === undefined ? {} : { fault: chosen }),
      ...(holdSeconds === undefined ? {} : { holdSeconds }),
    };
  }

  /**
   * Whether an echo_token fault hits this request. Tried before anything else (authentication
   * included), so that it reaches every error body; the first one that fires is enough.
   */
  echoes(t: FaultTarget): boolean {
    for (const a of [...this.active]) {
      if (a.fault.kind === 'echo_token' && this.fires(a, t)) return true;
    }
    return false;
  }
}

/** malformed_json: the reply cut in half — never valid JSON, since an object or array is left open. */
export function malform(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}

/** wrong_types: the same reply with one field of the wrong JSON type (a money field when there is one). */
export function corruptTypes(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? {} : [corruptTypes(v[0]), ...v.slice(1)];
  if (typeof v === 'object' && v !== null) {
    const o = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(o);
    const preferred = ['balance', 'bid', 'profit', 'tick_value', 'error_code'].find((k) => typeof o[k] === 'number');
    const key =
      preferred ??
      keys.find((k) => typeof o[k] === 'number') ??
      keys.find((k) => typeof o[k] === 'boolean') ??
      keys.find((k) => typeof o[k] === 'string');
    if (key === undefined) return [];
    const val = o[key];
    o[key] = typeof val === 'string' ? 0 : String(val);
    return o;
  }
  return typeof v === 'number' ? String(v) : 0;
}

/**
 * echo_token: a careless bridge repeats the request's token header (Authorization: the agent's token) in
 * the `message` of what it answers — trade replies and error bodies alike. Other replies (and
 * bodies without a string `message`) are left as they are.
 */
export function echoToken(body: unknown, headerName: string, value: string | undefined): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const o = body as Record<string, unknown>;
  if (typeof o.message !== 'string') return body;
  return { ...o, message: `${o.message} (request ${headerName}: ${value ?? ''})` };
}
