// Flattening one agent: close its positions one at a time (a terminal has one trade context),
// optionally delete its pending orders, and verify by listing again — repeating until the agent is
// flat or the deadline passes. Shared by close-all and panic. Every ticket gets its own result;
// nothing is reported closed that a final listing still shows open.
import { BridgeError } from '../bridge/errors.js';
import type { PendingOrder, Position } from '../bridge/schemas.js';
import type { Bridge } from '../bridge/transport.js';
import { closeTicket, deleteOrder, type TicketOutcome } from './close.js';
import type { Journal } from './journal.js';
import { backoff, sleep } from './place.js';

export interface FlattenOptions {
  journal: Journal;
  agent: string;
  opId: string;
  deadline: number;
  /** Only positions (and pending orders) of this symbol. */
  symbol?: string | undefined;
  /** Delete pending orders too (panic). */
  pending: boolean;
  notify?: ((message: string) => void) | undefined;
  /** Progress for a live display. */
  onProgress?: ((p: { agent: string; closed: number; deleted: number; remaining: number; note?: string }) => void) | undefined;
}

export interface StillOpen {
  ticket: number;
  symbol: string;
  kind: 'position' | 'order';
  lots: number;
  last_error: string | null;
}

export interface FlattenReport {
  agent_id: string;
  /** The agent answered at least once. */
  reached: boolean;
  /** A final listing succeeded and showed nothing targeted. */
  verified_flat: boolean;
  closed: Array<TicketOutcome & { symbol: string; lots: number }>;
  deleted: Array<TicketOutcome & { symbol: string }>;
  still_open: StillOpen[];
  /** Why the agent could not be reached or verified. */
  error: string | null;
}

const describeOutcome = (o: TicketOutcome): string | null =>
  o.status === 'failed' ? (o.code !== null ? `MT4 ${o.code}: ${o.message}` : o.message) : o.status === 'unknown' ? `unknown: ${o.message}` : null;

export async function flattenAgent(bridge: Bridge, options: FlattenOptions): Promise<FlattenReport> {
  const { agent } = options;
  const report: FlattenReport = { agent_id: agent, reached: false, verified_flat: false, closed: [], deleted: [], still_open: [], error: null };
  const lastError = new Map<number, string>();
  const gaveUp = new Set<number>(); // permanent refusals: not retried in later rounds
  const matches = (x: { symbol: string }) => options.symbol === undefined || x.symbol === options.symbol;
  let round = 0;
  let listed: { positions: Position[]; orders: PendingOrder[] } | undefined;

  for (;;) {
    round++;
    try {
      const [positions, orders] = await Promise.all([bridge.positions(), options.pending ? bridge.orders() : Promise.resolve([] as PendingOrder[])]);
      listed = { positions: positions.filter(matches), orders: orders.filter(matches) };
      report.reached = true;
      report.error = null;
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      // `listed` keeps the last listing that succeeded: what we last knew to be open.
      report.error = e.reason;
      options.onProgress?.({ agent, closed: report.closed.length, deleted: report.deleted.length, remaining: -1, note: `unreachable: ${e.reason}` });
      if (Date.now() >= options.deadline) break;
      await sleep(backoff(Math.min(round, 5)));
      continue;
    }
    const todo = [...listed.positions, ...listed.orders];
    options.onProgress?.({ agent, closed: report.closed.length, deleted: report.deleted.length, remaining: todo.length });
    if (todo.length === 0) {
      report.verified_flat = true;
      break;
    }
    const workable = todo.filter((t) => !gaveUp.has(t.ticket));
    if (workable.length === 0 || Date.now() >= options.deadline) break;

    for (const p of listed.positions.filter((x) => !gaveUp.has(x.ticket))) {
      const o = await closeTicket(bridge, p.ticket, options);
      if (o.status === 'done' || o.status === 'already_closed') report.closed.push({ ...o, symbol: p.symbol, lots: p.lots });
      else {
        lastError.set(p.ticket, describeOutcome(o) ?? o.status);
        if (o.status === 'failed' && o.permanent) gaveUp.add(p.ticket);
      }
      options.onProgress?.({ agent, closed: report.closed.length, deleted: report.deleted.length, remaining: todo.length - report.closed.length - report.deleted.length });
    }
    for (const ord of listed.orders.filter((x) => !gaveUp.has(x.ticket))) {
      const o = await deleteOrder(bridge, ord.ticket, options);
      if (o.status === 'done' || o.status === 'already_closed') report.deleted.push({ ...o, symbol: ord.symbol });
      else {
        lastError.set(ord.ticket, describeOutcome(o) ?? o.status);
        if (o.status === 'failed' && o.permanent) gaveUp.add(ord.ticket);
      }
    }
    // Loop: the next listing verifies, and catches anything opened meanwhile.
  }

  if (listed && !report.verified_flat) {
    const done = new Set([...report.closed, ...report.deleted].map((o) => o.ticket));
    report.still_open = [
      ...listed.positions.filter((p) => !done.has(p.ticket)).map((p) => ({ ticket: p.ticket, symbol: p.symbol, kind: 'position' as const, lots: p.lots, last_error: lastError.get(p.ticket) ?? null })),
      ...listed.orders.filter((o) => !done.has(o.ticket)).map((o) => ({ ticket: o.ticket, symbol: o.symbol, kind: 'order' as const, lots: o.lots, last_error: lastError.get(o.ticket) ?? null })),
    ];
  }
  return report;
}
