// The trading state: global and per agent, `active`, `reducing` (no new exposure; closes and stop
// changes only) or `halted` (no new orders; closing, deleting pending orders and tightening stops
// still allowed). Persisted in the state directory so it survives restarts and binds every mt4gw
// process on the machine; changed only by halt/reduce/resume/panic, each recording who, when and why.
import { existsSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { ensureDir, stateDir } from './state-dir.js';

export type TradingStateValue = 'active' | 'reducing' | 'halted';

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

const RANK: Record<TradingStateValue, number> = { active: 0, reducing: 1, halted: 2 };

const INITIAL: StateEntry = { state: 'active', reason: '', by: '', at: '' };

function file(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'trading-state.json');
}

/**
 * The persisted state. A file that cannot be read or parsed is treated as HALTED: when in doubt,
 * open nothing (closing still works), and say so.
 */
export function readTradingState(env: NodeJS.ProcessEnv): TradingStateFile {
  const path = file(env);
  if (!existsSync(path)) return { global: { ...INITIAL }, agents: {} };
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as TradingStateFile;
    if (!parsed || typeof parsed !== 'object' || !parsed.global || !(parsed.global.state in RANK)) throw new Error('bad shape');
    return { global: parsed.global, agents: parsed.agents ?? {} };
  } catch {
    return {
      global: { state: 'halted', reason: `the trading state file ${path} is unreadable; fix or remove it, then run mt4gw resume`, by: 'mt4gw', at: new Date().toISOString() },
      agents: {},
    };
  }
}

/** The state that applies to one agent: the stricter of the global and the agent's own. */
export function effectiveState(s: TradingStateFile, agent: string): { state: TradingStateValue; reason: string } {
  const own = s.agents[agent];
  const pick = own && RANK[own.state] > RANK[s.global.state] ? { ...own, scope: agent } : { ...s.global, scope: 'desk' };
  if (pick.state === 'active') return { state: 'active', reason: '' };
  return { state: pick.state, reason: `${pick.scope} ${pick.state} by ${pick.by} at ${pick.at}${pick.reason ? `: ${pick.reason}` : ''}` };
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
 * Sets the state of the desk (agents undefined) or of some agents, and writes it durably
 * (write to a temporary file, fsync, rename) before returning.
 */
export function setTradingState(env: NodeJS.ProcessEnv, state: TradingStateValue, reason: string, agents?: string[]): TradingStateFile {
  const dir = ensureDir(stateDir(env));
  const current = readTradingState(env);
  const entry: StateEntry = { state, reason, by: who(), at: new Date().toISOString() };
  if (agents === undefined) current.global = entry;
  else for (const a of agents) current.agents[a] = entry;
  const path = file(env);
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
}
