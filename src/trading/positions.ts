// Flows on open positions: close (all of one, or part of it), modify its stops, close all of an
// agent's. Each takes the agent's lock, reads what it acts on, applies the risk library's rules
// (evaluateClose, evaluateModify) with the one spec every path uses (spec.ts), journals itself and
// returns a structured outcome; the command maps it to output and an exit code.
//
// These reduce exposure, so a broken store must not stop them: a lock that cannot be taken on a
// broken disk is gone without (said), and the journal is written tolerantly (journaling.ts).
import type { Bridge } from '../bridge/transport.js';
import { missing } from '../bridge/transport.js';
import type { AgentConfig, SymbolOverride } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { CloseDecision, ModifyDecision } from '../risk/index.js';
import { evaluateClose, evaluateModify } from '../risk/index.js';
import { effectiveState } from '../state/model.js';
import type { DeskStore, HeldLock } from '../state/store.js';
import { StoreUnavailableError } from '../state/store.js';
import { closeTicket, modifyTicket, type TicketOutcome } from './close.js';
import { type FlattenReport, flattenAgent } from './flatten.js';
import { newOrderId } from './ids.js';
import { type JournalWriter, tolerantJournal } from './journaling.js';
import { refuseWrongTerminal } from './guard.js';
import { resolveSpec } from './spec.js';

export interface PositionDeps {
  store: DeskStore;
  agent: AgentConfig;
  bridge: Bridge;
  symbols: Record<string, SymbolOverride>;
  notify?: ((message: string) => void) | undefined;
  lockWaitMs?: number | undefined;
  /** How long to keep retrying busy answers (default 10 s). */
  deadlineMs?: number | undefined;
}

/** Runs fn under the agent's lock — or without it when the store cannot give one (said via notify). */
async function underAgentLock<T>(d: PositionDeps, purpose: string, fn: (journal: JournalWriter) => Promise<T>): Promise<T> {
  const journal = tolerantJournal(d.store, d.notify);
  let lock: HeldLock | undefined;
  try {
    lock = await d.store.lock(d.agent.id, { waitMs: d.lockWaitMs, onWait: d.notify, purpose });
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    d.notify?.(`${d.agent.id}'s lock could not be taken (${e.message}); going on without it`);
  }
  try {
    return await refuseWrongTerminal(fn(journal));
  } finally {
    await lock?.release();
  }
}

export type CloseOutcome =
  | { status: 'already_closed'; ticket: number; price: number | null; time: string | null; journal_error: string | null }
  | { status: 'denied'; ticket: number; decision: CloseDecision; journal_error: string | null }
  | (TicketOutcome & { symbol: string; lots: number; partial: boolean; journal_error: string | null });

/** Closes a position, or `lots` of it. */
export function closePosition(d: PositionDeps, ticket: number, lots: number | undefined): Promise<CloseOutcome> {
  return underAgentLock(d, `close ${ticket}`, async (journal) => {
    const { bridge, agent } = d;
    const position = (await bridge.positions()).find((p) => p.ticket === ticket);
    if (!position) {
      const history = await bridge.history({ from: new Date(Date.now() - 30 * 86_400_000) });
      const closed = history?.find((t) => t.ticket === ticket);
      if (closed)
        return {
          status: 'already_closed',
          ticket,
          price: closed.close_price,
          time: closed.close_time,
          journal_error: journal.failure ?? null,
        };
      const unchecked = history === undefined ? ` (whether it was closed cannot be checked: ${missing(bridge, 'history')})` : '';
      throw new UsageError(`${agent.id} has no open position with ticket ${ticket}${unchecked}; nothing was sent`, {
        hint: `\`mt4gw positions ${agent.id}\` lists the open tickets.`,
      });
    }
    let spec;
    if (lots !== undefined && lots < position.lots - 1e-9) {
      const [account, bridgeSpec] = await Promise.all([bridge.account(), bridge.symbol(position.symbol)]);
      spec = resolveSpec(position.symbol, bridgeSpec, { price: position.current_price, account }, d.symbols).spec;
    }
    const decision = evaluateClose({ position, lots, spec });
    if (!decision.allowed) {
      await journal.write({
        event: 'decision',
        agent: agent.id,
        action: 'close',
        ticket,
        allowed: false,
        violations: decision.violations.map((v) => v.code),
      });
      return { status: 'denied', ticket, decision, journal_error: journal.failure ?? null };
    }
    const opId = newOrderId();
    const closing = decision.figures.lots;
    await journal.write({
      event: 'intent',
      order_id: opId,
      agent: agent.id,
      action: 'close',
      ticket,
      lots: closing,
      symbol: position.symbol,
    });
    const o = await closeTicket(bridge, ticket, {
      journal,
      agent: agent.id,
      opId,
      deadline: Date.now() + (d.deadlineMs ?? 10_000),
      notify: d.notify,
      lots: decision.figures.partial ? closing : undefined,
    });
    await journal.write({ event: 'result', order_id: opId, agent: agent.id, action: 'close', ticket, outcome: o.status });
    return { ...o, symbol: position.symbol, lots: closing, partial: decision.figures.partial, journal_error: journal.failure ?? null };
  });
}

export type ModifyOutcome =
  | { status: 'denied'; ticket: number; decision: ModifyDecision; journal_error: string | null }
  | (TicketOutcome & { old_sl: number | null; old_tp: number | null; sl: number | null; tp: number | null; journal_error: string | null });

/** Changes a position's stops: undefined keeps one, null removes it. */
export function modifyPosition(
  d: PositionDeps,
  ticket: number,
  sl: number | null | undefined,
  tp: number | null | undefined,
): Promise<ModifyOutcome> {
  return underAgentLock(d, `modify ${ticket}`, async (journal) => {
    const { bridge, agent } = d;
    const [positions, account] = await Promise.all([bridge.positions(), bridge.account()]);
    const position = positions.find((p) => p.ticket === ticket);
    if (!position) {
      throw new UsageError(`${agent.id} has no open position with ticket ${ticket}; nothing was sent`, {
        hint: `\`mt4gw positions ${agent.id}\` lists the open tickets.`,
      });
    }
    const [quote, bridgeSpec] = await Promise.all([bridge.tick(position.symbol), bridge.symbol(position.symbol)]);
    const { spec } = resolveSpec(position.symbol, bridgeSpec, { price: quote.bid, account }, d.symbols);
    const trading = effectiveState(await d.store.readState(), agent.id);
    const decision = evaluateModify({ position, sl, tp, quote, spec, trading, now: Date.now() });
    if (!decision.allowed) {
      await journal.write({
        event: 'decision',
        agent: agent.id,
        action: 'modify',
        ticket,
        allowed: false,
        violations: decision.violations.map((v) => v.code),
      });
      return { status: 'denied', ticket, decision, journal_error: journal.failure ?? null };
    }
    const opId = newOrderId();
    await journal.write({
      event: 'intent',
      order_id: opId,
      agent: agent.id,
      action: 'modify',
      ticket,
      sl: sl ?? null,
      tp: tp ?? null,
      old_sl: position.sl,
      old_tp: position.tp,
    });
    const o = await modifyTicket(bridge, ticket, sl, tp, {
      journal,
      agent: agent.id,
      opId,
      deadline: Date.now() + (d.deadlineMs ?? 10_000),
      notify: d.notify,
    });
    await journal.write({ event: 'result', order_id: opId, agent: agent.id, action: 'modify', ticket, outcome: o.status });
    return {
      ...o,
      old_sl: position.sl,
      old_tp: position.tp,
      sl: decision.figures.sl.new,
      tp: decision.figures.tp.new,
      journal_error: journal.failure ?? null,
    };
  });
}

/** What close-all would close: the agent's open positions (of one symbol). */
export async function closeAllTargets(bridge: Bridge, symbol: string | undefined) {
  return (await bridge.positions()).filter((p) => symbol === undefined || p.symbol === symbol);
}

export type CloseAllOutcome = FlattenReport & { journal_error: string | null };

/**
 * Closes every open position of the agent (of one symbol), one at a time, and verifies by listing.
 * `targets`: what the person confirmed (closeAllTargets); the flattening lists again anyway.
 */
export function closeAll(
  d: PositionDeps,
  symbol: string | undefined,
  deadlineMs: number,
  targets: Array<{ ticket: number }>,
): Promise<CloseAllOutcome> {
  return underAgentLock(d, 'close-all', async (journal) => {
    const opId = newOrderId();
    await journal.write({
      event: 'intent',
      order_id: opId,
      agent: d.agent.id,
      action: 'close-all',
      symbol: symbol ?? null,
      tickets: targets.map((t) => t.ticket),
    });
    const r = await flattenAgent(d.bridge, {
      journal,
      agent: d.agent.id,
      opId,
      deadline: Date.now() + deadlineMs,
      symbol,
      pending: false,
      notify: d.notify,
    });
    await journal.write({
      event: 'result',
      order_id: opId,
      agent: d.agent.id,
      action: 'close-all',
      verified_flat: r.verified_flat,
      closed: r.closed.map((o) => o.ticket),
      still_open: r.still_open.map((s) => s.ticket),
    });
    return { ...r, journal_error: journal.failure ?? null };
  });
}

/** The exit a close-all's report deserves: 6 when a close may have executed unseen, 5 when MT4 refused one, else 3. */
export function closeAllFailure(r: FlattenReport): 'unknown' | 'mt4' | 'bridge' {
  if (r.still_open.some((s) => s.last_failure === 'unknown')) return 'unknown';
  if (r.still_open.some((s) => s.last_failure === 'mt4')) return 'mt4';
  return 'bridge';
}
