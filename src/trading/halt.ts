// The trading state: global and per agent, `active`, `reducing` (no new exposure; closes and stop
// changes only) or `halted` (no new orders; closing, deleting pending orders and tightening stops
// still allowed). Persisted in the state directory so it survives restarts and binds every mt4gw
// process on the machine; changed only by halt/reduce/resume/panic, each recording who, when and why.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { ensureDir, stateDir } from './state-dir.js';

export type TradingStateValue = 'active' | 'reducing' | 'halted';

export const TRADING_STATES: readonly TradingStateValue[] = ['active', 'reducing', 'halted'];

export interface StateEntry {
  state: TradingStateValue;
  reason: string;
  by: string;
  at: string;
}

export interface TradingStateFile {
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

const INITIAL: StateEntry = { state: 'active', reason: '', by: '', at: '' };

export function tradingStateFile(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'trading-state.json');
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

/**
 * The persisted state. A file that cannot be read or parsed is treated as HALTED: when in doubt,
 * open nothing (closing still works), and say so. So is an agent entry that makes no sense.
 */
export function readTradingState(env: NodeJS.ProcessEnv): TradingStateFile {
  const path = tradingStateFile(env);
  if (!existsSync(path)) return { global: { ...INITIAL }, agents: {} };
  const unreadable = (why: string): StateEntry => ({
    state: 'halted',
    reason: `the trading state file ${path} is unreadable (${why}); fix or remove it, then run mt4gw resume`,
    by: 'mt4gw',
    at: new Date().toISOString(),
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return { global: unreadable((e as Error).message), agents: {} };
  }
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

/** The state that applies to one agent: the stricter of the desk's and the agent's own. */
export function effectiveState(s: TradingStateFile, agent: string): EffectiveState {
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

function who(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? user;
  }
  return `${user}@${hostname()}`;
}

/**
 * Read, change and write the state under a lock, so two processes changing it at once (a panic
 * and a `reduce agent_3`) cannot lose each other's change. The write is durable (temporary file,
 * fsync, rename) before this returns. If the lock cannot be had within a few seconds the write
 * happens anyway: a halt must never wait on a stuck process.
 */
export async function updateTradingState(
  env: NodeJS.ProcessEnv,
  change: (s: TradingStateFile, entry: (state: TradingStateValue) => StateEntry) => void,
  reason: string,
): Promise<TradingStateFile> {
  const dir = ensureDir(stateDir(env));
  const path = tradingStateFile(env);
  let release: (() => Promise<void>) | undefined;
  try {
    // Loaded here: reading the state (status, summary, every order's risk check) needs no lock library.
    const { default: lockfile } = await import('proper-lockfile');
    release = await lockfile.lock(path, {
      realpath: false,
      stale: 5_000,
      retries: { retries: 100, minTimeout: 10, maxTimeout: 60, factor: 1.3 },
      onCompromised: () => undefined,
    });
  } catch {
    release = undefined;
  }
  try {
    const current = readTradingState(env);
    const at = new Date().toISOString();
    const by = who();
    change(current, (state) => ({ state, reason, by, at }));
    const tmp = join(dir, `.trading-state.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return current;
  } finally {
    await release?.().catch(() => undefined);
  }
}

/** Sets the state of the desk (agents undefined) or of some agents. */
export function setTradingState(
  env: NodeJS.ProcessEnv,
  state: TradingStateValue,
  reason: string,
  agents?: string[],
): Promise<TradingStateFile> {
  return updateTradingState(
    env,
    (s, entry) => {
      if (agents === undefined) s.global = entry(state);
      else for (const a of agents) s.agents[a] = entry(state);
    },
    reason,
  );
}
