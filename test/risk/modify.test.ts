import { describe, expect, it } from 'vitest';
import {
  MODIFY_CHECK_CODES,
  classifySlChange,
  evaluateModify,
  formatViolations,
  type ModifyInput,
  type SymbolSpecInput,
  type TradingStateValue,
} from '../../src/risk/index.js';

const NOW = Date.UTC(2026, 10, 22, 8, 15);
const XAUUSD: SymbolSpecInput = {
  digits: 2,
  point: 0.01,
  tick_size: 0.01,
  tick_value: 1,
  min_lot: 0.01,
  lot_step: 0.01,
  max_lot: 50,
  stop_level: 0,
  margin_required: 530,
};

// A buy opened at 2640.00 with SL 2630.00; the bid is 2650.12 now.
function input(change: Partial<Pick<ModifyInput, 'sl' | 'tp'>>, over: Partial<ModifyInput> = {}): ModifyInput {
  return {
    position: { ticket: 12345, symbol: 'XAUUSD', type: 'buy', open_price: 2640, lots: 0.01, sl: 2630, tp: 2660 },
    quote: { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:14:58Z' },
    spec: XAUUSD,
    trading: { state: 'active' },
    now: NOW,
    ...change,
    ...over,
  };
}
const codes = (i: ModifyInput): string[] => evaluateModify(i).violations.map((v) => v.code);
const state = (s: TradingStateValue) => ({ trading: { state: s, reason: 'panic' } });
const sellPosition = { ticket: 7, symbol: 'XAUUSD', type: 'sell' as const, open_price: 2660, lots: 0.02, sl: 2670, tp: 2640 };

describe('evaluateModify', () => {
  it('baseline: moving the SL while active is allowed, every check reported', () => {
    const d = evaluateModify(input({ sl: 2645 }));
    expect(d.violations).toEqual([]);
    expect(d.allowed).toBe(true);
    expect(d.checks.map((c) => c.code)).toEqual([...MODIFY_CHECK_CODES]);
    expect(d.figures).toMatchObject({
      ticket: 12345,
      stopReferencePrice: 2650.12,
      sl: { old: 2630, new: 2645, change: 'tightened' },
      tp: { old: 2660, new: 2660, change: 'unchanged' },
      lossAtOldSl: 10,
      lossAtNewSl: -5, // the new SL locks in 5.00 of profit
    });
  });

  it('NO_CHANGE: nothing given, the same values, or within half a point', () => {
    expect(codes(input({}))).toEqual(['NO_CHANGE']);
    expect(codes(input({ sl: 2630, tp: 2660 }))).toEqual(['NO_CHANGE']);
    expect(codes(input({ sl: 2630.004 }))).toEqual(['NO_CHANGE']);
    expect(codes(input({ sl: 2630.01 }))).toEqual([]);
  });

  it('null or 0 removes a stop; while active that is allowed', () => {
    const d = evaluateModify(input({ sl: null }));
    expect(d.allowed).toBe(true);
    expect(d.figures.sl).toEqual({ old: 2630, new: null, change: 'removed' });
    expect(evaluateModify(input({ tp: 0 })).figures.tp.change).toBe('removed');
  });

  describe('halted: an SL may only be added or tightened', () => {
    const halted = state('halted');
    it('tightening (up, for a buy) is allowed', () => expect(codes(input({ sl: 2645 }, halted))).toEqual([]));
    it('loosening is denied', () => {
      const d = evaluateModify(input({ sl: 2620 }, halted));
      expect(formatViolations(d)).toEqual(['STOP_LOOSENING_HALTED: old_sl=2630.00 new_sl=2620.00 state=halted reason=panic']);
    });
    it('removing is denied', () => expect(codes(input({ sl: null }, halted))).toEqual(['STOP_LOOSENING_HALTED']));
    it('removing with 0 is denied', () => expect(codes(input({ sl: 0 }, halted))).toEqual(['STOP_LOOSENING_HALTED']));
    it('adding one where there was none is allowed', () => {
      expect(codes(input({ sl: 2640 }, { ...halted, position: { type: 'buy', open_price: 2640, sl: null, tp: null } }))).toEqual([]);
    });
    it('for a sell, tightening is down and loosening is up', () => {
      expect(codes(input({ sl: 2665 }, { ...halted, position: sellPosition }))).toEqual([]);
      expect(codes(input({ sl: 2675 }, { ...halted, position: sellPosition }))).toEqual(['STOP_LOOSENING_HALTED']);
    });
    it('TP changes are allowed, including removal', () => {
      expect(codes(input({ tp: 2700 }, halted))).toEqual([]);
      expect(codes(input({ tp: null }, halted))).toEqual([]);
    });
    it('an unknown state counts as halted', () => {
      expect(codes(input({ sl: 2620 }, { trading: { state: 'frozen' as never } }))).toEqual(['STOP_LOOSENING_HALTED']);
    });
  });

  it('reducing: any stop change is allowed', () => {
    expect(codes(input({ sl: 2620 }, state('reducing')))).toEqual([]);
    expect(codes(input({ sl: null, tp: null }, state('reducing')))).toEqual([]);
  });

  it('side and stop-level checks on the stops being set (buy against the bid, sell against the ask)', () => {
    expect(codes(input({ sl: 2650.2 }))).toEqual(['SL_WRONG_SIDE']); // above the bid
    expect(codes(input({ tp: 2650 }))).toEqual(['TP_WRONG_SIDE']); // below the bid
    expect(codes(input({ sl: 2650.3 }, { position: sellPosition }))).toEqual(['SL_WRONG_SIDE']); // below the ask
    expect(codes(input({ tp: 2651 }, { position: sellPosition }))).toEqual(['TP_WRONG_SIDE']); // above the ask
    const tight = { spec: { ...XAUUSD, stop_level: 100 } };
    expect(codes(input({ sl: 2649.5 }, tight))).toEqual(['SL_TOO_CLOSE']);
    expect(codes(input({ tp: 2650.5 }, tight))).toEqual(['TP_TOO_CLOSE']);
    expect(codes(input({ sl: 2649.12 }, tight))).toEqual([]); // exactly 100 points
  });

  it('a stop that is not changed is not checked against the price', () => {
    // The TP 2660 is now below the bid (price ran up); moving only the SL must not fail on it.
    const d = evaluateModify(input({ sl: 2650 }, { quote: { bid: 2665, ask: 2665.3, timestamp: '2026-11-22T08:14:58Z' } }));
    expect(d.allowed).toBe(true);
    expect(d.checks.find((c) => c.code === 'TP_WRONG_SIDE')).toEqual({ code: 'TP_WRONG_SIDE', status: 'skipped', message: 'TP unchanged' });
  });

  it('an invalid new SL is denied as SL_WRONG_SIDE, also under a halt', () => {
    expect(codes(input({ sl: -1 }))).toEqual(['SL_WRONG_SIDE']);
    expect(codes(input({ sl: Number.NaN }, state('halted')))).toEqual(['SL_WRONG_SIDE']);
  });

  it('a stale or missing quote denies', () => {
    expect(codes(input({ sl: 2645 }, { quote: { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:00:00Z' } }))).toEqual([
      'QUOTE_STALE',
    ]);
    expect(codes(input({ sl: 2645 }, { quote: undefined }))).toEqual(['QUOTE_STALE']);
  });

  it('without a spec the stop level is skipped with a reason, not denied (a protective stop stays possible)', () => {
    const d = evaluateModify(input({ sl: 2645 }, { spec: undefined, ...state('halted') }));
    expect(d.allowed).toBe(true);
    expect(d.checks.find((c) => c.code === 'SL_TOO_CLOSE')?.status).toBe('skipped');
    expect(d.figures.lossAtNewSl).toBeNull();
  });

  it('several problems at once are all listed', () => {
    expect(
      codes(input({ sl: 2651, tp: 2600 }, { ...state('halted'), quote: { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T07:00:00Z' } })),
    ).toEqual(['QUOTE_STALE', 'SL_WRONG_SIDE', 'TP_WRONG_SIDE']);
    expect(codes(input({ sl: null }, { ...state('halted'), quote: undefined }))).toEqual(['QUOTE_STALE', 'STOP_LOOSENING_HALTED']);
  });

  it('classifySlChange', () => {
    expect(classifySlChange('buy', 2630, 2640)).toBe('tightened');
    expect(classifySlChange('buy', 2630, 2620)).toBe('loosened');
    expect(classifySlChange('sell', 2670, 2660)).toBe('tightened');
    expect(classifySlChange('sell', 2670, 2680)).toBe('loosened');
    expect(classifySlChange('buy', null, 2640)).toBe('added');
    expect(classifySlChange('buy', 2630, null)).toBe('removed');
    expect(classifySlChange('buy', 2630, 2630)).toBe('unchanged');
    expect(classifySlChange('buy', null, null)).toBe('unchanged');
  });
});
