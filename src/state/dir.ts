// Where mt4gw keeps what must outlive a process: the journal, per-agent locks, pending-order
// markers and the trading state. $MT4GW_STATE_DIR, else $XDG_STATE_HOME/mt4gw, else
// ~/.local/state/mt4gw. Created private (0700): it holds the record of every order.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv): string {
  if (env.MT4GW_STATE_DIR) return resolve(env.MT4GW_STATE_DIR);
  if (env.XDG_STATE_HOME) return join(resolve(env.XDG_STATE_HOME), 'mt4gw');
  return join(env.HOME || homedir(), '.local', 'state', 'mt4gw');
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
}
