// `mt4gw state`: where the desk's state lives and whether it can be used (status), the database's
// schema brought up to date (migrate), a machine's local state brought into the database (import).
// The store decides everything; this only asks it, and never sees the database URL.
import { UsageError } from '../errors.js';
import { describeEntry, effectiveState } from '../state/model.js';
import type { DeskStore, LockHolder } from '../state/store.js';
import { StoreUnavailableError } from '../state/store.js';

export interface DeskStateStatus {
  backend: 'files' | 'postgres';
  /** A directory, or the database without its credentials. */
  where: string;
  /** How the database was chosen (MT4GW_STATE_URL, agents.yml's state:); null for the files. */
  chosen_by: string | null;
  reachable: boolean;
  error: string | null;
  schema_version: number | null;
  schema_latest: number | null;
  /** The desk's trading state and every agent's own that is not active; null when unknown. */
  trading: { desk: string; agents: Record<string, string> } | null;
  /** Scopes halted or reducing on this machine only (recorded while the database was down). */
  local_only: string[];
  locks: LockHolder[];
}

/** The PostgreSQL store, without importing it (a files-only run never loads pg). */
type PgLike = DeskStore & {
  origin: string;
  local: DeskStore;
  schemaStatus(): Promise<{ version: number; latest: number }>;
  migrate(): Promise<{ from: number; to: number; applied: Array<{ version: number; name: string }> }>;
};

const asPg = (s: DeskStore): PgLike | undefined => (s.backend === 'postgres' ? (s as PgLike) : undefined);

export async function deskStatus(store: DeskStore): Promise<DeskStateStatus> {
  const pg = asPg(store);
  const out: DeskStateStatus = {
    backend: store.backend,
    where: store.where,
    chosen_by: pg?.origin ?? null,
    reachable: true,
    error: null,
    schema_version: null,
    schema_latest: null,
    trading: null,
    local_only: [],
    locks: [],
  };
  try {
    // First use migrates the schema: read the state, then say which version it is at.
    const s = await store.readState();
    if (pg) {
      const v = await pg.schemaStatus();
      out.schema_version = v.version;
      out.schema_latest = v.latest;
    }
    const agents: Record<string, string> = {};
    for (const a of Object.keys(s.agents)) {
      const e = effectiveState(s, a);
      if (s.agents[a]!.state !== 'active') agents[a] = e.reason || s.agents[a]!.state;
    }
    out.trading = { desk: s.global.state === 'active' ? 'active' : describeEntry('desk', s.global), agents };
    out.locks = await store.locks();
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    out.reachable = false;
    out.error = e.message;
  }
  if (pg) {
    const local = await pg.local.readState();
    if (local.global.state !== 'active') out.local_only.push('desk');
    for (const [a, e] of Object.entries(local.agents)) if (e.state !== 'active') out.local_only.push(a);
  }
  return out;
}

function needsDatabase(store: DeskStore, what: string): PgLike {
  const pg = asPg(store);
  if (!pg) {
    throw new UsageError(`the desk state is local files (${store.where}): there is no database to ${what}`, {
      hint: 'A shared desk sets MT4GW_STATE_URL, or `state: {url: ${VAR}}` in agents.yml (docs/shared-desk.md).',
    });
  }
  return pg;
}

export function migrateDesk(store: DeskStore): ReturnType<PgLike['migrate']> {
  return needsDatabase(store, 'migrate').migrate();
}

export async function importDesk(store: DeskStore): Promise<import('../state/pg/import.js').ImportReport> {
  const pg = needsDatabase(store, 'import into');
  const [{ importLocal }, { PgStore }, { FilesStore }] = await Promise.all([
    import('../state/pg/import.js'),
    import('../state/pg/store.js'),
    import('../state/files/store.js'),
  ]);
  if (!(pg instanceof PgStore) || !(pg.local instanceof FilesStore)) throw new Error('the PostgreSQL store is not the expected one');
  return importLocal(pg, pg.local);
}
