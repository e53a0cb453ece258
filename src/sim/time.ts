// Times as MT4 and the protocol write them: whole seconds, UTC with `Z`, or the broker's wall
// clock with its offset; the broker's trading day starts at its own midnight.
import { SimInputError } from './errors.js';

export function floorSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** `2026-11-22T08:15:00Z` */
export function isoUtc(ms: number): string {
  return `${new Date(floorSecond(ms)).toISOString().slice(0, 19)}Z`;
}

/** `2026-11-22T10:15:00+02:00` — the time as the broker's clock shows it, with its offset. */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(floorSecond(ms) + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Midnight of the broker's day that contains `ms`, as epoch ms. */
export function brokerDayStart(ms: number, offsetMinutes: number): number {
  const off = offsetMinutes * 60_000;
  return Math.floor((ms + off) / 86_400_000) * 86_400_000 - off;
}

/** Epoch ms from an ISO string or a number; throws SimInputError otherwise. */
export function parseTime(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw new SimInputError(`${what} must be an ISO-8601 time or epoch milliseconds`);
}
