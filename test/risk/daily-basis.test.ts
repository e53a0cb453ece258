// dailyLossBasis 'equity': a bridge without trade history (the DWX transport). Today's loss is
// estimated from equity against balance, and the decision says what it cannot count.
import { describe, expect, it } from 'vitest';
import { evaluateOrder, type OrderInput } from '../../src/risk/index.js';

const NOW = Date.UTC(2026, 10, 22, 8, 15, 0);

function input(patch: Partial<OrderInput> = {}): OrderInput {
  return {
    order: { agentId: 'agent_1', side: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2648.5 },
    limits: {
      enabled: true,
      pairs: ['XAUUSD'],
      max_lots: 0.1,
      max_positions: 5,
      max_risk_per_trade: 0.01,
      max_daily_loss: 0.05,
      require_stop_loss: false,
    },
    account: { balance: 200, equity: 200, free_margin: 190, currency: 'USD', leverage: 500, server_time: '2026-11-22T10:15:00+02:00' },
    positions: [],
    quote: { bid: 2650.12, ask: 2650.4, timestamp: '2026-11-22T08:14:58Z' },
    spec: {
      digits: 2,
      point: 0.01,
      tick_size: 0.01,
      tick_value: 1,
      min_lot: 0.01,
      lot_step: 0.01,
      max_lot: 50,
      stop_level: 0,
      margin_required: 530,
    },
    closedToday: [],
    trading: { state: 'active' },
    now: NOW,
    ...patch,
  };
}

const daily = (i: OrderInput) => evaluateOrder(i).checks.find((c) => c.code === 'DAILY_LOSS_LIMIT_REACHED')!;

describe("daily loss without trade history ('equity' basis)", () => {
  it('passes on the floating P/L, saying it is an estimate and what it does not count', () => {
    const d = evaluateOrder(input({ dailyLossBasis: 'equity', account: { ...input().account, equity: 195 } }));
    const c = d.checks.find((x) => x.code === 'DAILY_LOSS_LIMIT_REACHED')!;
    expect(c.status).toBe('pass');
    expect(c.message).toMatch(
      /^estimated from equity vs balance: floating -5\.00 USD; limit −10\.00 USD \(5% of the balance 200\.00 USD\); losses realized earlier today are not counted/,
    );
    expect(d.figures).toMatchObject({ realizedToday: null, floatingPnl: -5, dailyPnl: -5, dailyLossLimitMoney: 10, dayStartBalance: null });
  });

  it('denies when equity − balance reaches the limit, with the basis in the detail', () => {
    const d = evaluateOrder(input({ dailyLossBasis: 'equity', account: { ...input().account, equity: 189.99 } }));
    expect(d.allowed).toBe(false);
    const v = d.violations.find((x) => x.code === 'DAILY_LOSS_LIMIT_REACHED')!;
    expect(v.message).toMatch(/floating loss 10\.01 USD \(equity − balance, an estimate of today's loss\) has reached 10\.00 USD/);
    expect(v.detail).toMatchObject({ basis: 'equity', floating: expect.closeTo(-10.01, 6) });
  });

  it('ignores closedToday (it means nothing without history) and uses the positions when equity is not given', () => {
    const losing = {
      symbol: 'XAUUSD',
      type: 'buy' as const,
      lots: 0.1,
      open_price: 2652,
      sl: null,
      tp: null,
      profit: -18,
      swap: -1,
      commission: -2,
    };
    const account = { balance: 200, free_margin: 150, currency: 'USD', server_time: '2026-11-22T10:15:00+02:00' };
    const c = daily(
      input({
        dailyLossBasis: 'equity',
        account,
        positions: [losing],
        closedToday: [{ close_time: '2026-11-22T07:00:00Z', profit: 50, swap: 0, commission: 0 }],
      }),
    );
    expect(c.status).toBe('fail'); // −21 on the positions; the +50 "closed today" is not counted
  });

  it("the default ('history') is unchanged: realized since the broker's midnight counts", () => {
    const closed = [{ close_time: '2026-11-22T07:00:00Z', profit: -11, swap: 0, commission: 0 }];
    expect(daily(input({ closedToday: closed })).status).toBe('fail');
    expect(daily(input({ closedToday: closed, dailyLossBasis: 'history' })).status).toBe('fail');
    expect(daily(input({ closedToday: closed, dailyLossBasis: 'equity' })).status).toBe('pass');
  });
});
