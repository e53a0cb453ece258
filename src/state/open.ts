// Builds the desk store once per process: local files in the state directory by default;
// PostgreSQL when the desk is shared (MT4GW_STATE_URL), loaded only then. src/cli.ts closes it
// after the command.
import { stateDir } from './dir.js';
import { FilesStore } from './files/store.js';
import type { DeskStore } from './store.js';

let opened: Promise<DeskStore> | undefined;

/** A new store for this environment (tests use it to read what the CLI wrote). */
export async function createStore(env: NodeJS.ProcessEnv): Promise<DeskStore> {
  return new FilesStore(stateDir(env));
}

/** The process's store (opened on first use, then the same one). */
export function openStore(env: NodeJS.ProcessEnv): Promise<DeskStore> {
  opened ??= createStore(env);
  return opened;
}

/** Closes the process's store, if one was opened. */
export async function closeStore(): Promise<void> {
  const o = opened;
  opened = undefined;
  if (o) await (await o.catch(() => undefined))?.close();
}
