// Orders in flight: opening orders that were journaled (intent + pending marker) and whose outcome is
// not known yet. A lost answer proves nothing — a terminal may hold a trade in its queue and execute
// it seconds later — so an order stays in flight, and counts against every limit (ORDER_UNRESOLVED),
// until one of these proves its outcome (docs/reliability.md, "What proves an order's outcome"):
//   1. the terminal shows it: a position, or a closed trade, carrying its client id → opened;
//   2. no request for it was ever journaled (each is, durably, before it is sent) and we hold the
//      agent's lock, so its process cannot send it any more → not sent;
//   3. it is older than mt4.max_order_age on the terminal's own clock, its process is gone, we hold
//      the agent's lock (nothing else in flight), and a fresh listing does not show it → not opened;
//   4. a person checked the terminal: `mt4gw journal resolve <id> --not-opened`.
// Every command that reads an agent looks its orders in flight up (1 only: it holds no lock).
import { hostname } from 'node:os';
import { BridgeError } from '../bridge/errors.js';
import type { Position } from '../bridge/schemas.js';
import type { Bridge } from '../bridge/transport.js';
import { missing } from '../bridge/transport.js';
import type { AgentConfig } from '../config/types.js';
import type { InFlightOrder } from '../risk/index.js';
import { isAlive } from '../state/proc.js';
import type { DeskStore, JournalRecord, PendingOrder } from '../state/store.js';

/** How old an unanswered order must be, on the terminal's clock, before it can be proven never to open. */
export const DEFAULT_MAX_ORDER_AGE_MS = 120_000;

export function maxOrderAgeMs(agent: Pick<AgentConfig, 'mt4'>): number {
  return agent.mt4.max_order_age_ms ?? DEFAULT_MAX_ORDER_AGE_MS;
}

export interface FoundOrder {
  ticket: number;
  price: number;
  lots: number;
  /** Found among closed trades (it opened and has been closed since). */
  closed: boolean;
}

/** Finds an order by its client id among open positions and trades closed since `sinceMs`. */
export async function findOrder(bridge: Bridge, clientId: string, sinceMs: number, listed?: Position[]): Promise<FoundOrder | undefined> {
  const [positions, history] = await Promise.all([
    listed ? Promise.resolve(listed) : bridge.positions(),
    bridge.history({ from: new Date(sinceMs - 5 * 60_000) }),
  ]);
  const open = positions.find((p) => p.client_id === clientId);
  if (open) return { ticket: open.ticket, price: open.open_price, lots: open.lots, closed: false };
  const closed = history?.find((t) => t.client_id === clientId);
  if (closed) return { ticket: closed.ticket, price: closed.open_price, lots: closed.lots, closed: true };
  return undefined;
}

/** An order still in flight, as commands report it. */
export interface Unresolved {
  order_id: string;
  agent_id: string;
  /** When it was last sent (ISO, this machine's clock), or when it was journaled if it never was. */
  sent_at: string;
  /** Whether a request for it was journaled (sent, or about to be). */
  sent: boolean;
  /** Its age on the terminal's clock, when known. */
  age_ms: number | null;
  max_age_ms: number;
  pid: number;
  host: string;
  signal_id: string | null;
  /** Why it is not resolved yet, for a person. */
  why: string;
}

export function asRiskInput(u: readonly Unresolved[]): InFlightOrder[] {
  return u.map((x) => ({ orderId: x.order_id, sentAt: x.sent_at, ageMs: x.age_ms, maxAgeMs: x.max_age_ms }));
}

export interface InFlightDeps {
  store: DeskStore;
  agent: AgentConfig;
  bridge: Bridge;
  notify?: ((message: string) => void) | undefined;
}

export interface ReconcileOptions {
  /** We hold the agent's order lock: proofs 2 and 3 may be used. */
  underLock: boolean;
  /** Open positions just listed, to save a request. */
  listed?: Position[] | undefined;
}

function lastRequestAt(records: JournalRecord[]): number | undefined {
  let last: number | undefined;
  for (const r of records) if (r.event === 'request') last = Date.parse(r.ts);
  return last;
}

/**
 * Looks every order in flight of the agent up, journals those whose outcome is now proven, and
 * returns the rest. A failed read leaves them in flight (and says why).
 */
export async function reconcileInFlight(d: InFlightDeps, o: ReconcileOptions): Promise<Unresolved[]> {
  const markers = await d.store.pending(d.agent.id);
  if (markers.length === 0) return [];
  const maxAge = maxOrderAgeMs(d.agent);
  const out: Unresolved[] = [];
  let terminalNow: number | undefined;
  for (const m of markers) {
    const { records } = await d.store.query({ agent: d.agent.id, order_id: m.order_id });
    const intent = records.find((r) => r.event === 'intent');
    const requestAt = lastRequestAt(records);
    const sent = requestAt !== undefined;
    const journaledAt = m.ts ? Date.parse(m.ts) : intent ? Date.parse(intent.ts) : Number.NaN;
    const sentAt = requestAt ?? journaledAt;
    const base: Omit<Unresolved, 'age_ms' | 'why'> = {
      order_id: m.order_id,
      agent_id: d.agent.id,
      sent_at: Number.isFinite(sentAt) ? new Date(sentAt).toISOString() : 'unknown',
      sent,
      max_age_ms: maxAge,
      pid: m.pid,
      host: m.host,
      signal_id: m.signal_id ?? (typeof intent?.signal_id === 'string' ? intent.signal_id : null),
    };
    const earlier = records.find((r) => r.event === 'result');
    if (earlier) {
      // Journaled by a process that died before removing the marker.
      await d.store.resolveOrder(d.agent.id, m.order_id, {
        event: 'reconcile',
        outcome: earlier.outcome,
        note: 'the result was already journaled',
      });
      continue;
    }
    let found: FoundOrder | undefined;
    try {
      found = await findOrder(d.bridge, m.order_id, Number.isFinite(journaledAt) ? journaledAt : Date.now() - 7 * 86_400_000, o.listed);
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      out.push({ ...base, age_ms: null, why: `it could not be looked up: ${e.endpoint}: ${e.reason}` });
      continue;
    }
    if (found) {
      const orphan = m.pid !== process.pid;
      const resolved = await d.store.resolveOrder(
        d.agent.id,
        m.order_id,
        { event: 'result', outcome: 'opened', ticket: found.ticket, price: found.price, lots: found.lots, reconciled: true, orphan },
        { event: 'reconcile', outcome: 'opened', ticket: found.ticket, closed_since: found.closed, proof: 'found', orphan },
      );
      if (resolved) {
        const from = m.pid && m.pid !== process.pid ? ` from an interrupted run (pid ${m.pid})` : '';
        d.notify?.(
          `${d.agent.id}: order ${m.order_id}${from} was opened as ticket ${found.ticket}${found.closed ? ' (closed since)' : ''}; journaled`,
        );
      }
      continue;
    }
    if (o.underLock && !sent && !m.torn) {
      // Every send is preceded by its durable request record, and the process that journaled this
      // order no longer holds the lock (we do): it was never sent, and never will be.
      const proof = { proof: 'never_sent', certain: true, orphan: true };
      if (
        await d.store.resolveOrder(
          d.agent.id,
          m.order_id,
          { event: 'result', outcome: 'not_opened', ...proof },
          { event: 'reconcile', outcome: 'not_opened', ...proof },
        )
      ) {
        d.notify?.(
          `${d.agent.id}: order ${m.order_id} from an interrupted run (pid ${m.pid}) was not opened: it was never sent; journaled`,
        );
      }
      continue;
    }
    // Its age on the terminal's clock: when it was sent (our clock + the offset seen then) to now.
    let ageMs: number | null = null;
    if (Number.isFinite(sentAt)) {
      if (terminalNow === undefined) {
        try {
          const a = await d.bridge.account();
          terminalNow = d.bridge.capabilities.serverTime ? Date.parse(a.server_time) : Date.now();
        } catch (e) {
          if (!(e instanceof BridgeError)) throw e;
          terminalNow = Number.NaN;
        }
      }
      const sentOnTerminal = sentAt + (m.terminal_offset_ms ?? 0);
      if (Number.isFinite(terminalNow)) ageMs = Math.max(0, terminalNow - sentOnTerminal);
    }
    const senderGone = m.host !== hostname() || !isAlive(m.pid) || m.pid === process.pid;
    const why = !o.underLock
      ? 'not on the terminal yet'
      : ageMs === null
        ? "not on the terminal, and its age on the terminal's clock is unknown"
        : ageMs < maxAge
          ? `not on the terminal yet; proven not opened once ${Math.round(maxAge / 1000)} s old (it is ${Math.round(ageMs / 1000)} s)`
          : !senderGone
            ? `not on the terminal, but the process that sent it (pid ${m.pid}) is still running`
            : '';
    if (why === '') {
      const searched = d.bridge.capabilities.history
        ? 'no position or closed trade carries it'
        : `no open position carries it (${missing(d.bridge, 'history')}: it may have opened and closed since)`;
      const proof = {
        proof: 'age',
        age_ms: ageMs,
        max_age_ms: maxAge,
        searched,
        orphan: m.pid !== process.pid,
        // Without closed-trade history it may have opened and closed meanwhile: not certain.
        certain: d.bridge.capabilities.history,
      };
      const resolved = await d.store.resolveOrder(
        d.agent.id,
        m.order_id,
        { event: 'result', outcome: 'not_opened', ...proof },
        { event: 'reconcile', outcome: 'not_opened', ...proof },
      );
      if (resolved)
        d.notify?.(`${d.agent.id}: order ${m.order_id} is ${Math.round(ageMs! / 1000)} s old and ${searched}: not opened; journaled`);
      continue;
    }
    out.push({ ...base, age_ms: ageMs, why });
  }
  return out;
}

/** Resolution by a person who checked the terminal (`mt4gw journal resolve`). */
export async function resolveByHand(store: DeskStore, marker: PendingOrder, by: string, note: string | undefined): Promise<boolean> {
  const proof = { proof: 'manual', certain: true, resolved_by: by, ...(note ? { note } : {}) };
  return store.resolveOrder(
    marker.agent,
    marker.order_id,
    { event: 'result', outcome: 'not_opened', ...proof },
    { event: 'reconcile', outcome: 'not_opened', ...proof },
  );
}
