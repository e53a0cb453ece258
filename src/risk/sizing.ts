// Lot-step arithmetic, the loss at a stop, and position sizing by risk.
//
//   lots = risk money / (|entry − sl| / tick_size × tick_value)
//
// rounded DOWN to the lot step, capped at max_lots and the symbol's max_lot, and never rounded up
// to the minimum lot: a size below it is denied (SIZE_BELOW_MIN_LOT). The risk is then recomputed
// from the rounded lots, which is never more than the money asked for.
import { clean, formatLots, formatMoney, formatRawLots } from './format.js';
import type { SymbolSpecInput, Violation } from './types.js';

/**
 * Tolerance, in steps, for float noise: 0.03 / 0.01 is 2.9999999999999996, which must count as
 * 3 steps. Anything closer than this to a whole number of steps is that number.
 */
export const STEP_SNAP = 1e-8;

/** Relative tolerance when comparing money with a money limit (covers STEP_SNAP's effect). */
export const MONEY_TOLERANCE = 1e-7;

/** Decimals needed to write the step exactly: 0.01 → 2, 0.1 → 1, 1 → 0, 0.05 → 2. */
export function stepDecimals(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 2;
  for (let d = 0; d <= 10; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return 10;
}

/** `steps` whole steps, written with the step's decimals (3 × 0.1 is 0.3, not 0.30000000000000004). */
function fromSteps(steps: number, step: number): number {
  return Number((steps * step).toFixed(stepDecimals(step)));
}

/**
 * Rounds lots down to a whole number of steps, with integer step arithmetic: snap within
 * STEP_SNAP of a step first (so 0.03 stays 0.03), then floor. Negative or zero lots give 0;
 * a non-finite input or step gives NaN.
 */
export function roundDownToStep(lots: number, step: number): number {
  if (!Number.isFinite(lots) || !Number.isFinite(step) || !(step > 0)) return Number.NaN;
  if (lots <= 0) return 0;
  return fromSteps(Math.floor(lots / step + STEP_SNAP), step);
}

/** Whether lots is a whole number of steps (within STEP_SNAP of one). */
export function isStepMultiple(lots: number, step: number): boolean {
  if (!Number.isFinite(lots) || !Number.isFinite(step) || !(step > 0)) return false;
  const steps = lots / step;
  return Math.abs(steps - Math.round(steps)) <= Math.max(STEP_SNAP, Math.abs(steps) * 1e-12);
}

/** a ≤ b, allowing STEP_SNAP of a step for float noise. */
export function lotsAtMost(a: number, b: number, step: number): boolean {
  return a <= b + step * STEP_SNAP;
}

/** The parts of a symbol spec the loss at a stop needs. */
export type TickSpec = Pick<SymbolSpecInput, 'tick_size' | 'tick_value'>;

/**
 * Money lost, in the account currency, if a position of `lots` opened at `entry` is stopped out
 * at `sl`: |entry − sl| / tick_size × tick_value × lots. tick_value is already in the account
 * currency, so no conversion is needed (USDJPY on a USD account: tick_value ≈ 0.0066667 at 150).
 */
export function lossAtStop(entry: number, sl: number, lots: number, spec: TickSpec): number {
  return (Math.abs(entry - sl) / spec.tick_size) * spec.tick_value * lots;
}

export type SizingSpec = Pick<SymbolSpecInput, 'tick_size' | 'tick_value' | 'min_lot' | 'lot_step' | 'max_lot'>;

export interface SizingInput {
  /** Money to risk at the stop loss, account currency. */
  riskMoney: number;
  entry: number;
  sl: number;
  spec: SizingSpec;
  /** The agent's risk.max_lots, if any. */
  maxLots?: number;
  /** For messages only. */
  currency?: string;
}

export type SizingResult =
  | {
      ok: true;
      /** Rounded down to the step, capped; ≥ min_lot. */
      lots: number;
      /** riskMoney / lossPerLot, before rounding. */
      rawLots: number;
      /** Loss at the stop for one lot. */
      lossPerLot: number;
      /** The money asked for. */
      riskMoney: number;
      /** The loss at the stop with `lots` (≤ riskMoney). */
      risk: number;
      /** What capped the size, if anything did. */
      cappedBy: 'max_lots' | 'max_lot' | null;
    }
  | {
      ok: false;
      /** SIZING_INVALID (nothing to size against) or SIZE_BELOW_MIN_LOT. */
      violation: Violation;
      rawLots: number | null;
      lossPerLot: number | null;
      riskMoney: number;
    };

/** Sizes a position so that the loss at its stop loss is at most `riskMoney`. Pure. */
export function sizeByRisk(input: SizingInput): SizingResult {
  const { riskMoney, entry, sl, spec } = input;
  const ccy = input.currency ? ` ${input.currency}` : '';
  const dec = stepDecimals(spec.lot_step);
  const invalid = (message: string, detail: Record<string, string | number>, lossPerLot: number | null = null): SizingResult => ({
    ok: false,
    violation: { code: 'SIZING_INVALID', message, detail },
    rawLots: null,
    lossPerLot,
    riskMoney,
  });

  if (!Number.isFinite(riskMoney) || riskMoney < 0) {
    return invalid(`risk money ${riskMoney} is not a non-negative amount`, { risk_money: riskMoney });
  }
  const specOk = [spec.tick_size, spec.tick_value, spec.min_lot, spec.lot_step, spec.max_lot].every((x) => Number.isFinite(x) && x > 0);
  if (!specOk) return invalid('the symbol spec cannot size a position (tick_size, tick_value and lot fields must be positive)', {});
  const lossPerLot = lossAtStop(entry, sl, 1, spec);
  if (!Number.isFinite(lossPerLot) || !(lossPerLot > 0)) {
    return invalid('no distance between the entry and the stop loss to size against', { entry, sl }, null);
  }

  const rawLots = riskMoney / lossPerLot;
  const rounded = roundDownToStep(rawLots, spec.lot_step);
  // The caps are themselves rounded down to the step, so a cap of 0.055 with step 0.01 is 0.05.
  const agentCap = input.maxLots === undefined ? Infinity : roundDownToStep(input.maxLots, spec.lot_step);
  const symbolCap = roundDownToStep(spec.max_lot, spec.lot_step);
  let lots = rounded;
  let cappedBy: 'max_lots' | 'max_lot' | null = null;
  if (lots > symbolCap) {
    lots = symbolCap;
    cappedBy = 'max_lot';
  }
  if (lots > agentCap) {
    lots = agentCap;
    cappedBy = 'max_lots';
  }
  // NaN caps (a NaN max_lots) must not let a size through.
  if (!Number.isFinite(lots)) return invalid('the lot caps are not numbers', {});

  if (!(lots >= spec.min_lot - spec.lot_step * STEP_SNAP)) {
    const minLotRisk = spec.min_lot * lossPerLot;
    const why = cappedBy
      ? `, capped by ${cappedBy === 'max_lots' ? 'risk.max_lots' : 'the symbol’s max_lot'} to ${formatLots(lots, dec)}`
      : '';
    return {
      ok: false,
      violation: {
        code: 'SIZE_BELOW_MIN_LOT',
        message:
          `risking ${formatMoney(riskMoney)}${ccy} buys ${formatRawLots(rawLots, dec)} lots${why}, below the minimum ` +
          `${formatLots(spec.min_lot, dec)}; the minimum lot would risk ${formatMoney(minLotRisk)}${ccy} (never rounded up)`,
        detail: { computed_lots: clean(rawLots), min_lot: spec.min_lot, min_lot_risk: clean(minLotRisk), risk_money: clean(riskMoney) },
      },
      rawLots,
      lossPerLot,
      riskMoney,
    };
  }
  return { ok: true, lots, rawLots, lossPerLot, riskMoney, risk: lots * lossPerLot, cappedBy };
}
