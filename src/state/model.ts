// The trading state, as data: the desk's and each agent's own, `active`, `reducing` (no new exposure;
// closes and stop changes only) or `halted` (no new orders; closing, deleting pending orders and
// tightening stops still allowed). Pure: where it is kept is the desk store's business (src/state/).
export type TradingStateValue = 'active' | 'reducing' | 'halted';

export const TRADING_STATES: readonly TradingStateValue[] = ['active', 'reducing', 'halted'];

export interface StateEntry {
  state: TradingStateValue;
  reason: string;
  /** `user@host` */
  by: string;
  /** ISO-8601 */
  at: string;
}

export interface TradingStateDoc {
  global: StateEntry;
  agents: Record<string, StateEntry>;
}

/** The state that applies to one agent, and where it comes from. */
export interface EffectiveState {
  state: TradingStateValue;
  /** `desk halted by ops@host at …: panic`; empty when active. */
  reason: string;
  /** Which setting decides it: the desk's or the agent's own (null when active). */
  scope: 'desk' | 'agent' | null;
}

const RANK: Record<TradingStateValue, number> = { active: 0, reducing: 1, halted: 2 };

/** 0 active, 1 reducing, 2 halted (the Prometheus gauge). */
export function stateRank(s: TradingStateValue): number {
  return RANK[s];
}

export function initialState(): TradingStateDoc {
  return { global: { state: 'active', reason: '', by: '', at: '' }, agents: {} };
}

/** The state that applies to one agent: the stricter of the desk's and the agent's own. */
export function effectiveState(s: TradingStateDoc, agent: string): EffectiveState {
  const own = s.agents[agent];
  const useOwn = own !== undefined && RANK[own.state] > RANK[s.global.state];
  const pick = useOwn ? own : s.global;
  if (pick.state === 'active') return { state: 'active', reason: '', scope: null };
  return { state: pick.state, reason: describeEntry(useOwn ? agent : 'desk', pick), scope: useOwn ? 'agent' : 'desk' };
}

/** `desk halted by ops@host at 2026-…: panic` */
export function describeEntry(scope: string, e: StateEntry): string {
  return `${scope} ${e.state}${e.by ? ` by ${e.by}` : ''}${e.at ? ` at ${e.at}` : ''}${e.reason ? `: ${e.reason}` : ''}`;
}

function isEntry(v: unknown): v is StateEntry {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.state === 'string' && e.state in RANK && ['reason', 'by', 'at'].every((k) => e[k] === undefined || typeof e[k] === 'string')
  );
}

function normalize(e: StateEntry): StateEntry {
  return { state: e.state, reason: e.reason ?? '', by: e.by ?? '', at: e.at ?? '' };
}

/** HALTED, with why: what a store reports when it cannot tell the state. When in doubt, open nothing. */
export function unknownState(why: string, at = new Date().toISOString()): TradingStateDoc {
  return { global: { state: 'halted', reason: why, by: 'mt4gw', at }, agents: {} };
}

/**
 * A stored document, checked. Anything that does not make sense is HALTED with the reason — the
 * whole desk for a bad document, one agent for a bad entry — so closing still works and nothing opens.
 */
export function parseStateDoc(parsed: unknown, where: string): TradingStateDoc {
  const unreadable = (why: string): StateEntry => ({
    state: 'halted',
    reason: `the trading state in ${where} is unreadable (${why}); fix or remove it, then run mt4gw resume`,
    by: 'mt4gw',
    at: new Date().toISOString(),
  });
  const o = parsed as { global?: unknown; agents?: unknown } | null;
  if (!o || typeof o !== 'object' || !isEntry(o.global)) return { global: unreadable('no valid "global" entry'), agents: {} };
  const agents: Record<string, StateEntry> = {};
  if (o.agents && typeof o.agents === 'object') {
    for (const [id, entry] of Object.entries(o.agents as Record<string, unknown>)) {
      agents[id] = isEntry(entry) ? normalize(entry) : unreadable(`the entry of ${id} is not a valid state`);
    }
  }
  return { global: normalize(o.global), agents };
}

/** A state change: who makes it (set by the store), the new value and why. */
export type StateChange = (doc: TradingStateDoc, entry: (state: TradingStateValue) => StateEntry) => void;

/**
 * Whether an order's result proves it did not open and never will (a re-delivered signal may act
 * again). The signal flow and the PostgreSQL store's one-order-per-signal constraint both use it.
 */
export function provenNotOpened(result: Readonly<Record<string, unknown>> | undefined): boolean {
  if (!result) return false;
  if (result.outcome === 'not_sent' || result.outcome === 'rejected' || result.outcome === 'denied_on_requote') return true;
  // "Not opened" by age over a transport without closed-trade history may have opened and closed since.
  return result.outcome === 'not_opened' && result.certain !== false;
}
