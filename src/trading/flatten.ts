// Flattening one agent: close its positions one at a time (a terminal has one trade context),
// optionally delete its pending orders, and verify by listing again — repeating until the agent is
// flat or the deadline passes. Shared by close-all and panic. Every ticket gets its own result;
// nothing is reported closed that a final listing still shows open.
import { BridgeError } from '../bridge/errors.js';
import type { PendingOrder, Position } from '../bridge/schemas.js';
import type { Bridge } from '../bridge/transport.js';
import { closeTicket, deleteOrder, type TicketOutcome } from './close.js';
import { interruptRequested } from '../interrupt.js';
import { StoreUnavailableError } from '../state/store.js';
import type { Unresolved } from './inflight.js';
import type { JournalWriter } from './journaling.js';
import { backoff, sleep } from './place.js';

export interface FlattenOptions {
  journal: JournalWriter;
  agent: string;
  opId: string;
  deadline: number;
  /** Only positions (and pending orders) of this symbol. */
  symbol?: string | undefined;
  /** Delete pending orders too (panic). */
  pending: boolean;
  notify?: ((message: string) => void) | undefined;
  /**
   * Orders in flight on the agent (panic): the agent is flat only when nothing is listed AND nothing
   * is in flight; until the deadline the listing is repeated, and what opens meanwhile is closed.
   */
  inFlight?: ((listed: Position[]) => Promise<Unresolved[]>) | undefined;
  /** Progress for a live display. */
  onProgress?: ((p: { agent: string; closed: number; deleted: number; remaining: number; note?: string }) => void) | undefined;
}

export interface StillOpen {
  ticket: number;
  symbol: string;
  kind: 'position' | 'order';
  lots: number;
  last_error: string | null;
  /** What kind of failure last_error is: MT4 refused, the bridge failed, or the outcome is unknown. */
  last_failure: 'mt4' | 'bridge' | 'unknown' | null;
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
  /** Opening orders still in flight at the end: any of them may yet open a position. */
  in_flight: Unresolved[];
  /** Why the agent could not be reached or verified. */
  error: string | null;
}

const describeOutcome = (o: TicketOutcome): string | null =>
  o.status === 'failed'
    ? o.code !== null
      ? `MT4 ${o.code}: ${o.message}`
      : o.message
    : o.status === 'unknown'
      ? `unknown: ${o.message}`
      : null;

export async function flattenAgent(bridge: Bridge, options: FlattenOptions): Promise<FlattenReport> {
  const { agent } = options;
  const report: FlattenReport = {
    agent_id: agent,
    reached: false,
    verified_flat: false,
    closed: [],
    deleted: [],
    still_open: [],
    in_flight: [],
    error: null,
  };
  const lastError = new Map<number, string>();
  const lastFailure = new Map<number, StillOpen['last_failure']>();
  const gaveUp = new Set<number>(); // permanent refusals: not retried in later rounds
  const matches = (x: { symbol: string }) => options.symbol === undefined || x.symbol === options.symbol;
  const done = new Set<number>(); // every ticket closed or deleted, each counted once
  let doneSinceListing = new Set<number>(); // closed or deleted after the last successful listing
  let round = 0;
  let listed: { positions: Position[]; orders: PendingOrder[] } | undefined;
  const progress = (remaining: number, note?: string) =>
    options.onProgress?.({
      agent,
      closed: report.closed.length,
      deleted: report.deleted.length,
      remaining,
      ...(note === undefined ? {} : { note }),
    });

  for (;;) {
    round++;
    try {
      const [positions, orders] = await Promise.all([
        bridge.positions(),
        options.pending ? bridge.orders() : Promise.resolve([] as PendingOrder[]),
      ]);
      listed = { positions: positions.filter(matches), orders: orders.filter(matches) };
      doneSinceListing = new Set();
      report.reached = true;
      report.error = null;
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      // `listed` keeps the last listing that succeeded: what we last knew to be open.
      report.error = `${e.endpoint}: ${e.reason}`;
      progress(-1, `unreachable: ${e.reason}`);
      // Another account than agents.yml names: nothing is ever sent to it, so waiting changes nothing.
      if (e.kind === 'wrong_account' || Date.now() >= options.deadline) break;
      await sleep(backoff(Math.min(round, 5)));
      continue;
    }
    const todo = [...listed.positions, ...listed.orders];
    progress(todo.length);
    if (todo.length === 0) {
      let flying: Unresolved[] = [];
      try {
        flying = options.inFlight ? await options.inFlight(listed.positions) : [];
      } catch (e) {
        if (!(e instanceof BridgeError) && !(e instanceof StoreUnavailableError)) throw e;
        report.error = `orders in flight could not be checked: ${(e as Error).message}`;
        break;
      }
      report.in_flight = flying;
      if (flying.length === 0) {
        report.verified_flat = true;
        break;
      }
      // Nothing open, but an order may still open: keep listing until the deadline.
      if (Date.now() >= options.deadline || interruptRequested()) break;
      progress(0, `flat, ${flying.length} order(s) in flight`);
      await sleep(Math.min(500, Math.max(0, options.deadline - Date.now())));
      continue;
    }
    const workable = todo.filter((t) => !gaveUp.has(t.ticket));
    if (workable.length === 0 || Date.now() >= options.deadline) break;
    // Ctrl-C: the ticket in flight was finished and journaled; send nothing more (src/interrupt.ts).
    if (interruptRequested()) {
      report.error = 'interrupted (Ctrl-C) before every ticket was closed';
      break;
    }

    let left = workable.length;
    const settle = (ticket: number, o: TicketOutcome, onDone: () => void) => {
      left--;
      if (o.status === 'done' || o.status === 'already_closed') {
        // A ticket a lagging listing showed again answers "already closed": not a second close.
        if (!done.has(ticket)) onDone();
        done.add(ticket);
        doneSinceListing.add(ticket);
        lastError.delete(ticket);
        lastFailure.delete(ticket);
      } else {
        lastError.set(ticket, describeOutcome(o) ?? o.status);
        lastFailure.set(ticket, o.status === 'unknown' ? 'unknown' : o.status === 'failed' && o.code !== null ? 'mt4' : 'bridge');
        if (o.status === 'failed' && o.permanent) gaveUp.add(ticket);
      }
      progress(left);
    };
    for (const p of listed.positions.filter((x) => !gaveUp.has(x.ticket))) {
      if (interruptRequested()) break;
      const o = await closeTicket(bridge, p.ticket, options);
      settle(p.ticket, o, () => report.closed.push({ ...o, symbol: p.symbol, lots: p.lots }));
    }
    for (const ord of listed.orders.filter((x) => !gaveUp.has(x.ticket))) {
      if (interruptRequested()) break;
      const o = await deleteOrder(bridge, ord.ticket, options);
      settle(ord.ticket, o, () => report.deleted.push({ ...o, symbol: ord.symbol }));
    }
    // Loop: the next listing verifies, and catches anything opened meanwhile.
  }

  if (listed && !report.verified_flat) {
    // The last listing, less what was closed after it (when a later listing failed).
    const open = (t: { ticket: number }) => !doneSinceListing.has(t.ticket);
    report.still_open = [
      ...listed.positions.filter(open).map((p) => ({
        ticket: p.ticket,
        symbol: p.symbol,
        kind: 'position' as const,
        lots: p.lots,
        last_error: lastError.get(p.ticket) ?? null,
        last_failure: lastFailure.get(p.ticket) ?? null,
      })),
      ...listed.orders.filter(open).map((o) => ({
        ticket: o.ticket,
        symbol: o.symbol,
        kind: 'order' as const,
        lots: o.lots,
        last_error: lastError.get(o.ticket) ?? null,
        last_failure: lastFailure.get(o.ticket) ?? null,
      })),
    ];
  }
  return report;
}
