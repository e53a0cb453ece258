import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MONEY_TOLERANCE,
  STEP_SNAP,
  evaluateOrder,
  isStepMultiple,
  lossAtStop,
  roundDownToStep,
  sizeByRisk,
  stepDecimals,
  type SizingSpec,
} from '../../src/risk/index.js';

const XAU: SizingSpec = { tick_size: 0.01, tick_value: 1, min_lot: 0.01, lot_step: 0.01, max_lot: 50 };

describe('step helpers', () => {
  it('stepDecimals', () => {
    expect(stepDecimals(0.01)).toBe(2);
    expect(stepDecimals(0.1)).toBe(1);
    expect(stepDecimals(1)).toBe(0);
    expect(stepDecimals(0.05)).toBe(2);
    expect(stepDecimals(0.001)).toBe(3);
    expect(stepDecimals(0.25)).toBe(2);
  });

  it('roundDownToStep snaps float noise, then floors', () => {
    expect(roundDownToStep(0.03, 0.01)).toBe(0.03); // 0.03 / 0.01 = 2.9999999999999996
    expect(roundDownToStep(0.07, 0.01)).toBe(0.07);
    expect(roundDownToStep(0.3, 0.1)).toBe(0.3); // not 0.30000000000000004
    expect(roundDownToStep(0.0199999, 0.01)).toBe(0.01);
    expect(roundDownToStep(0.019999999999, 0.01)).toBe(0.02); // within 1e-8 of a step
    expect(roundDownToStep(0.129, 0.05)).toBe(0.1);
    expect(roundDownToStep(0.005, 0.01)).toBe(0);
    expect(roundDownToStep(-1, 0.01)).toBe(0);
    expect(roundDownToStep(Number.NaN, 0.01)).toBeNaN();
    expect(roundDownToStep(1, 0)).toBeNaN();
  });

  it('isStepMultiple', () => {
    expect(isStepMultiple(0.03, 0.01)).toBe(true);
    expect(isStepMultiple(0.1 + 0.2, 0.1)).toBe(true);
    expect(isStepMultiple(0.015, 0.01)).toBe(false);
    expect(isStepMultiple(0.15, 0.1)).toBe(false);
    expect(isStepMultiple(1.25, 0.05)).toBe(true);
    expect(isStepMultiple(Number.NaN, 0.01)).toBe(false);
  });

  it('lossAtStop', () => {
    expect(lossAtStop(2650.4, 2648.4, 0.01, XAU)).toBeCloseTo(2, 9);
    expect(lossAtStop(2648.4, 2650.4, 0.01, XAU)).toBeCloseTo(2, 9); // distance, either side
    // USDJPY at 150.000 on a USD account: 0.500 JPY = 500 ticks × 0.66667 USD × 0.1 lots.
    expect(lossAtStop(150, 149.5, 0.1, { tick_size: 0.001, tick_value: 100 / 150 })).toBeCloseTo(33.3333, 3);
  });
});

describe('sizeByRisk', () => {
  it('the architecture document: $200 × 1 % = $2, XAUUSD, 2.00 stop → 0.01 lots', () => {
    const r = sizeByRisk({ riskMoney: 200 * 0.01, entry: 2650.4, sl: 2648.4, spec: XAU });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.lots).toBe(0.01);
    expect(r.lossPerLot).toBeCloseTo(200, 6);
    expect(r.risk).toBeLessThanOrEqual(2);
    expect(r.cappedBy).toBeNull();
  });

  it('$1000 × 2 % = $20 with a 4.00 stop → 0.05 lots', () => {
    const r = sizeByRisk({ riskMoney: 20, entry: 2650.4, sl: 2646.4, spec: XAU });
    expect(r.ok && r.lots).toBe(0.05);
  });

  it('rounds down: $7 with a 2.00 stop is 0.035 → 0.03', () => {
    const r = sizeByRisk({ riskMoney: 7, entry: 2650.4, sl: 2648.4, spec: XAU });
    expect(r.ok && r.lots).toBe(0.03);
    expect(r.ok && r.risk).toBeCloseTo(6, 9);
  });

  it('caps at max_lots and at the symbol max_lot, to step multiples', () => {
    const a = sizeByRisk({ riskMoney: 1e6, entry: 2650.4, sl: 2648.4, spec: XAU, maxLots: 0.055 });
    expect(a.ok && a.lots).toBe(0.05);
    expect(a.ok && a.cappedBy).toBe('max_lots');
    const b = sizeByRisk({ riskMoney: 1e9, entry: 2650.4, sl: 2648.4, spec: XAU });
    expect(b.ok && b.lots).toBe(50);
    expect(b.ok && b.cappedBy).toBe('max_lot');
  });

  it('never rounds up to the minimum lot', () => {
    const r = sizeByRisk({ riskMoney: 1.5, entry: 2650.4, sl: 2648.4, spec: XAU, currency: 'USD' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.violation.code).toBe('SIZE_BELOW_MIN_LOT');
    expect(r.violation.detail).toEqual({ computed_lots: 0.0075, min_lot: 0.01, min_lot_risk: 2, risk_money: 1.5 });
    expect(r.violation.message).toMatch(/never rounded up/);
  });

  it('a cap below the minimum lot denies too', () => {
    const r = sizeByRisk({ riskMoney: 100, entry: 2650.4, sl: 2648.4, spec: XAU, maxLots: 0.005 });
    expect(!r.ok && r.violation.code).toBe('SIZE_BELOW_MIN_LOT');
    expect(!r.ok && r.violation.message).toMatch(/risk\.max_lots/);
  });

  it('no distance to size against', () => {
    const r = sizeByRisk({ riskMoney: 2, entry: 2650.4, sl: 2650.4, spec: XAU });
    expect(!r.ok && r.violation.code).toBe('SIZING_INVALID');
  });
});

// --- Properties ---------------------------------------------------------------------------------

const stepArb = fc.constantFrom(0.01, 0.1, 1, 0.05, 0.001, 0.02);
const specArb = fc
  .record({
    lot_step: stepArb,
    minSteps: fc.integer({ min: 1, max: 20 }),
    maxSteps: fc.integer({ min: 1, max: 100_000 }),
    tick_size: fc.constantFrom(0.01, 0.001, 0.00001, 0.25, 1),
    tick_value: fc.double({ min: 0.001, max: 100, noNaN: true }),
  })
  .map(({ lot_step, minSteps, maxSteps, tick_size, tick_value }) => ({
    tick_size,
    tick_value,
    lot_step,
    min_lot: roundDownToStep(lot_step * minSteps, lot_step),
    max_lot: roundDownToStep(lot_step * (minSteps + maxSteps), lot_step),
  }));
const sizingArb = fc.record({
  spec: specArb,
  entry: fc.double({ min: 0.5, max: 50_000, noNaN: true }),
  distanceTicks: fc.integer({ min: 1, max: 200_000 }),
  riskMoney: fc.double({ min: 0, max: 1e6, noNaN: true }),
  maxLots: fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: undefined }),
  side: fc.constantFrom(1, -1),
});

describe('properties', () => {
  it('roundDownToStep: a step multiple, never above the input (beyond the 1e-8-step snap), the largest such', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 10_000, noNaN: true }), stepArb, (lots, step) => {
        const r = roundDownToStep(lots, step);
        expect(isStepMultiple(r, step)).toBe(true);
        expect(r).toBeLessThanOrEqual(lots + step * STEP_SNAP * 1.0001);
        expect(r + step).toBeGreaterThan(lots);
      }),
      { numRuns: 2000 },
    );
  });

  it('sizeByRisk: lots are a step multiple, ≤ the raw size, ≤ caps, ≥ min, and risk ≤ the money asked', () => {
    fc.assert(
      fc.property(sizingArb, ({ spec, entry, distanceTicks, riskMoney, maxLots, side }) => {
        const sl = entry - side * distanceTicks * spec.tick_size;
        fc.pre(sl > 0);
        const r = sizeByRisk({ riskMoney, entry, sl, spec, ...(maxLots === undefined ? {} : { maxLots }) });
        const slack = spec.lot_step * STEP_SNAP * 1.0001;
        if (r.ok) {
          expect(isStepMultiple(r.lots, spec.lot_step)).toBe(true);
          expect(r.lots).toBeLessThanOrEqual(r.rawLots + slack);
          expect(r.lots).toBeLessThanOrEqual(spec.max_lot + slack);
          if (maxLots !== undefined) expect(r.lots).toBeLessThanOrEqual(maxLots + slack);
          expect(r.lots).toBeGreaterThanOrEqual(spec.min_lot - slack);
          expect(r.risk).toBeLessThanOrEqual(riskMoney * (1 + MONEY_TOLERANCE));
          expect(r.risk).toBeCloseTo(lossAtStop(entry, sl, r.lots, spec), 6);
        } else {
          // Denied only when no step multiple at or above the minimum fits under the money and the caps.
          expect(r.violation.code).toBe('SIZE_BELOW_MIN_LOT');
          const caps = Math.min(spec.max_lot, maxLots ?? Infinity);
          const affordable = riskMoney / lossAtStop(entry, sl, 1, spec);
          expect(Math.min(affordable, caps) < spec.min_lot + slack).toBe(true);
          expect(r.violation.detail.min_lot_risk).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('evaluateOrder: sizing at or below max_risk_per_trade never trips RISK_PER_TRADE_EXCEEDED', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.0001, max: 0.05, noNaN: true }),
        fc.double({ min: 0.0001, max: 0.05, noNaN: true }),
        fc.integer({ min: 10, max: 5000 }),
        fc.double({ min: 100, max: 1e6, noNaN: true }),
        (a, b, distanceTicks, balance) => {
          const fraction = Math.min(a, b);
          const maxRisk = Math.max(a, b);
          const d = evaluateOrder({
            order: {
              agentId: 'p',
              side: 'sell',
              symbol: 'XAUUSD',
              sizing: { kind: 'percent', fraction },
              sl: 2650.4 + distanceTicks * 0.01,
            },
            limits: {
              enabled: true,
              pairs: ['XAUUSD'],
              max_positions: 5,
              max_risk_per_trade: maxRisk,
              max_daily_loss: 0.05,
              require_stop_loss: true,
            },
            account: { balance, free_margin: 1e12, currency: 'USD', server_time: '2026-11-22T10:15:00+02:00' },
            positions: [],
            quote: { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:15:00Z' },
            spec: {
              digits: 2,
              point: 0.01,
              tick_size: 0.01,
              tick_value: 1,
              min_lot: 0.01,
              lot_step: 0.01,
              max_lot: 1e9,
              stop_level: 0,
              margin_required: 0,
            },
            closedToday: [],
            trading: { state: 'active' },
            now: Date.UTC(2026, 10, 22, 8, 15),
          });
          const codes = d.violations.map((v) => v.code);
          expect(codes).not.toContain('RISK_PER_TRADE_EXCEEDED');
          // Either it sized to a tradable lot, or it said it could not.
          expect(d.allowed || codes.includes('SIZE_BELOW_MIN_LOT')).toBe(true);
          if (d.allowed) expect(d.figures.riskMoney!).toBeLessThanOrEqual(balance * fraction * (1 + MONEY_TOLERANCE));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
