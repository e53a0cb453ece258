// Read flows over several agents, concurrently: a dead or slow agent costs no more than its
// timeout and never hides the others.
import { BridgeError } from '../bridge/errors.js';
import type { Account, Position } from '../bridge/schemas.js';
import type { AgentConfig } from '../config/types.js';
import type { Bridges } from '../bridge/registry.js';
import { effectiveState, type StateEntry, type TradingStateDoc, type TradingStateValue } from '../state/model.js';
import type { DeskStore } from '../state/store.js';
import { reconcileInFlight, type Unresolved } from './inflight.js';
import { deskTotals } from './totals.js';

/** The trading state as the read commands show it: the desk's, and per agent the one in force. */
export interface AgentTrading {
  /** The stricter of the desk's state and the agent's own. */
  trading: TradingStateValue;
  /** Whose state that is: the desk's or the agent's own; null when active. */
  trading_scope: 'desk' | 'agent' | null;
  /** Who set it, when and why (`desk halted by ops@host at …: panic`); null when active. */
  trading_reason: string | null;
}

function agentTrading(s: TradingStateDoc | undefined, agentId: string): AgentTrading {
  if (!s) return { trading: 'active', trading_scope: null, trading_reason: null };
  const e = effectiveState(s, agentId);
  return { trading: e.state, trading_scope: e.scope, trading_reason: e.reason || null };
}

export type AgentOutcome<T> =
  | { agent: AgentConfig; ok: true; value: T; latencyMs: number }
  | { agent: AgentConfig; ok: false; error: BridgeError; reason: string; latencyMs: number };

/** Runs fn for every agent at once; each outcome carries its own success or failure. */
export async function forEachAgent<T>(
  agents: AgentConfig[],
  bridges: Bridges,
  fn: (bridge: ReturnType<Bridges['get']>, agent: AgentConfig) => Promise<T>,
): Promise<AgentOutcome<T>[]> {
  return Promise.all(
    agents.map(async (agent): Promise<AgentOutcome<T>> => {
      const started = performance.now();
      try {
        const value = await fn(bridges.get(agent.id), agent);
        return { agent, ok: true, value, latencyMs: performance.now() - started };
      } catch (e) {
        // A bridge failure is this agent's outcome; anything else is a bug and stops the command.
        // The reason names the request that failed (`GET /positions: answered invalid JSON …`).
        if (!(e instanceof BridgeError)) throw e;
        return { agent, ok: false, error: e, reason: `${e.endpoint}: ${e.reason}`, latencyMs: performance.now() - started };
      }
    }),
  );
}

export interface AgentStatus extends AgentTrading {
  agent_id: string;
  name: string;
  enabled: boolean;
  status: 'online' | 'offline';
  latency_ms: number | null;
  server_time: string | null;
  trade_allowed: boolean | null;
  login: number | null;
  server: string | null;
  /** Opening orders whose outcome is not known yet (each may still open). */
  in_flight: number;
  error: string | null;
}

/**
 * The orders in flight of every agent that has any, looked up on its terminal: those the terminal
 * now shows are journaled as opened (no lock is needed for that). A read command never fails on
 * this: what cannot be looked up stays in flight.
 */
export async function inFlightOf(
  store: DeskStore | undefined,
  agents: AgentConfig[],
  bridges: Bridges,
  listed?: Map<string, Position[]>,
): Promise<Map<string, Unresolved[]>> {
  const out = new Map<string, Unresolved[]>();
  if (!store) return out;
  await Promise.all(
    agents.map(async (agent) => {
      try {
        if ((await store.pending(agent.id)).length === 0) return;
        const flying = await reconcileInFlight(
          { store, agent, bridge: bridges.get(agent.id) },
          { underLock: false, listed: listed?.get(agent.id) },
        );
        if (flying.length) out.set(agent.id, flying);
      } catch {
        // A store or bridge that fails here fails the read itself too, and says so there.
      }
    }),
  );
  return out;
}

/** `trading`: the persisted trading state; without it every agent shows active. */
export async function status(
  agents: AgentConfig[],
  bridges: Bridges,
  trading?: TradingStateDoc,
  store?: DeskStore,
): Promise<AgentStatus[]> {
  const outcomes = await forEachAgent(agents, bridges, (b) => b.account());
  const flying = await inFlightOf(
    store,
    agents.filter((a) => outcomes.some((o) => o.ok && o.agent.id === a.id)),
    bridges,
  );
  return outcomes.map((o) => ({
    agent_id: o.agent.id,
    name: o.agent.name,
    enabled: o.agent.enabled,
    ...agentTrading(trading, o.agent.id),
    status: o.ok ? 'online' : 'offline',
    latency_ms: o.ok ? Math.round(o.latencyMs) : null,
    server_time: o.ok ? o.value.server_time : null,
    trade_allowed: o.ok ? o.value.trade_allowed : null,
    login: o.ok ? o.value.login : null,
    server: o.ok ? o.value.server : null,
    in_flight: flying.get(o.agent.id)?.length ?? 0,
    error: o.ok ? null : o.reason,
  }));
}

/** One row of the GlobalSummary (inventory document, AgentSummary). */
export interface AgentSummary extends AgentTrading {
  agent_id: string;
  name: string;
  status: 'online' | 'offline';
  enabled: boolean;
  strategy: string | null;
  currency: string | null;
  balance: number | null;
  equity: number | null;
  profit: number | null;
  margin_level: number | null;
  open_positions: number | null;
  /** Opening orders whose outcome is not known yet (each may still open). */
  in_flight: number;
  error: string | null;
}

export interface GlobalSummary {
  /** Totals are null when the online accounts use different currencies. */
  currency: string | null;
  total_balance: number | null;
  total_equity: number | null;
  total_profit: number | null;
  total_positions: number;
  agents_online: number;
  agents_offline: number;
  /** The desk-wide trading state, with who set it, when and why. */
  desk_trading: StateEntry;
  agents: AgentSummary[];
}

/** `trading`: the persisted trading state; without it everything shows active. */
export async function summary(
  agents: AgentConfig[],
  bridges: Bridges,
  trading?: TradingStateDoc,
  store?: DeskStore,
): Promise<GlobalSummary> {
  const outcomes = await forEachAgent(agents, bridges, async (b): Promise<{ account: Account; positions: Position[] }> => {
    const [account, positions] = await Promise.all([b.account(), b.positions()]);
    return { account, positions };
  });
  const listed = new Map(outcomes.flatMap((o) => (o.ok ? [[o.agent.id, o.value.positions] as const] : [])));
  const flying = await inFlightOf(
    store,
    agents.filter((a) => listed.has(a.id)),
    bridges,
    listed,
  );
  const rows: AgentSummary[] = outcomes.map((o) => ({
    agent_id: o.agent.id,
    name: o.agent.name,
    status: o.ok ? 'online' : 'offline',
    enabled: o.agent.enabled,
    ...agentTrading(trading, o.agent.id),
    strategy: o.agent.strategy.type ?? null,
    currency: o.ok ? o.value.account.currency : null,
    balance: o.ok ? o.value.account.balance : null,
    equity: o.ok ? o.value.account.equity : null,
    profit: o.ok ? o.value.account.profit : null,
    margin_level: o.ok ? o.value.account.margin_level : null,
    open_positions: o.ok ? o.value.positions.length : null,
    in_flight: flying.get(o.agent.id)?.length ?? 0,
    error: o.ok ? null : o.reason,
  }));
  const { online, currency, sum } = deskTotals(rows);
  return {
    currency,
    total_balance: sum((r) => r.balance),
    total_equity: sum((r) => r.equity),
    total_profit: sum((r) => r.profit),
    total_positions: online.reduce((s, r) => s + (r.open_positions ?? 0), 0),
    agents_online: online.length,
    agents_offline: rows.length - online.length,
    desk_trading: trading?.global ?? { state: 'active', reason: '', by: '', at: '' },
    agents: rows,
  };
}

export interface Offline {
  agent_id: string;
  error: string;
}

/** Rows gathered from several agents, each tagged with its agent, plus the agents that did not answer. */
export interface Gathered<T> {
  rows: Array<T & { agent_id: string }>;
  offline: Offline[];
}

export async function gather<T>(
  agents: AgentConfig[],
  bridges: Bridges,
  fn: (bridge: ReturnType<Bridges['get']>, agent: AgentConfig) => Promise<T[]>,
  store?: DeskStore,
): Promise<Gathered<T>> {
  const outcomes = await forEachAgent(agents, bridges, fn);
  await inFlightOf(
    store,
    agents.filter((a) => outcomes.some((o) => o.ok && o.agent.id === a.id)),
    bridges,
  );
  const rows: Array<T & { agent_id: string }> = [];
  const offline: Offline[] = [];
  for (const o of outcomes) {
    if (o.ok) for (const r of o.value) rows.push({ agent_id: o.agent.id, ...r });
    else offline.push({ agent_id: o.agent.id, error: o.reason });
  }
  return { rows, offline };
}
