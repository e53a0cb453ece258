// The broker's trading day and the day's P/L.
//
// The day starts at 00:00 in the broker's own UTC offset — the offset that server_time carries —
// not at UTC midnight: with server_time 2026-11-22T01:00:00+02:00 the day began at
// 2026-11-21T22:00:00Z, and a trade closed at 23:30 UTC belongs to it.
import type { ClosedTradeInput, OpenPosition } from './types.js';

const DAY_MS = 86_400_000;

export interface ParsedTime {
  /** The instant, epoch ms. */
  epochMs: number;
  /** The offset the string carried, minutes east of UTC (Z is 0). */
  offsetMinutes: number;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Parses an ISO-8601 date-time that carries an offset or Z. A string without one is rejected
 * (null): its meaning would depend on the local time zone, and this library is pure.
 */
export function parseIsoTime(iso: string): ParsedTime | null {
  const m = ISO_RE.exec(iso.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 31 November over into December; such a date is invalid.
  if (new Date(local).getUTCDate() !== day) return null;
  return { epochMs: local - offsetMinutes * 60_000, offsetMinutes };
}

export interface BrokerDay {
  /** The broker's midnight, epoch ms. */
  epochMs: number;
  /** The broker's midnight as ISO with the broker's offset, e.g. 2026-11-22T00:00:00+02:00. */
  iso: string;
  offsetMinutes: number;
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The start (00:00 broker time) of the broker day containing serverTimeIso; null if unparsable. */
export function brokerDayStart(serverTimeIso: string): BrokerDay | null {
  const t = parseIsoTime(serverTimeIso);
  if (!t) return null;
  const offsetMs = t.offsetMinutes * 60_000;
  // Shift to the broker's wall clock, floor to its midnight, shift back.
  const localMidnight = Math.floor((t.epochMs + offsetMs) / DAY_MS) * DAY_MS;
  const date = new Date(localMidnight).toISOString().slice(0, 10);
  return { epochMs: localMidnight - offsetMs, iso: `${date}T00:00:00${formatOffset(t.offsetMinutes)}`, offsetMinutes: t.offsetMinutes };
}

/** profit + swap + commission (missing swap/commission count as 0). */
export function netPnl(x: { profit: number; swap?: number | null; commission?: number | null }): number {
  return x.profit + (x.swap ?? 0) + (x.commission ?? 0);
}

export interface DailyPnlInput {
  balance: number;
  serverTime: string;
  closedTrades: readonly ClosedTradeInput[];
  positions: readonly Pick<OpenPosition, 'profit' | 'swap' | 'commission'>[];
  /** Fraction of the day-start balance, 0.05 = 5 %. */
  maxDailyLoss: number;
}

export interface DailyPnl {
  day: BrokerDay;
  /** Net P/L of trades closed at or after the broker's midnight. */
  realizedToday: number;
  /** Net P/L of the open positions. */
  floating: number;
  /** realizedToday + floating. */
  dailyPnl: number;
  /** balance − realizedToday: the balance at the broker's midnight. */
  dayStartBalance: number;
  /** maxDailyLoss × dayStartBalance. */
  limitMoney: number;
  /** max(0, −dailyPnl). */
  loss: number;
  /** The loss has reached the limit. */
  reached: boolean;
  /** Closed trades counted as today's. */
  counted: number;
  /** Closed trades with an unparsable close_time: their losses are counted, their profits not. */
  unparsable: number;
}

/** Today's P/L and whether it has reached the daily loss limit; null when server_time is unparsable. */
export function dailyPnl(input: DailyPnlInput): DailyPnl | null {
  const day = brokerDayStart(input.serverTime);
  if (!day) return null;
  let realizedToday = 0;
  let counted = 0;
  let unparsable = 0;
  for (const trade of input.closedTrades) {
    const closed = parseIsoTime(trade.close_time);
    const pnl = netPnl(trade);
    if (!closed) {
      // Cannot tell which day it belongs to: count a loss (conservative), ignore a profit.
      unparsable++;
      if (pnl < 0) {
        realizedToday += pnl;
        counted++;
      }
    } else if (closed.epochMs >= day.epochMs) {
      realizedToday += pnl;
      counted++;
    }
  }
  const floating = input.positions.reduce((sum, p) => sum + netPnl(p), 0);
  const daily = realizedToday + floating;
  const dayStartBalance = input.balance - realizedToday;
  const limitMoney = input.maxDailyLoss * dayStartBalance;
  const loss = Math.max(0, -daily);
  // "Reached": a loss at (or, by a hair of float noise, just under) the limit denies.
  // Written so that a NaN limit denies whenever there is a loss.
  const reached = loss > 0 && !(loss < limitMoney - 1e-9);
  return { day, realizedToday, floating, dailyPnl: daily, dayStartBalance, limitMoney, loss, reached, counted, unparsable };
}
