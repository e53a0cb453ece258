// The PostgreSQL store's own promises, against a real server (test/setup/postgres.ts): the schema
// migrated once and versioned, locks that end with their session and are fenced, one live order per
// (agent, signal id), NOTIFY at commit, dropped connections that crash nothing, and every failure
// as StoreUnavailableError without the password.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createStore } from '../../src/state/open.js';
import { SignalTakenError, type PgStore } from '../../src/state/pg/store.js';
import { SCHEMA_VERSION } from '../../src/state/pg/schema.js';
import { LockLostError, StoreUnavailableError, type DeskStore } from '../../src/state/store.js';
import { createDatabase, type TestDatabase } from '../helpers/pg.js';

const dbs: TestDatabase[] = [];
const stores: DeskStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function database(): Promise<TestDatabase> {
  const db = await createDatabase('store');
  dbs.push(db);
  return db;
}

async function open(url: string): Promise<PgStore> {
  const dir = mkdtempSync(join(tmpdir(), 'mt4gw-pgstore-'));
  dirs.push(dir);
  const s = await createStore({ MT4GW_STATE_DIR: dir, MT4GW_STATE_URL: url });
  stores.push(s);
  expect(s.backend).toBe('postgres');
  return s as PgStore;
}

const intent = (order: string, signal?: string) =>
  [
    { event: 'intent' as const, order_id: order, agent: 'agent_1', ...(signal ? { signal_id: signal } : {}) },
    { order_id: order, agent: 'agent_1', ...(signal ? { signal_id: signal } : {}) },
  ] as const;

describe('the PostgreSQL store', () => {
  it('creates its schema on first use, once, however many processes start at once; versioned', async () => {
    const db = await database();
    const [a, b, c] = await Promise.all([open(db.url), open(db.url), open(db.url)]);
    await Promise.all([a.readState(), b.pending(), c.query()]);
    const rows = await db.sql<{ version: number; applied_by: string }>('SELECT version, applied_by FROM mt4gw.migrations');
    expect(rows).toHaveLength(SCHEMA_VERSION);
    expect(rows[0]!.applied_by).toMatch(/@/);
    expect(await a.schemaStatus()).toEqual({ version: SCHEMA_VERSION, latest: SCHEMA_VERSION });
    const again = await b.migrate();
    expect(again).toMatchObject({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    const tables = await db.sql<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'mt4gw' ORDER BY 1");
    expect(tables.map((t) => t.t)).toEqual(['journal', 'lock_holders', 'migrations', 'orders', 'pending', 'trading_state']);
  });

  it('refuses a database at a newer schema version: nothing is read or written', async () => {
    const db = await database();
    await (await open(db.url)).readState();
    await db.sql("INSERT INTO mt4gw.migrations (version, name, applied_by) VALUES (99, 'from the future', 'x@y')");
    const s = await open(db.url);
    await expect(s.append({ event: 'halt' })).rejects.toThrow(/schema version 99, newer than this mt4gw knows/);
    await expect(s.migrate()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await db.sql('SELECT 1 FROM mt4gw.journal')).toEqual([]);
  });

  it('a lock ends with its session: verify() then throws LockLostError, the stale holder is not listed, another takes it with a greater token', async () => {
    const db = await database();
    const a = await open(db.url);
    const b = await open(db.url);
    const held = await a.lock('agent_1', { purpose: 'buy' });
    await held.verify();
    const [row] = await db.sql<{ backend_pid: number }>("SELECT backend_pid FROM mt4gw.lock_holders WHERE name = 'agent_1'");
    await db.sql('SELECT pg_terminate_backend($1)', [row!.backend_pid]);
    await expect(held.verify()).rejects.toBeInstanceOf(LockLostError);
    expect(await b.locks()).toEqual([]);
    const next = await b.lock('agent_1', { waitMs: 2000 });
    expect(BigInt(next.token)).toBeGreaterThan(BigInt(held.token));
    await next.verify();
    await expect(held.verify()).rejects.toThrow(/agent_1's lock was lost/);
    await held.release(); // a lost lock's release leaves the new holder alone
    await next.verify();
    expect((await a.locks()).map((l) => l.name)).toEqual(['agent_1']);
    await next.release();
  });

  it('at most one order per (agent, signal id) that opened or is unresolved; a re-delivery may act again once one is proven not opened', async () => {
    const db = await database();
    const a = await open(db.url);
    const b = await open(db.url);
    await a.beginOrder(...intent('o1', 'sig-1'));
    await expect(b.beginOrder(...intent('o2', 'sig-1'))).rejects.toBeInstanceOf(SignalTakenError);
    // Nothing of the refused order was written.
    expect((await b.query({ order_id: 'o2' })).records).toEqual([]);
    expect((await b.pending()).map((m) => m.order_id)).toEqual(['o1']);
    // Other signals, and orders without one, are not affected.
    await b.beginOrder(...intent('o3', 'sig-2'));
    await b.beginOrder(...intent('o4'));
    await b.beginOrder(...intent('o5'));
    // o1 proven not sent: the signal may be acted on again.
    expect(await a.resolveOrder('agent_1', 'o1', { event: 'result', outcome: 'not_sent' })).toBe(true);
    await b.beginOrder(...intent('o6', 'sig-1'));
    expect(await b.resolveOrder('agent_1', 'o6', { event: 'result', outcome: 'opened', ticket: 5 })).toBe(true);
    await expect(a.beginOrder(...intent('o7', 'sig-1'))).rejects.toThrow(/signal sig-1 already has an order on agent_1 .*order o6/);
    // "Not opened" without certainty (no closed-trade history) still holds the place.
    expect(await b.resolveOrder('agent_1', 'o3', { event: 'result', outcome: 'not_opened', certain: false })).toBe(true);
    await expect(a.beginOrder(...intent('o8', 'sig-2'))).rejects.toBeInstanceOf(SignalTakenError);
    const orders = await db.sql<{ order_id: string; outcome: string | null; proven_not_opened: boolean }>(
      'SELECT order_id, outcome, proven_not_opened FROM mt4gw.orders ORDER BY order_id',
    );
    expect(orders.map((o) => [o.order_id, o.outcome, o.proven_not_opened])).toEqual([
      ['o1', 'not_sent', true],
      ['o3', 'not_opened', false],
      ['o4', null, false],
      ['o5', null, false],
      ['o6', 'opened', false],
    ]);
  });

  it('resolveOrder is exactly once among ten concurrent resolvers on two machines', async () => {
    const db = await database();
    const a = await open(db.url);
    const b = await open(db.url);
    await a.beginOrder(...intent('x1'));
    const won = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).resolveOrder('agent_1', 'x1', { event: 'result', outcome: 'opened', n: i })),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await a.query({ order_id: 'x1', events: ['result'] })).records).toHaveLength(1);
  });

  it('a state change is announced with NOTIFY at commit', async () => {
    const db = await database();
    const s = await open(db.url);
    await s.readState();
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const got = new Promise<string>((resolve) => listener.on('notification', (n) => resolve(n.payload ?? '')));
      await listener.query('LISTEN mt4gw_state');
      await s.updateState((d, entry) => {
        d.global = entry('halted');
      }, 'panic');
      const payload = JSON.parse(await got) as { scopes: Array<{ scope: string; state: string }>; reason: string };
      expect(payload).toMatchObject({ scopes: [{ scope: 'desk', state: 'halted' }], reason: 'panic' });
    } finally {
      await listener.end();
    }
  });

  it('connections dropped by the server crash nothing: the next call reconnects', async () => {
    const db = await database();
    const s = await open(db.url);
    await s.append({ event: 'halt', scope: 'desk' });
    const held = await s.lock('agent_2');
    await db.sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mt4gw'",
    );
    await new Promise((r) => setTimeout(r, 300)); // the 'error' events arrive, and are handled
    await expect(held.verify()).rejects.toBeInstanceOf(LockLostError);
    await held.release();
    await s.append({ event: 'resume', scope: 'desk' });
    expect((await s.query()).records.map((r) => r.event)).toEqual(['halt', 'resume']);
  });

  it('unreachable: every call is StoreUnavailableError naming the database but never the password; a resume changes nothing', async () => {
    const s = await open('postgres://mt4gw:sekret-pw-91@127.0.0.1:9/desk');
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['append', () => s.append({ event: 'halt' })],
      ['query', () => s.query()],
      ['beginOrder', () => s.beginOrder(...intent('u1'))],
      ['resolveOrder', () => s.resolveOrder('agent_1', 'u1', { event: 'result', outcome: 'opened' })],
      ['pending', () => s.pending()],
      ['readState', () => s.readState()],
      ['lock', () => s.lock('agent_1')],
      ['locks', () => s.locks()],
      [
        'updateState (resume)',
        () =>
          s.updateState((d, entry) => {
            d.global = entry('active');
          }, 'resume'),
      ],
    ];
    for (const [name, call] of calls) {
      const e = await call().then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, name).toBeInstanceOf(StoreUnavailableError);
      expect((e as Error).message, name).toMatch(/postgres 127\.0\.0\.1:9\/desk/);
      expect((e as Error).message, name).not.toContain('sekret-pw-91');
    }
    expect((await s.local.readState()).global.state).toBe('active');
  });

  it('an unusable MT4GW_STATE_URL never falls back to the files: orders are refused, the value is not shown', async () => {
    for (const bad of ['', 'mysql://u:topsecret@db/x', '  ']) {
      const s = await open(bad);
      const e = await s.query().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StoreUnavailableError);
      expect((e as Error).message).toMatch(/MT4GW_STATE_URL is (empty|not a postgres:\/\/ URL)/);
      expect((e as Error).message).not.toContain('topsecret');
      await expect(s.lock('agent_1')).rejects.toBeInstanceOf(StoreUnavailableError);
    }
  });
});
