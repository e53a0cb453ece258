import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  formatCheck,
  formatDetailValue,
  formatLots,
  formatMoney,
  formatPrice,
  formatViolation,
  type Violation,
} from '../../src/risk/index.js';

const v = (code: Violation['code'], detail: Violation['detail']): Violation => ({ code, message: 'm', detail });

describe('formatViolation', () => {
  it('CODE: key=value, money to 2 dp', () => {
    expect(formatViolation(v('RISK_PER_TRADE_EXCEEDED', { risk: 4.2, limit: 2, balance: 200 }))).toBe(
      'RISK_PER_TRADE_EXCEEDED: risk=4.20 limit=2.00 balance=200.00',
    );
  });

  it('lots to the step decimals, prices to the symbol digits', () => {
    expect(formatViolation(v('LOTS_ABOVE_AGENT_MAX', { lots: 1.5, max_lots: 1 }), { lotDecimals: 1 })).toBe(
      'LOTS_ABOVE_AGENT_MAX: lots=1.5 max_lots=1.0',
    );
    expect(formatViolation(v('SL_WRONG_SIDE', { sl: 149.5, bid: 149.99 }), { digits: 3 })).toBe('SL_WRONG_SIDE: sl=149.500 bid=149.990');
    expect(formatViolation(v('SL_WRONG_SIDE', { sl: 1.1, ask: 1.08512 }), { digits: 5 })).toBe('SL_WRONG_SIDE: sl=1.10000 ask=1.08512');
  });

  it('a lot size the step cannot show is printed in full, not rounded', () => {
    expect(formatViolation(v('LOTS_NOT_STEP_MULTIPLE', { lots: 0.015, step: 0.01 }), { lotDecimals: 2 })).toBe(
      'LOTS_NOT_STEP_MULTIPLE: lots=0.015 step=0.01',
    );
  });

  it('strings with spaces are quoted; no detail prints just the code', () => {
    expect(formatViolation(v('TRADING_HALTED', { state: 'halted', reason: 'panic at 10:15' }))).toBe(
      'TRADING_HALTED: state=halted reason="panic at 10:15"',
    );
    expect(formatViolation(v('NO_CHANGE', {}))).toBe('NO_CHANGE');
  });

  it('negative zero money is 0.00; negative money keeps its sign', () => {
    expect(formatMoney(-0.001)).toBe('0.00');
    expect(formatDetailValue('floating', -4.5)).toBe('-4.50');
  });

  it('unknown digits print the number as it is', () => {
    expect(formatPrice(2650.1, null)).toBe('2650.1');
    expect(formatLots(0.1)).toBe('0.10');
  });

  it('formatCheck', () => {
    expect(formatCheck({ code: 'QUOTE_STALE', status: 'fail', message: 'old' })).toBe('FAIL QUOTE_STALE              old');
  });
});

describe('purity of src/risk', () => {
  const dir = new URL('../../src/risk/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

  it('imports only from src/risk, with .js extensions', () => {
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      for (const m of src.matchAll(/\bfrom\s+'([^']+)'/g)) expect(m[1], `${f}: ${m[1]}`).toMatch(/^\.\/[\w-]+\.js$/);
      expect(src, f).not.toMatch(/\bimport\s*\(/);
    }
  });

  it('reads no clock, randomness or environment', () => {
    for (const f of files) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      expect(src, f).not.toMatch(/Date\.now|Math\.random|new Date\(\)|process\.|performance\./);
    }
  });
});
