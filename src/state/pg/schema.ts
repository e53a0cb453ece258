// The desk database's schema, created and migrated by mt4gw itself (`mt4gw state migrate`, and on
// first use). Everything lives in the schema `mt4gw`; mt4gw.migrations records each version applied,
// with who applied it and when. Migrations run in one transaction under an advisory lock, so two
// processes starting at once on a new database apply them once. A database newer than this mt4gw
// is refused: an older mt4gw must not write rows it does not understand.
import type { ClientBase } from 'pg';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Taken (per transaction) while migrating. */
export const MIGRATE_LOCK_KEY = "hashtextextended('mt4gw:migrate', 0)";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'journal, orders in flight, orders, trading state, lock holders',
    sql: `
-- Every step of every order, oldest first (id). The record is kept as written (json keeps its key
-- order); the columns beside it are what the filters of mt4gw journal and the flows use.
CREATE TABLE mt4gw.journal (
  id bigserial PRIMARY KEY,
  ts timestamptz NOT NULL,
  event text NOT NULL,
  agent text,
  order_id text,
  signal_id text,
  record json NOT NULL,
  -- Set on records brought in by mt4gw state import (the source machine and the line's hash), so a
  -- second import of the same journal adds nothing.
  imported_key text
);
CREATE UNIQUE INDEX journal_imported_key ON mt4gw.journal (imported_key) WHERE imported_key IS NOT NULL;
CREATE INDEX journal_agent_id ON mt4gw.journal (agent, id);
CREATE INDEX journal_order_id ON mt4gw.journal (order_id, id) WHERE order_id IS NOT NULL;
CREATE INDEX journal_signal_id ON mt4gw.journal (agent, signal_id, id) WHERE signal_id IS NOT NULL;
CREATE INDEX journal_ts ON mt4gw.journal (ts);

-- Opening orders whose outcome is not known yet (the pending markers): inserted with the intent in
-- one transaction before the order is sent, deleted with its result in one transaction.
CREATE TABLE mt4gw.pending (
  agent text NOT NULL,
  order_id text NOT NULL,
  ts timestamptz NOT NULL,
  marker json NOT NULL,
  PRIMARY KEY (agent, order_id)
);

-- One row per opening order. proven_not_opened turns true only with a result that proves the order
-- did not open and never will; until then the order holds its signal's place: at most one order per
-- (agent, signal id) is opened or unresolved, and a re-delivery may act again only after a proof.
CREATE TABLE mt4gw.orders (
  agent text NOT NULL,
  order_id text NOT NULL,
  signal_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  outcome text,
  proven_not_opened boolean NOT NULL DEFAULT false,
  resolved_at timestamptz,
  PRIMARY KEY (agent, order_id)
);
CREATE UNIQUE INDEX orders_one_live_per_signal ON mt4gw.orders (agent, signal_id)
  WHERE signal_id IS NOT NULL AND NOT proven_not_opened;

-- The desk's trading state (scope '*') and each agent's own.
CREATE TABLE mt4gw.trading_state (
  scope text PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('active', 'reducing', 'halted')),
  reason text NOT NULL DEFAULT '',
  set_by text NOT NULL DEFAULT '',
  set_at text NOT NULL DEFAULT '',
  updated timestamptz NOT NULL DEFAULT now()
);

-- Who holds each named lock (the lock itself is a session advisory lock on the holder's own
-- connection; a row whose session is gone is stale and is not listed). token: the fencing token,
-- from a sequence, so a later holder always has a greater one.
CREATE SEQUENCE mt4gw.lock_token;
CREATE TABLE mt4gw.lock_holders (
  name text PRIMARY KEY,
  token text NOT NULL,
  backend_pid integer NOT NULL,
  pid integer NOT NULL,
  host text NOT NULL,
  purpose text NOT NULL,
  since timestamptz NOT NULL
);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The version the database is at: 0 when mt4gw's schema is not there yet. */
export async function schemaVersion(c: ClientBase): Promise<number> {
  const t = await c.query<{ t: string | null }>("SELECT to_regclass('mt4gw.migrations')::text AS t");
  if (!t.rows[0]?.t) return 0;
  const r = await c.query<{ v: number | null }>('SELECT coalesce(max(version), 0) AS v FROM mt4gw.migrations');
  return Number(r.rows[0]?.v ?? 0);
}

export interface MigrateResult {
  from: number;
  to: number;
  applied: Migration[];
}

/** Applies every migration the database lacks, in one transaction. */
export async function migrate(c: ClientBase, by: string): Promise<MigrateResult> {
  await c.query('BEGIN');
  try {
    await c.query(`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK_KEY})`);
    await c.query('CREATE SCHEMA IF NOT EXISTS mt4gw');
    await c.query(
      'CREATE TABLE IF NOT EXISTS mt4gw.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL)',
    );
    const from = await schemaVersion(c);
    if (from > SCHEMA_VERSION) {
      await c.query('ROLLBACK');
      return { from, to: from, applied: [] };
    }
    const applied: Migration[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO mt4gw.migrations (version, name, applied_by) VALUES ($1, $2, $3)', [m.version, m.name, by]);
      applied.push(m);
    }
    await c.query('COMMIT');
    return { from, to: Math.max(from, SCHEMA_VERSION), applied };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
