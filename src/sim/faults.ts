// Fault injection for the paper bridge: which faults exist, how they are validated, and which one
// (if any) hits a given request. What each fault does to the request is up to server.ts.
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
  /** trade_error: the MT4 error code to answer (default 2, common error). */
  code?: number;
  /** down: how long the bridge stays unreachable (default 5 s). */
  seconds?: number;
}

const FAULT_FIELDS = new Set(['kind', 'count', 'rate', 'endpoint', 'action', 'ms', 'jitter', 'code', 'seconds']);

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
  num('code', (n) => Number.isInteger(n) && n >= 0, 'an MT4 error code');
  num('seconds', (n) => n >= 0, 'a number of seconds >= 0');
  for (const key of ['endpoint', 'action'] as const) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v === '') throw new SimInputError(`fault ${kind}: ${key} must be a non-empty string`);
    fault[key] = v;
  }
  if (fault.endpoint !== undefined && !fault.endpoint.startsWith('/'))
    throw new SimInputError(`fault ${kind}: endpoint must start with "/"`);
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
  /** The first non-latency fault that fired, if any. */
  fault?: Fault;
  /** The total delay of the latency faults that fired. */
  delayMs: number;
}

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
    if (f.kind === 'trade_error' && !t.trade) return false;
    return true;
  }

  /**
   * Which faults hit this request. Faults are tried in order: every latency fault that fires adds
   * its delay; the first other fault that fires is the outcome, and later ones are not tried (their
   * count and the PRNG are left untouched). A fault's count goes down only when it fires.
   */
  decide(t: FaultTarget): FaultDecision {
    let delayMs = 0;
    let chosen: Fault | undefined;
    for (const a of [...this.active]) {
      if (!this.matches(a.fault, t)) continue;
      if (a.fault.rate !== undefined && !(this.rng.next() < a.fault.rate)) continue;
      if (a.remaining !== undefined) {
        a.remaining -= 1;
        if (a.remaining <= 0) this.active = this.active.filter((x) => x !== a);
      }
      if (a.fault.kind === 'latency') {
        delayMs += (a.fault.ms ?? 0) + (a.fault.jitter ? this.rng.next() * a.fault.jitter : 0);
        continue;
      }
      chosen = a.fault;
      break;
    }
    return chosen === undefined ? { delayMs: Math.round(delayMs) } : { fault: chosen, delayMs: Math.round(delayMs) };
  }
}
