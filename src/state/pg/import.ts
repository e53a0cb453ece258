// `mt4gw state import`: a machine's local desk state (the files store in its state directory) into
// the desk database, in one transaction — the journal, the orders in flight with their order rows,
// and the trading state (never loosened: an entry is taken only where it is stricter than the
// database's). Journal records carry an import key (this host and the record's hash, numbered when
// one record appears twice), so importing the same journal again adds nothing. Once committed, the
// local files are renamed aside (`*.imported-<time>`): the local trading state would otherwise go on
// binding this machine as a fallback halt. Refused while a local lock is held: an mt4gw process
// still trading on local files here would write past the import.
import { createHash } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { FilesStore } from '../files/store.js';
import { isAlive } from '../proc.js';
import { provenNotOpened, stateRank, type StateEntry } from '../model.js';
import type { JournalRecord } from '../store.js';
import type { PgStore } from './store.js';

export interface ImportReport {
  from: string;
  into: string;
  journal: { read: number; added: number; already: number; unreadable: number };
  pending: { read: number; added: number };
  orders: number;
  /** Scopes whose stricter local state was taken ('desk' or an agent id). */
  state: string[];
  /** The local files renamed aside. */
  moved: string[];
}

export async function importLocal(pg: PgStore, local: FilesStore): Promise<ImportReport> {
  // A lock left by a process that is gone holds nothing (the files store takes such locks over).
  const held = (await local.locks()).filter((h) => h.host !== hostname() || isAlive(h.pid));
  if (held.length > 0) {
    throw new UsageError(
      `an mt4gw process on this machine holds a local lock (${held.map((h) => `${h.name}: pid ${h.pid}`).join(', ')}); nothing was imported`,
      { hint: 'Let it finish (or stop it), then run `mt4gw state import` again.' },
    );
  }
  const { records, skipped } = await local.query();
  const markers = await local.pending();
  const localState = await local.readState();
  const host = hostname();
  const seen = new Map<string, number>();
  const keyed = records.map((r) => {
    const h = createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 32);
    const n = (seen.get(h) ?? 0) + 1;
    seen.set(h, n);
    return { r, key: `${host}:${h}${n > 1 ? `#${n}` : ''}` };
  });
  const results = new Map<string, JournalRecord>();
  for (const r of records) if (r.event === 'result' && r.order_id) results.set(`${r.agent}/${r.order_id}`, r);

  const report: ImportReport = {
    from: local.where,
    into: pg.where,
    journal: { read: records.length, added: 0, already: 0, unreadable: skipped },
    pending: { read: markers.length, added: 0 },
    orders: 0,
    state: [],
    moved: [],
  };
  await pg.transaction('written (import)', async (c) => {
    for (const { r, key } of keyed) {
      const q = await c.query(
        `INSERT INTO mt4gw.journal (ts, event, agent, order_id, signal_id, record, imported_key) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (imported_key) WHERE imported_key IS NOT NULL DO NOTHING`,
        [
          Number.isFinite(Date.parse(r.ts)) ? r.ts : new Date(0).toISOString(),
          r.event,
          r.agent ?? null,
          r.order_id ?? null,
          typeof r.signal_id === 'string' ? r.signal_id : null,
          JSON.stringify(r),
          key,
        ],
      );
      if (q.rowCount) report.journal.added++;
      else report.journal.already++;
    }
    for (const r of records) {
      if (r.event !== 'intent' || !r.order_id || !r.agent) continue;
      const result = results.get(`${r.agent}/${r.order_id}`);
      const q = await c.query(
        `INSERT INTO mt4gw.orders (agent, order_id, signal_id, created_at, outcome, proven_not_opened, resolved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [
          r.agent,
          r.order_id,
          typeof r.signal_id === 'string' ? r.signal_id : null,
          r.ts,
          typeof result?.outcome === 'string' ? result.outcome : null,
          provenNotOpened(result),
          result?.ts ?? null,
        ],
      );
      report.orders += q.rowCount ?? 0;
    }
    for (const m of markers) {
      const q = await c.query('INSERT INTO mt4gw.pending (agent, order_id, ts, marker) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        m.agent,
        m.order_id,
        m.ts && Number.isFinite(Date.parse(m.ts)) ? m.ts : new Date().toISOString(),
        JSON.stringify(m),
      ]);
      report.pending.added += q.rowCount ?? 0;
    }
    const current = new Map(
      (await c.query<{ scope: string; state: StateEntry['state'] }>('SELECT scope, state FROM mt4gw.trading_state')).rows.map((row) => [
        row.scope,
        row.state,
      ]),
    );
    const entries: Array<[string, StateEntry]> = [['*', localState.global], ...Object.entries(localState.agents)];
    for (const [scope, e] of entries) {
      if (stateRank(e.state) <= stateRank(current.get(scope) ?? 'active')) continue;
      await c.query(
        `INSERT INTO mt4gw.trading_state (scope, state, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (scope) DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason, set_by = EXCLUDED.set_by,
           set_at = EXCLUDED.set_at, updated = now()`,
        [scope, e.state, `${e.reason} (imported from ${host})`, e.by, e.at],
      );
      report.state.push(scope === '*' ? 'desk' : scope);
    }
    if (report.state.length > 0) {
      await c.query('SELECT pg_notify($1, $2)', [
        'mt4gw_state',
        JSON.stringify({ scopes: report.state.map((s) => ({ scope: s })), by: `import from ${host}`, reason: 'import' }),
      ]);
    }
  });
  // Committed: move the local files aside so they no longer bind this machine nor look current.
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const name of ['journal.jsonl', 'trading-state.json', 'pending']) {
    const p = join(local.where, name);
    if (!existsSync(p)) continue;
    const aside = join(local.where, `${name}.imported-${stamp}`);
    renameSync(p, aside);
    report.moved.push(aside);
  }
  return report;
}
