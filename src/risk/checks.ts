// Pieces shared by evaluateOrder and evaluateModify: the recorder that collects checks and
// violations, the symbol-spec and quote assessments, and the SL/TP side and stop-level rules.
import type { RiskCode } from './codes.js';
import { parseIsoTime } from './daily.js';
import { clean, formatPrice } from './format.js';
import type { Check, CheckStatus, Quote, Side, SymbolSpecInput, Violation } from './types.js';

export const DEFAULT_MAX_QUOTE_AGE_MS = 120_000;

/** Collects one check per code; a failed check also becomes a violation. */
export class Recorder<C extends RiskCode> {
  private readonly byCode = new Map<C, { check: Check<C>; violation?: Violation }>();

  pass(code: C, message: string): void {
    this.set(code, 'pass', message);
  }

  skip(code: C, why: string): void {
    this.set(code, 'skipped', why);
  }

  fail(code: C, message: string, detail: Record<string, string | number>): void {
    const cleaned = Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, typeof v === 'number' ? clean(v) : v]));
    this.set(code, 'fail', message, { code, message, detail: cleaned });
  }

  /** Whether any check has failed so far. */
  hasFailure(): boolean {
    for (const { check } of this.byCode.values()) if (check.status === 'fail') return true;
    return false;
  }

  /** Checks and violations in the given code order; a code never recorded is reported as skipped. */
  result(order: readonly C[]): { checks: Check<C>[]; violations: Violation[] } {
    const checks: Check<C>[] = [];
    const violations: Violation[] = [];
    for (const code of order) {
      const entry = this.byCode.get(code) ?? { check: { code, status: 'skipped' as const, message: 'not evaluated' } };
      checks.push(entry.check);
      if (entry.violation) violations.push(entry.violation);
    }
    return { checks, violations };
  }

  private set(code: C, status: CheckStatus, message: string, violation?: Violation): void {
    this.byCode.set(code, violation ? { check: { code, status, message }, violation } : { check: { code, status, message } });
  }
}

/** What is wrong with a symbol spec (empty: usable). A spec with any problem is treated as unknown. */
export function specProblems(spec: SymbolSpecInput): string[] {
  const problems: string[] = [];
  const positive = ['point', 'tick_size', 'tick_value', 'min_lot', 'lot_step', 'max_lot'] as const;
  for (const k of positive) if (!(Number.isFinite(spec[k]) && spec[k] > 0)) problems.push(`${k}=${spec[k]}`);
  const nonNegative = ['stop_level', 'margin_required'] as const;
  for (const k of nonNegative) if (!(Number.isFinite(spec[k]) && spec[k] >= 0)) problems.push(`${k}=${spec[k]}`);
  if (!(Number.isInteger(spec.digits) && spec.digits >= 0 && spec.digits <= 10)) problems.push(`digits=${spec.digits}`);
  return problems;
}

export interface QuoteAssessment {
  /** Bid and ask are positive, finite and ask ≥ bid: prices can be used even when stale. */
  pricesValid: boolean;
  bid: number | null;
  ask: number | null;
  ageMs: number | null;
  status: 'pass' | 'fail';
  message: string;
  detail: Record<string, string | number>;
}

/** QUOTE_STALE: missing, invalid prices, unparsable or too old (or too far in the future) timestamp. */
export function assessQuote(quote: Quote | undefined, now: number, maxAgeMs: number, digits: number | null): QuoteAssessment {
  if (!quote) {
    return {
      pricesValid: false,
      bid: null,
      ask: null,
      ageMs: null,
      status: 'fail',
      message: 'no quote for the symbol',
      detail: { reason: 'missing' },
    };
  }
  const { bid, ask } = quote;
  const pricesValid = Number.isFinite(bid) && Number.isFinite(ask) && bid > 0 && ask > 0 && ask >= bid;
  const t = typeof quote.timestamp === 'string' ? parseIsoTime(quote.timestamp) : null;
  const ageMs = t ? now - t.epochMs : null;
  const base = { pricesValid, bid: pricesValid ? bid : null, ask: pricesValid ? ask : null, ageMs };
  const p = (x: number): string => formatPrice(x, digits);
  if (!pricesValid) {
    return {
      ...base,
      status: 'fail',
      message: `the quote is not usable: bid ${Number.isFinite(bid) ? p(bid) : bid}, ask ${Number.isFinite(ask) ? p(ask) : ask} (both must be positive, ask ≥ bid)`,
      detail: { bid, ask },
    };
  }
  if (ageMs === null) {
    return {
      ...base,
      status: 'fail',
      message: `the quote's timestamp "${quote.timestamp}" is not ISO-8601 with an offset`,
      detail: { timestamp: String(quote.timestamp) },
    };
  }
  // A NaN maxAgeMs makes both comparisons false: written so that it fails.
  if (!(ageMs <= maxAgeMs)) {
    return {
      ...base,
      status: 'fail',
      message: `the quote is ${Math.round(ageMs / 1000)} s old (max ${Math.round(maxAgeMs / 1000)} s)`,
      detail: { age_ms: ageMs, max_age_ms: maxAgeMs },
    };
  }
  if (!(ageMs >= -maxAgeMs)) {
    // Far in the future: the clocks disagree, so the age cannot be judged.
    return {
      ...base,
      status: 'fail',
      message: `the quote's timestamp is ${Math.round(-ageMs / 1000)} s in the future: the clocks disagree`,
      detail: { age_ms: ageMs, max_age_ms: maxAgeMs },
    };
  }
  return {
    ...base,
    status: 'pass',
    message: `bid ${p(bid)} ask ${p(ask)}, ${Math.max(0, Math.round(ageMs / 1000))} s old (max ${Math.round(maxAgeMs / 1000)} s)`,
    detail: {},
  };
}

/** `undefined`, `null` and `0` all mean "no stop" (MT4 reports 0). */
export function normalizeStop(v: number | null | undefined): number | null {
  return v === undefined || v === null || v === 0 ? null : v;
}

export function isValidPrice(v: number): boolean {
  return Number.isFinite(v) && v > 0;
}

type StopCodes = 'SL_WRONG_SIDE' | 'TP_WRONG_SIDE' | 'SL_TOO_CLOSE' | 'TP_TOO_CLOSE';

export interface StopCheckArgs {
  kind: 'sl' | 'tp';
  side: Side;
  /** The stop to check; null: none. */
  value: number | null;
  /** When set, both checks are skipped with this reason (e.g. "SL unchanged"). */
  skipReason?: string;
  /** Bid for a buy, ask for a sell; null when there is no usable quote. */
  ref: number | null;
  spec: Pick<SymbolSpecInput, 'point' | 'stop_level'> | undefined;
  digits: number | null;
}

/**
 * MT4's rule: a buy's stops are compared with the bid (it closes at the bid), a sell's with the
 * ask. Buy: SL < bid, TP > bid; sell: SL > ask, TP < ask; and each at least stop_level points away.
 */
export function recordStopChecks<C extends RiskCode>(r: Recorder<C | StopCodes>, a: StopCheckArgs): void {
  const sideCode = a.kind === 'sl' ? 'SL_WRONG_SIDE' : 'TP_WRONG_SIDE';
  const closeCode = a.kind === 'sl' ? 'SL_TOO_CLOSE' : 'TP_TOO_CLOSE';
  const label = a.kind === 'sl' ? 'SL' : 'TP';
  const p = (x: number): string => formatPrice(x, a.digits);
  if (a.skipReason !== undefined) {
    r.skip(sideCode, a.skipReason);
    r.skip(closeCode, a.skipReason);
    return;
  }
  if (a.value === null) {
    const why = a.kind === 'sl' ? 'no stop loss' : 'no take profit';
    r.skip(sideCode, why);
    r.skip(closeCode, why);
    return;
  }
  const value = a.value;
  if (!isValidPrice(value)) {
    r.fail(sideCode, `${label} ${value} is not a valid price`, { [a.kind]: String(value) });
    r.skip(closeCode, `${label} is not a valid price`);
    return;
  }
  if (a.ref === null) {
    const why = 'no usable quote to compare with (see QUOTE_STALE)';
    r.skip(sideCode, why);
    r.skip(closeCode, why);
    return;
  }
  const ref = a.ref;
  const refName = a.side === 'buy' ? 'bid' : 'ask';
  const mustBeBelow = (a.side === 'buy') === (a.kind === 'sl');
  const rightSide = mustBeBelow ? value < ref : value > ref;
  if (!rightSide) {
    r.fail(
      sideCode,
      `a ${a.side}'s ${label} must be ${mustBeBelow ? 'below' : 'above'} the ${refName}: ${label} ${p(value)}, ${refName} ${p(ref)}`,
      {
        [a.kind]: value,
        [refName]: ref,
      },
    );
    r.skip(closeCode, `${label} is on the wrong side`);
    return;
  }
  r.pass(sideCode, `${label} ${p(value)} is ${mustBeBelow ? 'below' : 'above'} the ${refName} ${p(ref)}`);

  if (!a.spec) {
    r.skip(closeCode, 'stop level unknown (no symbol spec); the broker enforces it (error 130)');
    return;
  }
  const distancePoints = Math.abs(ref - value) / a.spec.point;
  // 1e-6 of a point absorbs float noise in the division.
  if (!(distancePoints >= a.spec.stop_level - 1e-6)) {
    r.fail(
      closeCode,
      `${label} ${p(value)} is ${clean(Math.round(distancePoints * 10) / 10)} points from the ${refName} ${p(ref)}; the broker's stop level is ${a.spec.stop_level} points`,
      { [a.kind]: value, [refName]: ref, distance_points: distancePoints, stop_level: a.spec.stop_level },
    );
    return;
  }
  r.pass(
    closeCode,
    a.spec.stop_level === 0
      ? 'the symbol has no stop level'
      : `${clean(Math.round(distancePoints * 10) / 10)} points from the ${refName} (stop level ${a.spec.stop_level})`,
  );
}
