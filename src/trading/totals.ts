// Desk totals over the agents that answered: summed only when they share one currency (a total of
// USD and EUR balances means nothing), rounded to cents. summary and watch both use it.
import { roundCents } from '../risk/index.js';

export interface DeskTotals<R> {
  online: R[];
  /** The one currency of the agents that answered; null when they use several. */
  currency: string | null;
  /** A column summed over the agents that answered; null when they use several currencies. */
  sum(pick: (row: R) => number | null): number | null;
}

export function deskTotals<R extends { status: string; currency: string | null }>(rows: R[]): DeskTotals<R> {
  const online = rows.filter((r) => r.status === 'online');
  const single = new Set(online.map((r) => r.currency)).size <= 1;
  return {
    online,
    currency: single ? (online[0]?.currency ?? null) : null,
    sum: (pick) => (single ? roundCents(online.reduce((s, r) => s + (pick(r) ?? 0), 0)) : null),
  };
}
