// Builds the desk store once per process: local files in the state directory by default;
// PostgreSQL when the desk is shared (MT4GW_STATE_URL, or agents.yml's `state:` block: target.ts),
// loaded only then — a files-only run never loads pg. src/cli.ts closes it after the command.
import { stateDir } from './dir.js';
import { FilesStore } from './files/store.js';
import type { DeskStore } from './store.js';
import { type StoreSources, stateTarget } from './target.js';

export type { StoreSources } from './target.js';

let opened: Promise<DeskStore> | undefined;

/** A new store for this environment (tests use it to read what the CLI wrote). */
export async function createStore(env: NodeJS.ProcessEnv, sources: StoreSources = {}): Promise<DeskStore> {
  const target = await stateTarget(env, sources);
  if (target === undefined) return new FilesStore(stateDir(env));
  const { PgStore } = await import('./pg/store.js');
  return new PgStore(target, stateDir(env));
}

/** The process's store (opened on first use, then the same one). */
export function openStore(env: NodeJS.ProcessEnv, sources: StoreSources = {}): Promise<DeskStore> {
  opened ??= createStore(env, sources);
  return opened;
}

/** Closes the process's store, if one was opened. */
export async function closeStore(): Promise<void> {
  const o = opened;
  opened = undefined;
  if (o) await (await o.catch(() => undefined))?.close();
}
