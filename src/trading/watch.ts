// The data behind `mt4gw watch`: one poller per agent, each on its own schedule, so a slow or dead
// terminal only ever delays its own row. A poll reads the account and the open positions at once,
// and the day's closed trades when they may have changed (the balance moved, the broker's day
// rolled over, or a minute passed); the daily loss is the risk library's dailyPnl, counted from the
// broker's midnight with floating P/L included. The trading state (halt/reduce) is read from the
// state file at every snapshot. Nothing here writes anything.
import { BridgeError } from '../bridge/errors.js';
import type { Account, ClosedTrade, Position } from '../bridge/schemas.js';
import type { Bridge } from '../bridge/transport.js';
import { isAlert } from '../output/watch.js';
import type { AgentConfig } from '../config/types.js';
import { brokerDayStart, dailyPnl, netPnl, roundCents } from '../risk/index.js';
import type { Bridges } from '../bridge/registry.js';
import { effectiveState, type TradingStateDoc, type TradingStateValue } from '../state/model.js';
import { deskTotals } from './totals.js';

/** The day's closed trades are read again at least this often. */
const HISTORY_MAX_AGE_MS = 60_000;

export interface DailyLoss {
  /** Today's P/L: realized since the broker's midnight plus floating. */
  pnl: number;
  /** max(0, −pnl). */
  loss: number;
  /** max_daily_loss × the day's starting balance. */
  limit: number;
  /** loss / limit (0 when there is no loss). */
  used: number;
  reached: boolean;
  day_start: string;
  /**
   * 'history': realized since the broker's midnight (the bridge's closed trades) plus floating.
   * 'equity': the transport has no trade history, so only the floating P/L is counted (as the
   * risk checks then do): an estimate that misses losses realized earlier today.
   */
  basis: 'history' | 'equity';
}

export interface WatchRow {
  agent_id: string;
  name: string;
  enabled: boolean;
  /** connecting: no answer yet; offline: the last refresh failed. */
  status: 'connecting' | 'online' | 'offline';
  /** A refresh has been running for longer than the interval (the values shown are older). */
  slow: boolean;
  /** When the values shown were read (ISO), and how old they are. */
  updated_at: string | null;
  age_ms: number | null;
  currency: string | null;
  balance: number | null;
  equity: number | null;
  /** Net P/L of the open positions (profit + swap + commission). */
  floating: number | null;
  margin_level: number | null;
  open_positions: number | null;
  max_positions: number;
  daily: DailyLoss | null;
  /** Set when the day's closed trades could not be read (the daily figures are then left out). */
  daily_error: string | null;
  trading: TradingStateValue;
  trading_reason: string;
  trade_allowed: boolean | null;
  latency_ms: number | null;
  error: string | null;
  /** Since when the agent has been failing (ISO). */
  offline_since: string | null;
}

export interface WatchTotals {
  agents: number;
  online: number;
  offline: number;
  /** null when the online accounts use different currencies (then no money totals). */
  currency: string | null;
  balance: number | null;
  equity: number | null;
  floating: number | null;
  positions: number;
  /** Agents whose daily loss limit is reached, or that are halted, or offline. */
  alerts: number;
}

export interface WatchSnapshot {
  at: string;
  agents: WatchRow[];
  totals: WatchTotals;
}

interface Good {
  account: Account;
  positions: Position[];
  daily: DailyLoss | null;
  dailyError: string | null;
  at: number;
  latencyMs: number;
}

/** Polls one agent: `refresh()` once, or `start()` to keep refreshing every interval until stop(). */
export class AgentPoller {
  readonly agent: AgentConfig;
  readonly #bridge: Bridge;
  readonly #intervalMs: number;
  readonly #onUpdate: () => void;
  readonly #now: () => number;
  #good: Good | undefined;
  #error: string | null = null;
  #failingSince: number | null = null;
  #inFlightSince: number | null = null;
  #history: { trades: ClosedTrade[] | undefined; at: number; balance: number; dayStart: number } | undefined;
  #stopped = true;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(agent: AgentConfig, bridge: Bridge, o: { intervalMs: number; onUpdate?: () => void; now?: () => number }) {
    this.agent = agent;
    this.#bridge = bridge;
    this.#intervalMs = o.intervalMs;
    this.#onUpdate = o.onUpdate ?? (() => undefined);
    this.#now = o.now ?? Date.now;
  }

  /** One refresh. Bridge failures become the row's state; anything else (a bug) is thrown. */
  async refresh(): Promise<void> {
    const started = this.#now();
    this.#inFlightSince = started;
    try {
      const t0 = performance.now();
      let latencyMs = 0;
      const [account, positions] = await Promise.all([
        this.#bridge.account().then((a) => {
          latencyMs = performance.now() - t0;
          return a;
        }),
        this.#bridge.positions(),
      ]);
      const { daily, dailyError } = await this.#daily(account, positions);
      this.#good = { account, positions, daily, dailyError, at: this.#now(), latencyMs };
      this.#error = null;
      this.#failingSince = null;
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      this.#error = e.reason;
      this.#failingSince ??= started;
    } finally {
      this.#inFlightSince = null;
    }
  }

  async #daily(account: Account, positions: Position[]): Promise<{ daily: DailyLoss | null; dailyError: string | null }> {
    const day = brokerDayStart(account.server_time);
    if (!day) return { daily: null, dailyError: `server_time ${account.server_time} carries no UTC offset` };
    const h = this.#history;
    const stale =
      !h || h.dayStart !== day.epochMs || Math.abs(h.balance - account.balance) > 1e-9 || this.#now() - h.at >= HISTORY_MAX_AGE_MS;
    if (stale) {
      try {
        // The bridge's default range is the broker's day (protocol v1), as the risk checks read it.
        // undefined: this transport has no trade history (capabilities.history false).
        const trades = this.#bridge.capabilities.history ? await this.#bridge.history() : undefined;
        this.#history = { trades, at: this.#now(), balance: account.balance, dayStart: day.epochMs };
      } catch (e) {
        if (!(e instanceof BridgeError)) throw e;
        this.#history = undefined;
        return { daily: null, dailyError: `history: ${e.reason}` };
      }
    }
    const trades = this.#history!.trades;
    // Without history the day's closed trades are unknown: floating only, against the balance now.
    const d = dailyPnl({
      balance: account.balance,
      serverTime: account.server_time,
      closedTrades: trades ?? [],
      positions,
      maxDailyLoss: this.agent.risk.max_daily_loss,
    });
    if (!d) return { daily: null, dailyError: null };
    const basis = trades === undefined ? 'equity' : 'history';
    return {
      daily: {
        pnl: roundCents(d.dailyPnl),
        loss: roundCents(d.loss),
        limit: roundCents(d.limitMoney),
        used: d.limitMoney > 0 ? d.loss / d.limitMoney : d.loss > 0 ? 1 : 0,
        reached: d.reached,
        day_start: d.day.iso,
        basis,
      },
      dailyError: null,
    };
  }

  /** Keeps refreshing: one refresh, then waits out the rest of the interval (or a wake()). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = (async () => {
      while (!this.#stopped) {
        const started = this.#now();
        await this.refresh();
        if (this.#stopped) break;
        this.#onUpdate();
        const wait = Math.max(0, this.#intervalMs - (this.#now() - started));
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, wait);
          function done() {
            clearTimeout(t);
            resolve();
          }
          this.#wake = done;
        });
        this.#wake = undefined;
      }
    })();
  }

  /** Refresh now instead of at the end of the interval (a refresh already running is not doubled). */
  wake(): void {
    this.#wake?.();
  }

  /** Stops after the refresh in flight; resolves at once (a hung request is not waited for). */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** For tests: the loop's promise. */
  get loop(): Promise<void> | undefined {
    return this.#loop;
  }

  row(trading: { state: TradingStateValue; reason: string }): WatchRow {
    const now = this.#now();
    const g = this.#good;
    const online = this.#error === null && g !== undefined;
    const status: WatchRow['status'] = this.#error !== null ? 'offline' : g ? 'online' : 'connecting';
    const shown = online ? g : undefined;
    return {
      agent_id: this.agent.id,
      name: this.agent.name,
      enabled: this.agent.enabled,
      status,
      slow: this.#inFlightSince !== null && now - this.#inFlightSince > this.#intervalMs,
      updated_at: g ? new Date(g.at).toISOString() : null,
      age_ms: g ? Math.max(0, now - g.at) : null,
      currency: shown?.account.currency ?? null,
      balance: shown?.account.balance ?? null,
      equity: shown?.account.equity ?? null,
      floating: shown ? roundCents(shown.positions.reduce((s, p) => s + netPnl(p), 0)) : null,
      margin_level: shown ? shown.account.margin_level : null,
      open_positions: shown ? shown.positions.length : null,
      max_positions: this.agent.risk.max_positions,
      daily: shown?.daily ?? null,
      daily_error: shown?.dailyError ?? null,
      trading: trading.state,
      trading_reason: trading.reason,
      trade_allowed: shown ? shown.account.trade_allowed : null,
      latency_ms: shown ? Math.round(shown.latencyMs) : null,
      error: this.#error,
      offline_since: this.#failingSince === null ? null : new Date(this.#failingSince).toISOString(),
    };
  }
}

/** The rows and totals now, from the pollers and the persisted trading state. */
export function snapshot(pollers: AgentPoller[], state: TradingStateDoc, now = Date.now()): WatchSnapshot {
  const agents = pollers.map((p) => p.row(effectiveState(state, p.agent.id)));
  return { at: new Date(now).toISOString(), agents, totals: totals(agents) };
}

export function totals(rows: WatchRow[]): WatchTotals {
  const { online, currency, sum } = deskTotals(rows);
  return {
    agents: rows.length,
    online: online.length,
    offline: rows.filter((r) => r.status === 'offline').length,
    currency,
    balance: sum((r) => r.balance),
    equity: sum((r) => r.equity),
    floating: sum((r) => r.floating),
    positions: online.reduce((s, r) => s + (r.open_positions ?? 0), 0),
    alerts: rows.filter((r) => isAlert(r)).length,
  };
}

/** Every agent refreshed once, concurrently (the snapshot off a terminal and for --json). */
export async function watchOnce(
  agents: AgentConfig[],
  bridges: Bridges,
  readState: () => Promise<TradingStateDoc>,
): Promise<WatchSnapshot> {
  const pollers = agents.map((a) => new AgentPoller(a, bridges.get(a.id), { intervalMs: Number.POSITIVE_INFINITY }));
  await Promise.all(pollers.map((p) => p.refresh()));
  return snapshot(pollers, await readState());
}
