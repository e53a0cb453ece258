// The desk store in PostgreSQL, for a desk on several machines (docs/shared-desk.md). Chosen with
// MT4GW_STATE_URL or agents.yml's `state:` block (state/open.ts); loaded only then, so a files-only
// run never loads pg. Tables in schema.ts; locks in lock.ts.
//
// Every write that promises something is a committed transaction before the call returns: the
// intent with its pending marker and its order row (beginOrder), the result with the marker's
// removal (resolveOrder, exactly once across machines: DELETE … RETURNING), a state change with its
// NOTIFY (delivered at commit). Every failure of the database is StoreUnavailableError (exit 3):
// the order flows then send nothing.
//
// When the database cannot be reached, a halt (or reduce) is still recorded — locally, in the state
// directory, by the files store — and updateState says the SHARED one is NOT recorded; readState
// always takes the stricter of the database's and the local state, so that local halt binds every
// mt4gw process of this machine until `mt4gw resume` runs here with the database reachable.
import pg from 'pg';
import type { Secret } from '../../config/secret.js';
import { MtError, EXIT } from '../../errors.js';
import { FilesStore, journalRecord } from '../files/store.js';
import {
  provenNotOpened,
  stateRank,
  type StateChange,
  type StateEntry,
  type TradingStateDoc,
  type TradingStateValue,
  initialState,
} from '../model.js';
import type {
  DeskStore,
  HeldLock,
  JournalFilter,
  JournalInput,
  JournalQueryResult,
  JournalRecord,
  LockHolder,
  LockOptions,
  PendingOrder,
} from '../store.js';
import { StoreUnavailableError } from '../store.js';
import { who } from '../who.js';
import { clientConfig, describeTarget, sessionSettings, type StateTarget, unavailable } from './connect.js';
import { holdsAdvisory, PgLocks } from './lock.js';
import { migrate, type MigrateResult, SCHEMA_VERSION, schemaVersion } from './schema.js';
import { hostname } from 'node:os';

/** The channel every trading-state change is announced on (NOTIFY, at commit). */
export const STATE_CHANNEL = 'mt4gw_state';
const DESK_SCOPE = '*';
const STATE_LOCK = "hashtextextended('mt4gw:trading-state', 0)";

/** A second live order for one (agent, signal id): refused by the database. Nothing was sent. */
export class SignalTakenError extends MtError {
  constructor(message: string) {
    super(message, EXIT.USAGE, {
      hint: 'The signal was acted on by another process at the same moment; `mt4gw journal --agent <id>` shows its order.',
    });
  }
}

export interface SchemaStatus {
  version: number;
  latest: number;
}

export class PgStore implements DeskStore {
  readonly backend = 'postgres' as const;
  readonly where: string;
  /** The local files store in the state directory: only for halts recorded while the database is down. */
  readonly local: FilesStore;
  readonly origin: string;
  readonly #url: Secret | undefined;
  readonly #why: string | undefined;
  #pool: pg.Pool | undefined;
  #ready: Promise<void> | undefined;
  readonly #locks: PgLocks | undefined;

  constructor(target: StateTarget, localDir: string) {
    this.origin = target.origin;
    this.local = new FilesStore(localDir);
    if ('unavailable' in target.url) {
      this.#why = target.url.unavailable;
      this.where = `the desk database (${target.origin})`;
    } else {
      this.#url = target.url;
      this.where = describeTarget(target.url.reveal());
      this.#locks = new PgLocks(target.url, this.where, () => this.#ensure());
    }
  }

  // --- connections --------------------------------------------------------------------------

  #poolNow(): pg.Pool {
    if (!this.#url) throw new StoreUnavailableError(`the desk state in ${this.where} cannot be used: ${this.#why}`);
    if (!this.#pool) {
      const pool = new pg.Pool({ ...clientConfig(this.#url), max: 4, idleTimeoutMillis: 10_000 });
      // A connection that dies while idle must not crash the process: the next query reports it.
      pool.on('error', () => undefined);
      pool.on('connect', (c) => {
        c.on('error', () => undefined);
        c.query(sessionSettings()).catch(() => undefined);
      });
      this.#pool = pool;
    }
    return this.#pool;
  }

  /** The schema, migrated on first use; a database newer than this mt4gw is refused. */
  #ensure(): Promise<void> {
    this.#ready ??= this.#client('prepared (schema)', async (c) => {
      const v = await schemaVersion(c);
      if (v < SCHEMA_VERSION) await migrate(c, who());
      else if (v > SCHEMA_VERSION) throw newerSchema(this.where, v);
    }).catch((e: unknown) => {
      this.#ready = undefined; // the next call tries again
      throw e;
    });
    return this.#ready;
  }

  async #connect(doing: string): Promise<pg.PoolClient> {
    try {
      return await this.#poolNow().connect();
    } catch (e) {
      return unavailable(e, doing, this.where, this.#url);
    }
  }

  /** Runs fn on one connection; every failure as StoreUnavailableError (a failed connection is not reused). */
  async #client<T>(doing: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#connect(doing);
    let out: T;
    try {
      out = await fn(c);
    } catch (e) {
      c.release(true);
      return unavailable(e, doing, this.where, this.#url);
    }
    c.release();
    return out;
  }

  /** Runs fn on one connection, after the schema check. */
  async run<T>(doing: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.#ensure();
    return this.#client(doing, fn);
  }

  /** Runs fn in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(doing: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(doing, async (c) => {
      await c.query('BEGIN');
      try {
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  // --- journal ------------------------------------------------------------------------------

  async append(input: JournalInput): Promise<JournalRecord> {
    const record = journalRecord(input);
    // Every append is a committed transaction: durable whatever the caller asks.
    await this.run(`written (journal: ${input.event})`, (c) => insertRecord(c, record));
    return record;
  }

  async query(filter: JournalFilter = {}): Promise<JournalQueryResult> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      values.push(v);
      where.push(sql.replace('?', `$${values.length}`));
    };
    if (filter.agent !== undefined) add('agent = ?', filter.agent);
    if (filter.order_id !== undefined) add('order_id = ?', filter.order_id);
    if (filter.signal_id !== undefined) add('signal_id = ?', filter.signal_id);
    if (filter.events !== undefined) add('event = ANY(?)', [...filter.events]);
    if (filter.since !== undefined) add('ts >= to_timestamp(? / 1000.0)', filter.since);
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    let sql = `SELECT id, record FROM mt4gw.journal ${cond} ORDER BY id`;
    if (filter.limit !== undefined) {
      values.push(filter.limit);
      sql = `SELECT * FROM (SELECT id, record FROM mt4gw.journal ${cond} ORDER BY id DESC LIMIT $${values.length}) last ORDER BY id`;
    }
    const r = await this.run('read (journal)', (c) => c.query<{ record: JournalRecord }>(sql, values));
    return { records: r.rows.map((row) => row.record), skipped: 0 };
  }

  // --- orders in flight ---------------------------------------------------------------------

  async beginOrder(
    intent: JournalInput & { order_id: string; agent: string },
    marker: Omit<PendingOrder, 'ts' | 'pid' | 'host'>,
  ): Promise<void> {
    const record = journalRecord(intent);
    const full: PendingOrder = { ...marker, ts: record.ts, pid: process.pid, host: hostname() };
    const signal = typeof intent.signal_id === 'string' ? intent.signal_id : (marker.signal_id ?? null);
    await this.transaction('written (order intent)', async (c) => {
      await insertRecord(c, record);
      await c.query('INSERT INTO mt4gw.pending (agent, order_id, ts, marker) VALUES ($1, $2, $3, $4)', [
        intent.agent,
        intent.order_id,
        full.ts,
        JSON.stringify(full),
      ]);
      await c.query('SAVEPOINT one_per_signal');
      try {
        await c.query('INSERT INTO mt4gw.orders (agent, order_id, signal_id) VALUES ($1, $2, $3)', [intent.agent, intent.order_id, signal]);
      } catch (e) {
        if ((e as { code?: string }).code !== '23505' || signal === null) throw e;
        await c.query('ROLLBACK TO SAVEPOINT one_per_signal');
        const other = await c.query<{ order_id: string }>(
          'SELECT order_id FROM mt4gw.orders WHERE agent = $1 AND signal_id = $2 AND NOT proven_not_opened',
          [intent.agent, signal],
        );
        throw new SignalTakenError(
          `signal ${signal} already has an order on ${intent.agent} that opened or may still open (order ${other.rows[0]?.order_id ?? '?'}); order ${intent.order_id} was not sent`,
        );
      }
    });
  }

  async resolveOrder(agent: string, orderId: string, result: JournalInput, before?: JournalInput): Promise<boolean> {
    return this.transaction('written (resolving an order)', async (c) => {
      const gone = await c.query('DELETE FROM mt4gw.pending WHERE agent = $1 AND order_id = $2 RETURNING order_id', [agent, orderId]);
      if (gone.rowCount === 0) return false; // another process resolved it first: nothing is written
      if (before) await insertRecord(c, journalRecord({ ...before, order_id: orderId, agent }));
      await insertRecord(c, journalRecord({ ...result, order_id: orderId, agent }));
      // The result that decides the order: this one, or (a reconciliation of a result journaled
      // earlier) the last one in the journal.
      const decisive =
        result.event === 'result'
          ? result
          : (
              await c.query<{ record: JournalRecord }>(
                "SELECT record FROM mt4gw.journal WHERE agent = $1 AND order_id = $2 AND event = 'result' ORDER BY id DESC LIMIT 1",
                [agent, orderId],
              )
            ).rows[0]?.record;
      await c.query(
        'UPDATE mt4gw.orders SET outcome = $3, proven_not_opened = $4, resolved_at = now() WHERE agent = $1 AND order_id = $2',
        [agent, orderId, typeof decisive?.outcome === 'string' ? decisive.outcome : null, provenNotOpened(decisive)],
      );
      return true;
    });
  }

  async pending(agent?: string): Promise<PendingOrder[]> {
    const r = await this.run('read (orders in flight)', (c) =>
      agent === undefined
        ? c.query<{ marker: PendingOrder }>('SELECT marker FROM mt4gw.pending ORDER BY ts, order_id')
        : c.query<{ marker: PendingOrder }>('SELECT marker FROM mt4gw.pending WHERE agent = $1 ORDER BY ts, order_id', [agent]),
    );
    return r.rows.map((row) => row.marker);
  }

  // --- trading state ------------------------------------------------------------------------

  async readState(): Promise<TradingStateDoc> {
    const shared = await this.run('read (trading state)', (c) => readDoc(c));
    return stricter(shared, await this.local.readState());
  }

  async updateState(change: StateChange, reason: string): Promise<TradingStateDoc> {
    let shared: TradingStateDoc;
    try {
      shared = await this.transaction('written (trading state)', async (c) => {
        await c.query("SET LOCAL lock_timeout = '5s'");
        await c.query(`SELECT pg_advisory_xact_lock(${STATE_LOCK})`);
        const doc = await readDoc(c);
        const changed = applyChange(doc, change, reason);
        for (const [scope, e] of changed) {
          await c.query(
            `INSERT INTO mt4gw.trading_state (scope, state, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (scope) DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason, set_by = EXCLUDED.set_by,
               set_at = EXCLUDED.set_at, updated = now()`,
            [scope, e.state, e.reason, e.by, e.at],
          );
        }
        const payload = { scopes: changed.map(([s, e]) => ({ scope: s === DESK_SCOPE ? 'desk' : s, state: e.state })), by: who(), reason };
        await c.query('SELECT pg_notify($1, $2)', [STATE_CHANNEL, JSON.stringify(payload)]);
        return doc;
      });
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      return this.#recordLocally(change, reason, e);
    }
    // A halt recorded here while the database was down is lifted (or renewed) by the same change.
    let local = await this.local.readState();
    if (isRestricted(local)) {
      try {
        local = await this.local.updateState(change, reason);
      } catch {
        // The stricter state stays: it still binds this machine, and says so.
      }
    }
    return stricter(shared, local);
  }

  async #recordLocally(change: StateChange, reason: string, cause: StoreUnavailableError): Promise<never> {
    const probe = await this.local.readState();
    const restricting = applyChange(probe, change, reason).filter(([, e]) => e.state !== 'active');
    if (restricting.length === 0) {
      throw new StoreUnavailableError(`${cause.message}; the trading state was NOT changed`, { cause, hint: cause.hint });
    }
    const what = restricting.some(([, e]) => e.state === 'halted') ? 'halt' : 'reduce-only state';
    try {
      await this.local.updateState((doc, entry) => {
        for (const [scope, e] of restricting) {
          const local = entry(e.state);
          if (scope === DESK_SCOPE) doc.global = local;
          else doc.agents[scope] = local;
        }
      }, reason);
    } catch (e) {
      throw new StoreUnavailableError(
        `the shared ${what} is NOT recorded (${cause.message}), and the local one could not be written either (${(e as Error).message})`,
        { cause, hint: cause.hint },
      );
    }
    throw new StoreUnavailableError(
      `the SHARED ${what} is NOT recorded (${cause.message}); a local ${what} is recorded in ${this.local.where}, binding only the mt4gw processes of this machine`,
      {
        cause,
        hint: 'Other machines of the desk may still open orders. When the desk database is back, run the same command again to record it for every machine.',
      },
    );
  }

  // --- locks --------------------------------------------------------------------------------

  lock(name: string, options?: LockOptions): Promise<HeldLock> {
    if (!this.#locks) return Promise.reject(new StoreUnavailableError(`the desk state in ${this.where} cannot be used: ${this.#why}`));
    return this.#locks.acquire(name, options);
  }

  async locks(): Promise<LockHolder[]> {
    const r = await this.run('read (locks)', (c) =>
      c.query<{ name: string; pid: number; host: string; purpose: string; since: Date }>(
        `SELECT h.name, h.pid, h.host, h.purpose, h.since FROM mt4gw.lock_holders h WHERE ${holdsAdvisory('h.backend_pid', 'h.name')} ORDER BY h.name`,
      ),
    );
    return r.rows.map((h) => ({ name: h.name, pid: h.pid, host: h.host, purpose: h.purpose, since: new Date(h.since).toISOString() }));
  }

  // --- administration (mt4gw state) ---------------------------------------------------------

  /** The schema's version without migrating (mt4gw state status). */
  schemaStatus(): Promise<SchemaStatus> {
    return this.#client('read (schema version)', async (c) => ({ version: await schemaVersion(c), latest: SCHEMA_VERSION }));
  }

  migrate(): Promise<MigrateResult> {
    return this.#client('migrated', async (c) => {
      const r = await migrate(c, who());
      if (r.from > SCHEMA_VERSION) throw newerSchema(this.where, r.from);
      return r;
    });
  }

  async close(): Promise<void> {
    await this.#locks?.closeAll();
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end().catch(() => undefined);
  }
}

function newerSchema(where: string, v: number): StoreUnavailableError {
  return new StoreUnavailableError(
    `the desk state in ${where} is at schema version ${v}, newer than this mt4gw knows (${SCHEMA_VERSION})`,
    { hint: 'Another machine runs a newer mt4gw: upgrade mt4gw here to the same version.' },
  );
}

export async function insertRecord(c: pg.ClientBase, r: JournalRecord): Promise<void> {
  await c.query('INSERT INTO mt4gw.journal (ts, event, agent, order_id, signal_id, record) VALUES ($1, $2, $3, $4, $5, $6)', [
    r.ts,
    r.event,
    r.agent ?? null,
    r.order_id ?? null,
    typeof r.signal_id === 'string' ? r.signal_id : null,
    JSON.stringify(r),
  ]);
}

interface StateRow {
  scope: string;
  state: TradingStateValue;
  reason: string;
  set_by: string;
  set_at: string;
}

async function readDoc(c: pg.ClientBase): Promise<TradingStateDoc> {
  const doc = initialState();
  const r = await c.query<StateRow>('SELECT scope, state, reason, set_by, set_at FROM mt4gw.trading_state');
  for (const row of r.rows) {
    const e: StateEntry = { state: row.state, reason: row.reason, by: row.set_by, at: row.set_at };
    if (row.scope === DESK_SCOPE) doc.global = e;
    else doc.agents[row.scope] = e;
  }
  return doc;
}

/** Applies the change to doc in place; returns the entries it set (scope '*' for the desk). */
function applyChange(doc: TradingStateDoc, change: StateChange, reason: string): Array<[string, StateEntry]> {
  const made = new Set<StateEntry>();
  const at = new Date().toISOString();
  const by = who();
  change(doc, (state) => {
    const e = { state, reason, by, at };
    made.add(e);
    return e;
  });
  const out: Array<[string, StateEntry]> = [];
  if (made.has(doc.global)) out.push([DESK_SCOPE, doc.global]);
  for (const [a, e] of Object.entries(doc.agents)) if (made.has(e)) out.push([a, e]);
  return out;
}

function isRestricted(doc: TradingStateDoc): boolean {
  return doc.global.state !== 'active' || Object.values(doc.agents).some((e) => e.state !== 'active');
}

const LOCAL_NOTE = ' [recorded on this machine only, while the desk database was unreachable]';

/** Per scope, the stricter of the shared and the local entry; a local one that wins says so. */
export function stricter(shared: TradingStateDoc, local: TradingStateDoc): TradingStateDoc {
  const pick = (s: StateEntry | undefined, l: StateEntry | undefined): StateEntry | undefined => {
    if (!l || (s && stateRank(l.state) <= stateRank(s.state))) return s;
    return { ...l, reason: `${l.reason}${LOCAL_NOTE}` };
  };
  const out: TradingStateDoc = { global: pick(shared.global, local.global)!, agents: {} };
  for (const a of new Set([...Object.keys(shared.agents), ...Object.keys(local.agents)])) {
    const e = pick(shared.agents[a], local.agents[a]);
    if (e) out.agents[a] = e;
  }
  return out;
}
