// Per-agent reports of close-all and panic: what was closed, deleted, is still open, and why.
import type { ChalkInstance } from 'chalk';
import type { FlattenReport } from '../trading/flatten.js';
import { renderTable } from './table.js';

export function renderFlatten(reports: FlattenReport[], c: ChalkInstance): string {
  const summary = renderTable(
    [
      { header: 'AGENT', value: (r: FlattenReport) => r.agent_id },
      {
        header: 'RESULT',
        value: (r) => (r.verified_flat ? 'flat (verified)' : !r.reached ? 'UNREACHABLE' : 'NOT FLAT'),
        color: (r, t, k) => (r.verified_flat ? k.green(t) : k.red(t)),
      },
      { header: 'CLOSED', value: (r) => String(r.closed.length), align: 'right' },
      { header: 'DELETED', value: (r) => String(r.deleted.length), align: 'right' },
      {
        header: 'STILL OPEN',
        value: (r) =>
          r.still_open.length ? r.still_open.map((s) => s.ticket).join(',') : r.verified_flat ? '0' : r.reached ? '-' : 'unknown',
        align: 'right',
      },
      { header: 'NOTE', value: (r) => r.error ?? '' },
    ],
    reports,
    c,
  );
  const rows = reports.flatMap((r) => [
    ...r.closed.map((o) => ({
      agent: r.agent_id,
      ticket: o.ticket,
      symbol: o.symbol,
      what: o.status === 'already_closed' ? 'already closed' : 'closed',
      detail: o.status === 'done' && o.price ? `at ${o.price}` : '',
    })),
    ...r.deleted.map((o) => ({
      agent: r.agent_id,
      ticket: o.ticket,
      symbol: o.symbol,
      what: o.status === 'already_closed' ? 'already gone' : 'deleted',
      detail: '',
    })),
    ...r.still_open.map((s) => ({
      agent: r.agent_id,
      ticket: s.ticket,
      symbol: s.symbol,
      what: `STILL OPEN (${s.kind})`,
      detail: s.last_error ?? '',
    })),
  ]);
  if (rows.length === 0) return summary;
  return `${summary}\n${renderTable(
    [
      { header: 'AGENT', value: (r: (typeof rows)[number]) => r.agent },
      { header: 'TICKET', value: (r) => String(r.ticket), align: 'right' },
      { header: 'SYMBOL', value: (r) => r.symbol },
      { header: 'RESULT', value: (r) => r.what, color: (r, t, k) => (r.what.startsWith('STILL') ? k.red(t) : t) },
      { header: 'DETAIL', value: (r) => r.detail },
    ],
    rows,
    c,
  )}`;
}
