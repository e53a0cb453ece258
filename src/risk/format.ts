// Rendering of risk figures: money to 2 dp, lots to the lot step's decimals, prices to the
// symbol's digits. A violation prints as `CODE: key=value key=value`, e.g.
// `RISK_PER_TRADE_EXCEEDED: risk=4.20 limit=2.00 balance=200.00`.
import type { Check, Decision, FormatContext, Violation } from './types.js';

/** How a detail value is rendered, by key. Keys not listed print as they are. */
export type DetailKind = 'money' | 'lots' | 'rawLots' | 'price' | 'points' | 'percent' | 'integer';

export const DETAIL_KINDS: Readonly<Record<string, DetailKind>> = {
  risk: 'money',
  limit: 'money',
  balance: 'money',
  amount: 'money',
  risk_money: 'money',
  min_lot_risk: 'money',
  margin: 'money',
  free_margin: 'money',
  daily_pnl: 'money',
  realized: 'money',
  floating: 'money',
  loss: 'money',
  day_start_balance: 'money',
  lots: 'lots',
  step: 'lots',
  min_lot: 'lots',
  max_lot: 'lots',
  max_lots: 'lots',
  cap: 'lots',
  computed_lots: 'rawLots',
  sl: 'price',
  tp: 'price',
  bid: 'price',
  ask: 'price',
  entry: 'price',
  old_sl: 'price',
  new_sl: 'price',
  old_tp: 'price',
  new_tp: 'price',
  distance_points: 'points',
  stop_level: 'points',
  risk_pct: 'percent',
  position_lots: 'lots',
  remainder: 'lots',
  positions: 'integer',
  count: 'integer',
  age_s: 'integer',
  max_positions: 'integer',
  age_ms: 'integer',
  max_age_ms: 'integer',
};

/** Money rounded to cents, half away from zero, never -0. */
export function roundCents(v: number): number {
  const r = Math.round((v + (v >= 0 ? 1e-9 : -1e-9)) * 100) / 100;
  return Object.is(r, -0) ? 0 : r;
}

/** Trims float noise (0.30000000000000004 → 0.3) so figures read well in JSON too. */
export function clean(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(12)) : x;
}

function fixed(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return String(x);
  const s = x.toFixed(decimals);
  // -0.00 reads as a loss that is not there.
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

export function formatMoney(x: number, decimals = 2): string {
  return fixed(x, decimals);
}

/**
 * The decimals (from `min`, at most 8) at which two amounts print differently when they differ: a
 * loss of 2.003 against a limit of 1.997 prints `2.003` and `1.997`, never `2.00` against `2.00`.
 */
export function decimalsToTell(a: number, b: number, min = 2): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || Math.abs(a - b) < 1e-9) return min;
  for (let d = min; d < 8; d++) if (Number(a.toFixed(d)) !== Number(b.toFixed(d))) return d;
  return 8;
}

/** A share of the balance, 1 = 1 %: always two decimals, one rounding everywhere. */
export function formatPercent(percent: number): string {
  return `${fixed(percent, 2)}%`;
}

/** The detail keys that are compared with each other, and so printed to decimals that tell them apart. */
const COMPARED: ReadonlyArray<readonly [string, string]> = [
  ['risk', 'limit'],
  ['loss', 'limit'],
  ['margin', 'free_margin'],
];

/**
 * Lots to the step's decimals (2 when unknown). A value those decimals cannot show exactly
 * (0.015 with a 0.01 step) prints in full rather than rounded, so a message never hides it.
 */
export function formatLots(x: number, lotDecimals?: number | null): string {
  const s = fixed(x, lotDecimals ?? 2);
  return Number.isFinite(x) && Math.abs(Number(s) - x) > 1e-9 * Math.max(1, Math.abs(x)) ? String(clean(x)) : s;
}

/** Unrounded lots (a size before rounding): two more decimals than the step, 0.0026 not 0.00. */
export function formatRawLots(x: number, lotDecimals?: number | null): string {
  return fixed(x, (lotDecimals ?? 2) + 2);
}

/** A price to the symbol's digits; when they are unknown, as the number is. */
export function formatPrice(x: number, digits?: number | null): string {
  return digits === undefined || digits === null ? String(clean(x)) : fixed(x, digits);
}

export function formatDetailValue(key: string, value: string | number, ctx: FormatContext = {}): string {
  if (typeof value === 'string') return /[\s="]/.test(value) || value === '' ? JSON.stringify(value) : value;
  switch (DETAIL_KINDS[key]) {
    case 'money':
      return formatMoney(value);
    case 'lots':
      return formatLots(value, ctx.lotDecimals);
    case 'rawLots':
      return formatRawLots(value, ctx.lotDecimals);
    case 'price':
      return formatPrice(value, ctx.digits);
    case 'points':
      return String(clean(Math.round(value * 10) / 10));
    case 'percent':
      return fixed(value, 2);
    case 'integer':
      return fixed(value, 0);
    default:
      return String(clean(value));
  }
}

/** `CODE: key=value key=value` (just `CODE` when there is no detail). */
export function formatViolation(v: Violation, ctx: FormatContext = {}): string {
  const decimals = new Map<string, number>();
  for (const [a, b] of COMPARED) {
    const x = v.detail[a];
    const y = v.detail[b];
    if (typeof x === 'number' && typeof y === 'number') {
      const d = decimalsToTell(x, y);
      decimals.set(a, d);
      decimals.set(b, d);
    }
  }
  const parts = Object.entries(v.detail).map(([k, val]) => {
    const d = decimals.get(k);
    return `${k}=${d !== undefined && typeof val === 'number' ? formatMoney(val, d) : formatDetailValue(k, val, ctx)}`;
  });
  return parts.length === 0 ? v.code : `${v.code}: ${parts.join(' ')}`;
}

/** One line per violation, rendered with the decision's own digits and lot decimals. */
export function formatViolations(decision: Decision<FormatContext>): string[] {
  return decision.violations.map((v) => formatViolation(v, decision.figures));
}

const STATUS_MARK = { pass: 'ok  ', fail: 'FAIL', skipped: 'skip' } as const;

/** `FAIL RISK_PER_TRADE_EXCEEDED  loss at stop 4.20 USD exceeds …` — one line of a preview. */
export function formatCheck(check: Check): string {
  return `${STATUS_MARK[check.status]} ${check.code.padEnd(24)} ${check.message}`;
}
