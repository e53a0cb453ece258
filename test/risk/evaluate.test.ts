import { describe, expect, it } from 'vitest';
import {
  ORDER_CHECK_CODES,
  RISK_CODES,
  RISK_RULES,
  evaluateOrder,
  formatViolations,
  limitsFromAgent,
  type OrderCheckCode,
  type OrderInput,
  type OrderRequest,
  type OpenPosition,
  type SymbolSpecInput,
} from '../../src/risk/index.js';

// Baseline: agent Atlas from the architecture document — $200, 1 % risk, 5 % daily loss,
// one position, XAUUSD only. Buying 0.01 lots at the ask 2650.40 with SL 2648.50 risks
// 1.90 × 100 ticks × $1 × 0.01 = $1.90 of the $2.00 allowed.
const NOW = Date.UTC(2026, 10, 22, 8, 15, 0); // 2026-11-22T08:15:00Z = 10:15 broker time (+02:00)

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

function baseline(): OrderInput {
  return {
    order: { agentId: 'agent_1', side: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2648.5, tp: 2660 },
    limits: {
      enabled: true,
      pairs: ['XAUUSD'],
      pairsKey: 'risk.allowed_pairs',
      max_lots: 0.1,
      max_positions: 1,
      max_risk_per_trade: 0.01,
      max_daily_loss: 0.05,
      require_stop_loss: true,
    },
    account: { balance: 200, equity: 200, free_margin: 190, currency: 'USD', leverage: 500, server_time: '2026-11-22T10:15:00+02:00' },
    positions: [],
    quote: { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:14:58Z' },
    spec: { ...XAUUSD },
    closedToday: [],
    trading: { state: 'active' },
    now: NOW,
  };
}

type Tweak = (i: OrderInput) => void;
const withOrder =
  (patch: Partial<Record<keyof OrderRequest, unknown>>): Tweak =>
  (i) => {
    i.order = { ...i.order, ...patch } as OrderRequest;
  };

function position(over: Partial<OpenPosition> = {}): OpenPosition {
  return { symbol: 'XAUUSD', type: 'buy', lots: 0.01, open_price: 2640, sl: 2630, tp: null, profit: 0, swap: 0, commission: 0, ...over };
}

function run(tweak?: Tweak) {
  const input = baseline();
  tweak?.(input);
  return evaluateOrder(input);
}

const codes = (t?: Tweak): string[] => run(t).violations.map((v) => v.code);

describe('evaluateOrder baseline', () => {
  it('passes with zero violations and every check reported', () => {
    const d = run();
    expect(d.violations).toEqual([]);
    expect(d.allowed).toBe(true);
    expect(d.checks.map((c) => c.code)).toEqual([...ORDER_CHECK_CODES]);
    expect(d.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(d.figures).toMatchObject({
      lots: 0.01,
      requestedLots: 0.01,
      entryPrice: 2650.4,
      stopReferencePrice: 2650.12,
      riskMoney: 1.9,
      riskPercent: 0.95,
      riskLimitMoney: 2,
      marginNeeded: 5.3,
      freeMargin: 190,
      realizedToday: 0,
      floatingPnl: 0,
      dailyPnl: 0,
      dailyLossLimitMoney: 10,
      dayStartBalance: 200,
      brokerDayStart: '2026-11-22T00:00:00+02:00',
      quoteAgeMs: 2000,
      digits: 2,
      lotDecimals: 2,
    });
  });

  it('the code lists are consistent', () => {
    for (const c of ORDER_CHECK_CODES) expect(RISK_CODES).toContain(c);
    expect(new Set(RISK_CODES).size).toBe(RISK_CODES.length);
    expect(Object.keys(RISK_RULES).sort()).toEqual([...RISK_CODES].sort());
  });
});

// One row per violation code: a tweak of the baseline and the exact codes it must produce.
const rows: { name: string; tweak: Tweak; expected: OrderCheckCode[] }[] = [
  { name: 'halted', tweak: (i) => (i.trading = { state: 'halted', reason: 'panic' }), expected: ['TRADING_HALTED'] },
  { name: 'reducing', tweak: (i) => (i.trading = { state: 'reducing' }), expected: ['TRADING_REDUCING'] },
  {
    name: 'an earlier order in flight',
    tweak: (i) => (i.inFlight = [{ orderId: 'k3x9m2q7wd', sentAt: '2026-11-22T08:14:00Z', ageMs: 30_000, maxAgeMs: 120_000 }]),
    expected: ['ORDER_UNRESOLVED'],
  },
  { name: 'agent disabled', tweak: (i) => (i.limits.enabled = false), expected: ['AGENT_DISABLED'] },
  { name: 'symbol not in allowed_pairs', tweak: (i) => (i.limits.pairs = ['EURUSD', 'GBPUSD']), expected: ['SYMBOL_NOT_ALLOWED'] },
  { name: 'empty pairs allow nothing', tweak: (i) => (i.limits.pairs = []), expected: ['SYMBOL_NOT_ALLOWED'] },
  { name: 'no symbol spec', tweak: (i) => (i.spec = undefined), expected: ['SYMBOL_SPEC_UNKNOWN'] },
  { name: 'unusable symbol spec (tick_value 0)', tweak: (i) => (i.spec = { ...XAUUSD, tick_value: 0 }), expected: ['SYMBOL_SPEC_UNKNOWN'] },
  {
    name: 'quote 5 minutes old',
    tweak: (i) => (i.quote = { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:10:00Z' }),
    expected: ['QUOTE_STALE'],
  },
  { name: 'no quote', tweak: (i) => (i.quote = undefined), expected: ['QUOTE_STALE'] },
  {
    name: 'ask below bid',
    tweak: (i) => (i.quote = { bid: 2650.4, ask: 2650.12, timestamp: '2026-11-22T08:14:58Z' }),
    expected: ['QUOTE_STALE'],
  },
  { name: 'zero bid', tweak: (i) => (i.quote = { bid: 0, ask: 2650.4, timestamp: '2026-11-22T08:14:58Z' }), expected: ['QUOTE_STALE'] },
  {
    name: 'quote time without offset',
    tweak: (i) => (i.quote = { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:14:58' }),
    expected: ['QUOTE_STALE'],
  },
  {
    name: 'quote far in the future',
    tweak: (i) => (i.quote = { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:25:00Z' }),
    expected: ['QUOTE_STALE'],
  },
  { name: 'server_time without offset', tweak: (i) => (i.account.server_time = '2026-11-22T10:15:00'), expected: ['ACCOUNT_DATA_INVALID'] },
  { name: 'balance NaN', tweak: (i) => (i.account.balance = Number.NaN), expected: ['ACCOUNT_DATA_INVALID'] },
  {
    name: 'percent fraction 0',
    tweak: withOrder({ lots: undefined, sizing: { kind: 'percent', fraction: 0 } }),
    expected: ['SIZING_INVALID'],
  },
  {
    name: 'percent fraction 1.5',
    tweak: withOrder({ lots: undefined, sizing: { kind: 'percent', fraction: 1.5 } }),
    expected: ['SIZING_INVALID'],
  },
  {
    name: 'money amount negative',
    tweak: withOrder({ lots: undefined, sizing: { kind: 'money', amount: -5 } }),
    expected: ['SIZING_INVALID'],
  },
  { name: 'both lots and sizing', tweak: withOrder({ lots: 0.01, sizing: { kind: 'money', amount: 1 } }), expected: ['SIZING_INVALID'] },
  {
    name: '$0.50 buys less than 0.01 lots',
    tweak: withOrder({ lots: undefined, sizing: { kind: 'money', amount: 0.5 } }),
    expected: ['SIZE_BELOW_MIN_LOT'],
  },
  { name: 'lots 0', tweak: withOrder({ lots: 0 }), expected: ['LOTS_INVALID'] },
  { name: 'lots negative', tweak: withOrder({ lots: -0.01 }), expected: ['LOTS_INVALID'] },
  { name: 'lots NaN', tweak: withOrder({ lots: Number.NaN }), expected: ['LOTS_INVALID'] },
  { name: 'lots Infinity', tweak: withOrder({ lots: Number.POSITIVE_INFINITY }), expected: ['LOTS_INVALID'] },
  { name: 'lots 0.015', tweak: withOrder({ lots: 0.015, sl: 2649.4 }), expected: ['LOTS_NOT_STEP_MULTIPLE'] },
  { name: 'lots below min_lot', tweak: (i) => (i.spec = { ...XAUUSD, min_lot: 0.02 }), expected: ['LOTS_BELOW_MIN'] },
  {
    name: 'lots above the symbol max',
    tweak: (i) => {
      i.spec = { ...XAUUSD, max_lot: 0.01 };
      withOrder({ lots: 0.02, sl: 2649.9 })(i);
    },
    expected: ['LOTS_ABOVE_SYMBOL_MAX'],
  },
  {
    name: 'lots above risk.max_lots',
    tweak: (i) => {
      i.limits.max_lots = 0.01;
      withOrder({ lots: 0.02, sl: 2649.9 })(i);
    },
    expected: ['LOTS_ABOVE_AGENT_MAX'],
  },
  { name: 'max positions open', tweak: (i) => (i.positions = [position()]), expected: ['MAX_POSITIONS_REACHED'] },
  { name: 'no SL when required', tweak: withOrder({ sl: undefined }), expected: ['STOP_LOSS_REQUIRED'] },
  { name: 'SL 0 means none', tweak: withOrder({ sl: 0 }), expected: ['STOP_LOSS_REQUIRED'] },
  { name: 'SL null means none', tweak: withOrder({ sl: null }), expected: ['STOP_LOSS_REQUIRED'] },
  {
    name: 'no SL when sizing by risk, even if not required',
    tweak: (i) => {
      i.limits.require_stop_loss = false;
      withOrder({ lots: undefined, sizing: { kind: 'percent', fraction: 0.01 }, sl: undefined })(i);
    },
    expected: ['STOP_LOSS_REQUIRED'],
  },
  { name: 'buy SL between bid and ask', tweak: withOrder({ sl: 2650.2 }), expected: ['SL_WRONG_SIDE'] },
  { name: 'SL not a price', tweak: withOrder({ sl: -5 }), expected: ['SL_WRONG_SIDE'] },
  { name: 'sell SL below the ask', tweak: withOrder({ side: 'sell', sl: 2650.3, tp: 2640 }), expected: ['SL_WRONG_SIDE'] },
  { name: 'buy TP below the bid', tweak: withOrder({ tp: 2650 }), expected: ['TP_WRONG_SIDE'] },
  { name: 'sell TP above the ask', tweak: withOrder({ side: 'sell', sl: 2652, tp: 2651 }), expected: ['TP_WRONG_SIDE'] },
  {
    name: 'SL within the stop level',
    tweak: (i) => {
      i.spec = { ...XAUUSD, stop_level: 100 }; // 1.00 in price
      withOrder({ sl: 2649.5 })(i); // 62 points below the bid
    },
    expected: ['SL_TOO_CLOSE'],
  },
  {
    name: 'TP within the stop level',
    tweak: (i) => {
      i.spec = { ...XAUUSD, stop_level: 100 };
      withOrder({ tp: 2650.5 })(i); // 38 points above the bid
    },
    expected: ['TP_TOO_CLOSE'],
  },
  { name: 'risk 5.70 over 2.00', tweak: withOrder({ lots: 0.03 }), expected: ['RISK_PER_TRADE_EXCEEDED'] },
  {
    name: 'daily loss reached by realized trades',
    tweak: (i) => (i.closedToday = [{ close_time: '2026-11-22T09:00:00+02:00', profit: -10.5, swap: -0.3, commission: -0.2 }]),
    expected: ['DAILY_LOSS_LIMIT_REACHED'],
  },
  {
    name: 'daily loss reached with floating loss',
    tweak: (i) => {
      i.limits.max_positions = 3;
      i.closedToday = [{ close_time: '2026-11-22T09:00:00+02:00', profit: -6, swap: 0, commission: 0 }];
      i.positions = [position({ profit: -4.5, swap: -0.1 })];
    },
    expected: ['DAILY_LOSS_LIMIT_REACHED'],
  },
  { name: 'margin above free margin', tweak: (i) => (i.account.free_margin = 5), expected: ['INSUFFICIENT_MARGIN'] },
];

describe('one row per violation code', () => {
  it.each(rows)('$name → $expected', ({ tweak, expected }) => {
    const d = run(tweak);
    expect(d.violations.map((v) => v.code)).toEqual(expected);
    expect(d.allowed).toBe(false);
    for (const code of expected) expect(d.checks.find((c) => c.code === code)?.status).toBe('fail');
    expect(d.checks.map((c) => c.code)).toEqual([...ORDER_CHECK_CODES]);
  });

  it('covers every order code', () => {
    const covered = new Set(rows.flatMap((r) => r.expected));
    expect([...ORDER_CHECK_CODES].filter((c) => !covered.has(c))).toEqual([]);
  });

  it('every violation carries a message and the failed check the same message', () => {
    for (const { tweak } of rows) {
      const d = run(tweak);
      for (const v of d.violations) {
        expect(v.message.length).toBeGreaterThan(10);
        expect(d.checks.find((c) => c.code === v.code)?.message).toBe(v.message);
      }
    }
  });
});

describe('every violation is listed', () => {
  it('an order breaking 4 rules yields 4 codes', () => {
    const d = run((i) => {
      i.trading = { state: 'halted', reason: 'panic' };
      i.limits.enabled = false;
      i.positions = [position()];
      withOrder({ lots: 0.05 })(i); // risk 9.50 > 2.00
    });
    expect(d.violations.map((v) => v.code)).toEqual([
      'TRADING_HALTED',
      'AGENT_DISABLED',
      'MAX_POSITIONS_REACHED',
      'RISK_PER_TRADE_EXCEEDED',
    ]);
    expect(d.allowed).toBe(false);
  });

  it('halted and disabled and off-list and stale and no SL: all five', () => {
    expect(
      codes((i) => {
        i.trading = { state: 'halted' };
        i.limits.enabled = false;
        i.limits.pairs = ['EURUSD'];
        i.quote = { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T07:00:00Z' };
        withOrder({ sl: undefined })(i);
      }),
    ).toEqual(['TRADING_HALTED', 'AGENT_DISABLED', 'SYMBOL_NOT_ALLOWED', 'QUOTE_STALE', 'STOP_LOSS_REQUIRED']);
  });
});

describe('skipped checks say why', () => {
  it('no SL and none required: allowed, risk skipped as unknown', () => {
    const d = run((i) => {
      i.limits.require_stop_loss = false;
      withOrder({ sl: undefined })(i);
    });
    expect(d.allowed).toBe(true);
    const risk = d.checks.find((c) => c.code === 'RISK_PER_TRADE_EXCEEDED');
    expect(risk?.status).toBe('skipped');
    expect(risk?.message).toMatch(/no stop loss/);
    expect(d.figures.riskMoney).toBeNull();
    expect(d.figures.riskPercent).toBeNull();
  });

  it('no spec: lots, risk and margin checks are skipped, not passed', () => {
    const d = run((i) => (i.spec = undefined));
    for (const code of ['LOTS_NOT_STEP_MULTIPLE', 'RISK_PER_TRADE_EXCEEDED', 'INSUFFICIENT_MARGIN', 'SL_TOO_CLOSE'] as const) {
      const c = d.checks.find((x) => x.code === code);
      expect(c?.status, code).toBe('skipped');
      expect(c?.message, code).toMatch(/spec/);
    }
  });

  it('a stale quote with valid prices still gives the figures', () => {
    const d = run((i) => (i.quote = { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:00:00Z' }));
    expect(d.allowed).toBe(false);
    expect(d.figures.riskMoney).toBe(1.9);
    expect(d.figures.quoteAgeMs).toBe(15 * 60_000);
  });

  it('maxQuoteAgeMs is an option', () => {
    expect(codes((i) => (i.options = { maxQuoteAgeMs: 1000 }))).toEqual(['QUOTE_STALE']);
    expect(codes((i) => (i.quote = { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:10:00Z' }))).toEqual(['QUOTE_STALE']);
    expect(
      codes((i) => {
        i.quote = { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:10:00Z' };
        i.options = { maxQuoteAgeMs: 600_000 };
      }),
    ).toEqual([]);
  });
});

describe('details of single rules', () => {
  it('a symbol matches case-insensitively; pairs fall back to strategy.pairs', () => {
    expect(codes(withOrder({ symbol: 'xauusd' }))).toEqual([]);
    const limits = limitsFromAgent({
      enabled: true,
      strategy: { pairs: ['EURUSD'] },
      risk: { max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, require_stop_loss: true },
    });
    expect(limits.pairs).toEqual(['EURUSD']);
    expect(limits.pairsKey).toBe('strategy.pairs');
    expect(limits.max_lots).toBeUndefined();
    const allowed = limitsFromAgent({
      enabled: true,
      strategy: { pairs: ['EURUSD'] },
      risk: {
        max_risk_per_trade: 0.01,
        max_daily_loss: 0.05,
        max_positions: 1,
        require_stop_loss: true,
        allowed_pairs: ['XAUUSD'],
        max_lots: 0.2,
      },
    });
    expect(allowed.pairs).toEqual(['XAUUSD']);
    expect(allowed.max_lots).toBe(0.2);
  });

  it('risk exactly at the limit passes; a cent over fails', () => {
    // SL 2648.40: 2.00 away from the ask → exactly $2.00 at 0.01 lots.
    expect(codes(withOrder({ sl: 2648.4 }))).toEqual([]);
    expect(codes(withOrder({ sl: 2648.39 }))).toEqual(['RISK_PER_TRADE_EXCEEDED']);
  });

  it('the SL is checked against the bid for a buy and the ask for a sell', () => {
    // Buy: SL 2650.11 is just below the bid 2650.12 → right side.
    expect(codes(withOrder({ sl: 2650.11 }))).toEqual([]);
    expect(codes(withOrder({ sl: 2650.12 }))).toEqual(['SL_WRONG_SIDE']);
    // Sell: entry is the bid; SL must be above the ask 2650.40.
    expect(codes(withOrder({ side: 'sell', sl: 2650.41, tp: 2640 }))).toEqual([]);
    expect(codes(withOrder({ side: 'sell', sl: 2650.4, tp: 2640 }))).toEqual(['SL_WRONG_SIDE']);
  });

  it('a stop exactly at the stop level passes', () => {
    const at = (sl: number) =>
      codes((i) => {
        i.spec = { ...XAUUSD, stop_level: 50 };
        withOrder({ sl })(i);
      });
    expect(at(2649.62)).toEqual([]); // bid 2650.12 − 50 points
    expect(at(2649.63)).toEqual(['SL_TOO_CLOSE']);
  });

  it('the daily loss just under the limit passes, at the limit fails', () => {
    const loss = (profit: number) =>
      codes((i) => {
        i.limits.max_positions = 2;
        i.positions = [position({ profit })];
      });
    expect(loss(-9.99)).toEqual([]); // limit 5 % of 200 = 10.00 (nothing realized)
    expect(loss(-10)).toEqual(['DAILY_LOSS_LIMIT_REACHED']);
  });

  it('margin equal to the free margin passes', () => {
    expect(codes((i) => (i.account.free_margin = 5.3))).toEqual([]);
  });

  it('an unknown trading state counts as halted', () => {
    expect(codes((i) => (i.trading = { state: 'paused' as never }))).toEqual(['TRADING_HALTED']);
  });

  it('violation lines are rendered with the symbol digits and lot decimals', () => {
    const d = run((i) => {
      i.limits.max_lots = 0.01;
      i.account.free_margin = 5;
      withOrder({ lots: 0.05, sl: 2651 })(i);
    });
    expect(formatViolations(d)).toEqual([
      'LOTS_ABOVE_AGENT_MAX: lots=0.05 max_lots=0.01',
      'SL_WRONG_SIDE: sl=2651.00 bid=2650.12',
      'RISK_PER_TRADE_EXCEEDED: risk=3.00 limit=2.00 balance=200.00',
      'INSUFFICIENT_MARGIN: margin=26.50 free_margin=5.00',
    ]);
  });
});

describe('USDJPY on a USD account: tick_value already converts', () => {
  // At 150.000 one tick (0.001 JPY) of one lot (100 000 USD) is 100 JPY = 0.66667 USD.
  const USDJPY: SymbolSpecInput = {
    digits: 3,
    point: 0.001,
    tick_size: 0.001,
    tick_value: 100 / 150,
    min_lot: 0.01,
    lot_step: 0.01,
    max_lot: 100,
    stop_level: 0,
    margin_required: 200,
  };
  const jpy = (tweak: Tweak): OrderInput => {
    const i = baseline();
    i.limits = { ...i.limits, pairs: ['USDJPY'], max_risk_per_trade: 0.02, max_lots: 5 };
    i.account = { ...i.account, balance: 1000, free_margin: 1000 };
    i.quote = { bid: 149.99, ask: 150, timestamp: '2026-11-22T08:14:59Z' };
    i.spec = USDJPY;
    i.order = { agentId: 'agent_3', side: 'buy', symbol: 'USDJPY', lots: 0.05, sl: 149.5, tp: 151 };
    tweak(i);
    return i;
  };

  it('risk is in USD: 0.5 JPY × 0.05 lots = 16.67 USD, within 2 % of 1000', () => {
    const d = evaluateOrder(jpy(() => {}));
    expect(d.allowed).toBe(true);
    expect(d.figures.riskMoney).toBeCloseTo(16.6667, 3); // not 2 500 (JPY)
  });

  it('0.10 lots risks 33.33 USD: denied', () => {
    const d = evaluateOrder(jpy((i) => (i.order = { ...i.order, lots: 0.1 } as OrderRequest)));
    expect(formatViolations(d)).toEqual(['RISK_PER_TRADE_EXCEEDED: risk=33.33 limit=20.00 balance=1000.00']);
  });

  it('sizing 2 % buys 0.06 lots (20 / 333.33 = 0.06)', () => {
    const d = evaluateOrder(
      jpy((i) => (i.order = { agentId: 'agent_3', side: 'buy', symbol: 'USDJPY', sizing: { kind: 'percent', fraction: 0.02 }, sl: 149.5 })),
    );
    expect(d.allowed).toBe(true);
    expect(d.figures.lots).toBe(0.06);
    expect(d.figures.riskMoney).toBeLessThanOrEqual(20);
  });

  it('the brief’s micro-contract tick value (0.0066667) scales the risk, nothing else', () => {
    const d = evaluateOrder(jpy((i) => (i.spec = { ...USDJPY, tick_value: 0.0066667 })));
    expect(d.figures.riskMoney).toBeCloseTo(0.1666675, 6); // 500 ticks × 0.0066667 × 0.05
  });
});

describe('daily loss across the broker midnight (+02:00, not UTC)', () => {
  // The broker day of 2026-11-22 starts at 2026-11-22T00:00+02:00 = 2026-11-21T22:00Z.
  const yesterdayWin = { close_time: '2026-11-21T23:30:00+02:00', profit: 100, swap: 0, commission: 0 }; // 21:30Z
  const todayLoss = { close_time: '2026-11-22T00:10:00+02:00', profit: -11, swap: 0, commission: 0 }; // 22:10Z on the 21st

  const at = (serverTime: string, closed = [yesterdayWin, todayLoss]) =>
    run((i) => {
      i.account.server_time = serverTime;
      i.now = Date.parse(serverTime);
      i.quote = { bid: 2650.12, ask: 2650.4, timestamp: serverTime };
      i.closedToday = closed;
    });

  it('at 01:00 broker time (still the 21st in UTC) the 23:30 win of yesterday does not count', () => {
    const d = at('2026-11-22T01:00:00+02:00');
    expect(d.figures.brokerDayStart).toBe('2026-11-22T00:00:00+02:00');
    expect(d.figures.realizedToday).toBe(-11);
    expect(d.figures.dayStartBalance).toBe(211);
    expect(d.figures.dailyLossLimitMoney).toBe(10.55);
    // A UTC day would have counted the +100 and let the order through.
    expect(d.violations.map((v) => v.code)).toEqual(['DAILY_LOSS_LIMIT_REACHED']);
  });

  it('at 03:00 broker time (the 22nd in UTC too) the 00:10 loss still counts', () => {
    const d = at('2026-11-22T03:00:00+02:00', [todayLoss]);
    expect(d.figures.realizedToday).toBe(-11);
    // A UTC day (from 02:00 broker time) would have missed the loss.
    expect(d.violations.map((v) => v.code)).toEqual(['DAILY_LOSS_LIMIT_REACHED']);
  });

  it('the next broker day starts fresh', () => {
    const d = at('2026-11-23T00:05:00+02:00', [todayLoss]);
    expect(d.figures.brokerDayStart).toBe('2026-11-23T00:00:00+02:00');
    expect(d.figures.realizedToday).toBe(0);
    expect(d.allowed).toBe(true);
  });

  it('a trade closed exactly at the broker midnight belongs to the new day', () => {
    const d = at('2026-11-22T01:00:00+02:00', [{ close_time: '2026-11-21T22:00:00Z', profit: -11, swap: 0, commission: 0 }]);
    expect(d.figures.realizedToday).toBe(-11);
  });

  it('the message names the broker day and both parts of the loss', () => {
    const d = at('2026-11-22T01:00:00+02:00');
    expect(formatViolations(d)).toEqual([
      'DAILY_LOSS_LIMIT_REACHED: loss=11.00 limit=10.55 day_start_balance=211.00 realized=-11.00 floating=0.00 day_start=2026-11-22T00:00:00+02:00',
    ]);
    expect(d.violations[0]?.message).toMatch(/since 2026-11-22T00:00:00\+02:00/);
  });
});

describe('sizing through evaluateOrder (the architecture document’s example)', () => {
  it('Atlas: $200 × 1 % = $2 on XAUUSD with a 2.00 stop → 0.01 lots', () => {
    const d = run(withOrder({ lots: undefined, sizing: { kind: 'percent', fraction: 0.01 }, sl: 2648.4 }));
    expect(d.allowed).toBe(true);
    expect(d.figures.sizingRiskMoney).toBe(2);
    expect(d.figures.lots).toBe(0.01);
    expect(d.figures.riskMoney).toBeCloseTo(2, 9);
    expect(d.checks.find((c) => c.code === 'SIZE_BELOW_MIN_LOT')?.status).toBe('pass');
  });

  it('Nova: $1000 × 2 % = $20 with a 4.00 stop → 0.05 lots', () => {
    const d = run((i) => {
      i.account.balance = 1000;
      i.account.free_margin = 1000;
      i.limits.max_risk_per_trade = 0.02;
      withOrder({ lots: undefined, sizing: { kind: 'percent', fraction: 0.02 }, sl: 2646.4 })(i);
    });
    expect(d.allowed).toBe(true);
    expect(d.figures.lots).toBe(0.05);
  });

  it('rounds down, never up: $2 with a 1.50 stop is 0.0133 → 0.01 lots, risk $1.50', () => {
    const d = run(withOrder({ lots: undefined, sizing: { kind: 'money', amount: 2 }, sl: 2648.9 }));
    expect(d.figures.requestedLots).toBeCloseTo(0.013333, 5);
    expect(d.figures.lots).toBe(0.01);
    expect(d.figures.riskMoney).toBeCloseTo(1.5, 9);
  });

  it('capped at risk.max_lots', () => {
    const d = run((i) => {
      i.limits.max_lots = 0.02;
      i.limits.max_risk_per_trade = 1;
      withOrder({ lots: undefined, sizing: { kind: 'money', amount: 100 }, sl: 2648.4 })(i);
    });
    expect(d.figures.lots).toBe(0.02);
    expect(d.allowed).toBe(true);
    expect(d.checks.find((c) => c.code === 'SIZE_BELOW_MIN_LOT')?.message).toMatch(/capped by risk.max_lots/);
  });

  it('money sizing above the per-trade limit is denied by RISK_PER_TRADE_EXCEEDED after rounding', () => {
    const d = run(withOrder({ lots: undefined, sizing: { kind: 'money', amount: 5 }, sl: 2648.4 }));
    expect(d.figures.lots).toBe(0.02);
    expect(formatViolations(d)).toEqual(['RISK_PER_TRADE_EXCEEDED: risk=4.00 limit=2.00 balance=200.00']);
  });

  it('below the minimum lot: denied with the money the minimum would need', () => {
    const d = run(withOrder({ lots: undefined, sizing: { kind: 'money', amount: 0.5 } }));
    expect(d.figures.lots).toBeNull();
    expect(d.figures.requestedLots).toBeCloseTo(0.5 / 190, 9);
    expect(formatViolations(d)).toEqual(['SIZE_BELOW_MIN_LOT: computed_lots=0.0026 min_lot=0.01 min_lot_risk=1.90 risk_money=0.50']);
    expect(d.checks.find((c) => c.code === 'LOTS_INVALID')?.status).toBe('skipped');
  });
});
