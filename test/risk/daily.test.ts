import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brokerDayStart, dailyPnl, parseIsoTime } from '../../src/risk/index.js';

describe('parseIsoTime', () => {
  it('reads Z and offsets, with or without seconds and fractions', () => {
    expect(parseIsoTime('2026-11-22T08:15:00Z')).toEqual({ epochMs: Date.UTC(2026, 10, 22, 8, 15), offsetMinutes: 0 });
    expect(parseIsoTime('2026-11-22T10:15:00+02:00')).toEqual({ epochMs: Date.UTC(2026, 10, 22, 8, 15), offsetMinutes: 120 });
    expect(parseIsoTime('2026-11-22T10:15+0200')?.epochMs).toBe(Date.UTC(2026, 10, 22, 8, 15));
    expect(parseIsoTime('2026-11-22T03:15:00.250-05:00')).toEqual({ epochMs: Date.UTC(2026, 10, 22, 8, 15, 0, 250), offsetMinutes: -300 });
    expect(parseIsoTime('2026-11-22T13:45:00+05:30')?.epochMs).toBe(Date.UTC(2026, 10, 22, 8, 15));
  });

  it('rejects a time without an offset (its meaning would depend on the local zone) and impossible dates', () => {
    expect(parseIsoTime('2026-11-22T10:15:00')).toBeNull();
    expect(parseIsoTime('2026-11-31T10:15:00Z')).toBeNull();
    expect(parseIsoTime('2026-13-01T10:15:00Z')).toBeNull();
    expect(parseIsoTime('2026-11-22T24:00:00Z')).toBeNull();
    expect(parseIsoTime('yesterday')).toBeNull();
  });

  it('agrees with Date.parse on zoned strings', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (date, offset) => {
          const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23);
          const sign = offset < 0 ? '-' : '+';
          const abs = Math.abs(offset);
          const iso = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseIsoTime(iso)?.epochMs).toBe(Date.parse(iso));
          expect(parseIsoTime(iso)?.epochMs).toBe(date.getTime());
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('brokerDayStart', () => {
  it('is 00:00 in the server_time’s own offset, not UTC midnight', () => {
    expect(brokerDayStart('2026-11-22T10:15:00+02:00')).toEqual({
      epochMs: Date.UTC(2026, 10, 21, 22, 0),
      iso: '2026-11-22T00:00:00+02:00',
      offsetMinutes: 120,
    });
    // 01:00 broker time is still the 21st in UTC; the broker day is already the 22nd.
    expect(brokerDayStart('2026-11-22T01:00:00+02:00')?.iso).toBe('2026-11-22T00:00:00+02:00');
    expect(brokerDayStart('2026-11-22T00:00:00+02:00')?.epochMs).toBe(Date.UTC(2026, 10, 21, 22, 0));
    expect(brokerDayStart('2026-11-21T23:59:59+02:00')?.iso).toBe('2026-11-21T00:00:00+02:00');
  });

  it('handles Z and negative offsets', () => {
    expect(brokerDayStart('2026-11-22T08:15:00Z')?.iso).toBe('2026-11-22T00:00:00+00:00');
    expect(brokerDayStart('2026-11-22T02:00:00-05:00')).toEqual({
      epochMs: Date.UTC(2026, 10, 22, 5, 0),
      iso: '2026-11-22T00:00:00-05:00',
      offsetMinutes: -300,
    });
  });

  it('is null for an unusable server_time', () => {
    expect(brokerDayStart('2026-11-22T10:15:00')).toBeNull();
    expect(brokerDayStart('')).toBeNull();
  });

  it('property: the day start is ≤ the time, less than a day before, and a broker midnight', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }), fc.integer({ min: -12, max: 14 }), (ms, hours) => {
        const sign = hours < 0 ? '-' : '+';
        const iso = `${new Date(ms + hours * 3_600_000).toISOString().slice(0, 19)}${sign}${String(Math.abs(hours)).padStart(2, '0')}:00`;
        const day = brokerDayStart(iso);
        expect(day).not.toBeNull();
        const t = Math.floor(ms / 1000) * 1000;
        expect(day!.epochMs).toBeLessThanOrEqual(t);
        expect(t - day!.epochMs).toBeLessThan(86_400_000);
        expect(new Date(day!.epochMs + hours * 3_600_000).toISOString().slice(11, 19)).toBe('00:00:00');
      }),
      { numRuns: 500 },
    );
  });
});

describe('dailyPnl', () => {
  const base = { balance: 200, serverTime: '2026-11-22T01:00:00+02:00', positions: [], maxDailyLoss: 0.05 };
  const trade = (close_time: string, profit: number, swap = 0, commission = 0) => ({ close_time, profit, swap, commission });

  it('counts a loss at 00:10 broker time, not one at 23:30 broker time yesterday', () => {
    const d = dailyPnl({ ...base, closedTrades: [trade('2026-11-21T23:30:00+02:00', -50), trade('2026-11-22T00:10:00+02:00', -3)] });
    expect(d?.realizedToday).toBe(-3);
    expect(d?.counted).toBe(1);
  });

  it('the same instants written in UTC are classified the same way', () => {
    const d = dailyPnl({ ...base, closedTrades: [trade('2026-11-21T21:30:00Z', -50), trade('2026-11-21T22:10:00Z', -3)] });
    expect(d?.realizedToday).toBe(-3);
  });

  it('realized is profit + swap + commission; floating likewise; day-start balance is balance − realized', () => {
    const d = dailyPnl({
      ...base,
      balance: 190,
      closedTrades: [trade('2026-11-22T00:30:00+02:00', -9, -0.5, -0.5)],
      positions: [{ profit: -2, swap: -0.25, commission: -0.25 }],
    })!;
    expect(d.realizedToday).toBe(-10);
    expect(d.floating).toBe(-2.5);
    expect(d.dailyPnl).toBe(-12.5);
    expect(d.dayStartBalance).toBe(200);
    expect(d.limitMoney).toBe(10);
    expect(d.loss).toBe(12.5);
    expect(d.reached).toBe(true);
  });

  it('profits offset losses; a profitable day never reaches the limit', () => {
    const d = dailyPnl({
      ...base,
      closedTrades: [trade('2026-11-22T00:30:00+02:00', 30)],
      positions: [{ profit: -35, swap: 0, commission: 0 }],
    })!;
    expect(d.dailyPnl).toBe(-5);
    expect(d.reached).toBe(false);
    expect(dailyPnl({ ...base, closedTrades: [trade('2026-11-22T00:30:00+02:00', 30)] })?.reached).toBe(false);
  });

  it('an unreadable close_time: its loss counts, its profit does not', () => {
    const d = dailyPnl({ ...base, closedTrades: [trade('garbage', -4), trade('also garbage', 100)] })!;
    expect(d.realizedToday).toBe(-4);
    expect(d.unparsable).toBe(2);
  });

  it('is null without a usable server_time', () => {
    expect(dailyPnl({ ...base, serverTime: 'now', closedTrades: [] })).toBeNull();
  });
});
