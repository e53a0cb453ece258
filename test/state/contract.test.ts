// The desk store's promises (src/state/store.ts), as one suite run against BOTH stores: the local
// files and PostgreSQL (a real server, a database of its own). Two store instances on the same
// state stand for two processes — for PostgreSQL, two machines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FilesStore } from '../../src/state/files/store.js';
import { createStore } from '../../src/state/open.js';
import { LockBusyError, type DeskStore, type HeldLock } from '../../src/state/store.js';
import { createDatabase, type TestDatabase } from '../helpers/pg.js';

interface Backend {
  name: 'files' | 'postgres';
  /** A fresh shared state; open(i) gives the i-th "process" on it. */
  fresh(): Promise<{ open(): Promise<DeskStore>; cleanup(): Promise<void> }>;
}

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

const BACKENDS: Backend[] = [
  {
    name: 'files',
    fresh: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mt4gw-contract-'));
      return { open: async () => new FilesStore(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    fresh: async () => {
      const db = await createDatabase('contract');
      dbs.push(db);
      // Each "machine" has its own state directory (for local fallback halts) and the one database.
      const dirs: string[] = [];
      return {
        open: async () => {
          const dir = mkdtempSync(join(tmpdir(), 'mt4gw-contract-'));
          dirs.push(dir);
          return createStore({ MT4GW_STATE_DIR: dir, MT4GW_STATE_URL: db.url });
        },
        cleanup: async () => {
          for (const d of dirs) rmSync(d, { recursive: true, force: true });
        },
      };
    },
  },
];

describe.each(BACKENDS)('the desk store contract: $name', (backend) => {
  const opened: DeskStore[] = [];
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await cleanup?.();
  });
  async function two(): Promise<[DeskStore, DeskStore]> {
    const f = await backend.fresh();
    cleanup = f.cleanup;
    const a = await f.open();
    const b = await f.open();
    opened.push(a, b);
    expect(a.backend).toBe(backend.name);
    return [a, b];
  }

  it('journal: records come back oldest first with who wrote them, and every filter selects', async () => {
    const [a, b] = await two();
    const t0 = Date.now();
    await a.append({ event: 'intent', agent: 'agent_1', order_id: 'o1', signal_id: 's1', request: { lots: 0.01, nested: [1, 'x'] } });
    await b.append({ event: 'request', agent: 'agent_1', order_id: 'o1', attempt: 1 }, { durable: true });
    await a.append({ event: 'intent', agent: 'agent_2', order_id: 'o2' });
    await b.append({ event: 'halt', scope: 'desk', state: 'halted' });
    const all = (await b.query()).records;
    expect(all.map((r) => [r.event, r.order_id ?? null])).toEqual([
      ['intent', 'o1'],
      ['request', 'o1'],
      ['intent', 'o2'],
      ['halt', null],
    ]);
    expect(all[0]).toMatchObject({ agent: 'agent_1', signal_id: 's1', request: { lots: 0.01, nested: [1, 'x'] }, pid: process.pid });
    expect(typeof all[0]!.user).toBe('string');
    expect(typeof all[0]!.host).toBe('string');
    expect(Date.parse(all[0]!.ts)).toBeGreaterThanOrEqual(t0 - 1000);
    expect((await a.query({ agent: 'agent_1' })).records).toHaveLength(2);
    expect((await a.query({ order_id: 'o2' })).records.map((r) => r.agent)).toEqual(['agent_2']);
    expect((await a.query({ agent: 'agent_1', signal_id: 's1' })).records).toHaveLength(1);
    expect((await a.query({ events: ['intent', 'halt'] })).records.map((r) => r.event)).toEqual(['intent', 'intent', 'halt']);
    expect((await a.query({ limit: 2 })).records.map((r) => r.event)).toEqual(['intent', 'halt']);
    expect((await a.query({ since: Date.now() + 60_000 })).records).toEqual([]);
    expect((await a.query({ since: t0 - 60_000, agent: 'agent_2' })).records).toHaveLength(1);
    expect((await a.query()).skipped).toBe(0);
  });

  it('an order in flight: intent and marker together, resolved exactly once across processes', async () => {
    const [a, b] = await two();
    await a.beginOrder(
      { event: 'intent', order_id: 'k1', agent: 'agent_1', request: { symbol: 'XAUUSD' } },
      { order_id: 'k1', agent: 'agent_1', request: { symbol: 'XAUUSD' }, terminal_offset_ms: 12 },
    );
    const seen = await b.pending('agent_1');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      order_id: 'k1',
      agent: 'agent_1',
      request: { symbol: 'XAUUSD' },
      terminal_offset_ms: 12,
      pid: process.pid,
    });
    expect(await b.pending('agent_2')).toEqual([]);
    expect((await b.pending()).map((m) => m.order_id)).toEqual(['k1']);
    expect((await b.query({ order_id: 'k1' })).records.map((r) => r.event)).toEqual(['intent']);

    // Both processes resolve it at the same moment: one wins, the other writes nothing.
    const results = await Promise.all([
      a.resolveOrder('agent_1', 'k1', { event: 'result', outcome: 'opened', ticket: 7 }, { event: 'reconcile', outcome: 'opened' }),
      b.resolveOrder('agent_1', 'k1', { event: 'result', outcome: 'opened', ticket: 7 }, { event: 'reconcile', outcome: 'opened' }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a.pending()).toEqual([]);
    const recs = (await a.query({ order_id: 'k1' })).records;
    expect(recs.map((r) => r.event)).toEqual(['intent', 'reconcile', 'result']);
    expect(recs[2]).toMatchObject({ agent: 'agent_1', order_id: 'k1', outcome: 'opened', ticket: 7 });
    expect(await b.resolveOrder('agent_1', 'k1', { event: 'result', outcome: 'opened' })).toBe(false);
  });

  it('trading state: active at first; a change by one process is seen by the other; concurrent changes all land', async () => {
    const [a, b] = await two();
    expect((await a.readState()).global.state).toBe('active');
    const doc = await a.updateState((d, entry) => {
      d.global = entry('halted');
    }, 'panic');
    expect(doc.global).toMatchObject({ state: 'halted', reason: 'panic' });
    expect(doc.global.by).toMatch(/@/);
    expect((await b.readState()).global).toMatchObject({ state: 'halted', reason: 'panic' });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).updateState((d, entry) => {
          d.agents[`agent_${i}`] = entry(i % 3 === 0 ? 'reducing' : 'halted');
        }, `r${i}`),
      ),
    );
    const s = await a.readState();
    expect(Object.keys(s.agents).sort()).toEqual(['agent_0', 'agent_1', 'agent_2', 'agent_3', 'agent_4', 'agent_5']);
    expect(s.agents.agent_3).toMatchObject({ state: 'reducing', reason: 'r3' });
    await b.updateState((d, entry) => {
      d.global = entry('active');
      for (const k of Object.keys(d.agents)) d.agents[k] = entry('active');
    }, 'all clear');
    const after = await a.readState();
    expect(after.global.state).toBe('active');
    expect(Object.values(after.agents).every((e) => e.state === 'active')).toBe(true);
  });

  it('locks: one holder at a time across processes, the waiter told who holds it, busy after the wait, then free', async () => {
    const [a, b] = await two();
    const held = await a.lock('agent_1', { purpose: 'buy XAUUSD' });
    await held.verify();
    const holders = await b.locks();
    expect(holders).toEqual([expect.objectContaining({ name: 'agent_1', pid: process.pid, purpose: 'buy XAUUSD' })]);
    const told: string[] = [];
    await expect(b.lock('agent_1', { waitMs: 400, onWait: (m) => told.push(m) })).rejects.toBeInstanceOf(LockBusyError);
    expect(told[0]).toMatch(/agent_1's lock, held by pid \d+ on .* \(buy XAUUSD\)/);
    // Another name is another lock.
    const other = await b.lock('agent_2');
    await other.release();
    // Released while the other waits: the waiter gets it, with a new token.
    const waiting = b.lock('agent_1', { waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    await held.release();
    const next: HeldLock = await waiting;
    expect(next.token).not.toBe(held.token);
    await next.verify();
    await next.release();
    expect(await a.locks()).toEqual([]);
  });

  it('locks: many processes racing for one lock take it one at a time', async () => {
    const [a, b] = await two();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const l = await (i % 2 ? a : b).lock('agent_9', { waitMs: 20_000 });
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 30));
        await l.verify();
        inside--;
        await l.release();
      }),
    );
    expect(most).toBe(1);
  });
});
