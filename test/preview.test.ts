// The order preview a trader reads in two seconds (output/order.ts): the order, the risk at the
// stop against its limit — never printed equal when it exceeds it — margin and today, a line for
// sizing and caps, then only the failed checks (all of them with --checks).
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { confirmQuestion, renderPreview } from '../src/output/order.js';
import { evaluateOrder, formatViolations, type OrderInput } from '../src/risk/index.js';

const c = new Chalk({ level: 0 });
const XAUUSD = {
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
function input(over: Partial<OrderInput> = {}, order: Partial<OrderInput['order']> = {}): OrderInput {
  return {
    order: { agentId: 'agent_1', side: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: 2648.5, ...order } as OrderInput['order'],
    limits: {
      enabled: true,
      pairs: ['XAUUSD'],
      max_lots: 0.05,
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
    now: Date.UTC(2026, 10, 22, 8, 15, 0),
    ...over,
  };
}

describe('the preview', () => {
  it('an allowed order: three lines, no check listed', () => {
    const text = renderPreview(evaluateOrder(input()), 'agent_1 (Atlas)', c);
    expect(text.trimEnd().split('\n')).toEqual([
      'agent_1 (Atlas): BUY 0.01 XAUUSD at ~2650.40  SL 2648.50  TP -',
      '  risk at SL 1.90 USD (0.95%), limit 2.00 USD (1.00%)',
      '  margin 5.30 USD of 190.00 free · today 0.00 of -10.00 allowed',
    ]);
  });

  it('a loss just over its limit never prints equal to it: 2.003 against 1.997', () => {
    const d = evaluateOrder(
      input(
        { account: { balance: 199.7, equity: 199.7, free_margin: 190, currency: 'USD', server_time: '2026-11-22T10:15:00+02:00' } },
        { sl: 2648.397 },
      ),
    );
    expect(d.allowed).toBe(false);
    expect(renderPreview(d, 'a', c)).toContain('risk at SL 2.003 USD (1.00%), limit 1.997 USD (1.00%)');
    expect(formatViolations(d)).toEqual(['RISK_PER_TRADE_EXCEEDED: risk=2.003 limit=1.997 balance=199.70']);
    expect(d.violations[0]!.message).toMatch(/^the loss at the stop loss, 2\.003 USD \(1\.00% of the balance\), exceeds 1\.997 USD/);
  });

  it('one percentage everywhere: the header and the check agree', () => {
    const d = evaluateOrder(input({}, { lots: 0.05, sl: 2648.62 }));
    const head = /risk at SL [\d.]+ USD \(([\d.]+)%\)/.exec(renderPreview(d, 'a', c))![1];
    expect(d.violations.find((v) => v.code === 'RISK_PER_TRADE_EXCEEDED')!.message).toContain(`(${head}% of the balance)`);
  });

  it('a denial lists only the failed checks; --checks lists every one', () => {
    const d = evaluateOrder(input({ trading: { state: 'halted', reason: 'panic' } }, { lots: 0.05 }));
    const short = renderPreview(d, 'a', c).trimEnd().split('\n');
    expect(short.slice(3)).toEqual([
      expect.stringMatching(/^ {2}FAIL TRADING_HALTED/),
      expect.stringMatching(/^ {2}FAIL RISK_PER_TRADE_EXCEEDED/),
    ]);
    const full = renderPreview(d, 'a', c, { checks: true });
    expect(full).toContain('  checks:');
    expect(full.match(/^ {4}(ok |FAIL|skip)/gm)).toHaveLength(d.checks.length);
  });

  it('a stop given but no size: not "unbounded"', () => {
    const d = evaluateOrder(input({}, { lots: undefined, sizing: { kind: 'money', amount: 0.1 } }));
    expect(d.violations.map((v) => v.code)).toContain('SIZE_BELOW_MIN_LOT');
    const text = renderPreview(d, 'a', c);
    expect(text).not.toMatch(/unbounded/);
    expect(text).toContain('risk at SL: not computed (no lots to send)');
    expect(text).toMatch(/sized: risking 0\.10 USD .* lots → none \(below the minimum lot\)/);
  });

  it('a cap is said in one line: --risk 50% capped by risk.max_lots', () => {
    const d = evaluateOrder(input({}, { lots: undefined, sizing: { kind: 'percent', fraction: 0.5 } }));
    expect(renderPreview(d, 'a', c)).toMatch(
      /sized: risking 50\.00% of the balance \(100\.00 USD\) buys 0\.5263 lots → 0\.05, capped by risk\.max_lots/,
    );
  });

  it('the confirmation repeats side, lots, symbol, stop loss and risk', () => {
    expect(confirmQuestion(evaluateOrder(input()), 'agent_1')).toBe(
      'Send BUY 0.01 XAUUSD on agent_1, SL 2648.50, risking 1.90 USD (0.95%)?',
    );
  });
});
