// How a signal and each agent's handling of it read for a person: a heading and a row per agent.
import type { ChalkInstance } from 'chalk';
import type { AgentResult, AgentStatus, Signal } from '../trading/signal.js';
import { lots, money, price } from './format.js';
import { renderTable } from './table.js';

const LABEL: Record<AgentStatus, string> = {
  opened: 'opened',
  would_open: 'would open',
  skipped: 'skipped',
  denied: 'denied',
  duplicate: 'already handled',
  unresolved: 'UNRESOLVED',
  failed: 'FAILED',
  unknown: 'UNKNOWN',
  unreachable: 'UNREACHABLE',
  error: 'ERROR',
};

export function signalLine(s: Signal): string {
  const parts = [
    `${s.side === 'buy' ? 'LONG' : 'SHORT'} ${s.symbol}`,
    `sl ${price(s.sl)}`,
    ...(s.tp !== undefined ? [`tp ${price(s.tp)}`] : []),
    ...(s.entry !== undefined ? [`entry ${price(s.entry)}`] : []),
    ...(s.confidence !== undefined ? [`confidence ${+(s.confidence * 100).toFixed(2)}%`] : []),
    ...(s.created_at !== undefined ? [`created ${s.created_at}`] : []),
  ];
  return `signal ${s.id}${s.derived_id ? ' (id derived from its content)' : ''}: ${parts.join('  ')}`;
}

function detail(r: AgentResult): string {
  switch (r.status) {
    case 'opened':
      return `at ${price(r.price)}, order ${r.order_id}${r.reconciled ? ' (confirmed by read-back)' : ''}`;
    case 'would_open':
      return `at ~${price(r.price)}`;
    default:
      return r.reason ?? '';
  }
}

export function renderSignalResults(signal: Signal, rows: AgentResult[], c: ChalkInstance): string {
  const table = renderTable(
    [
      { header: 'AGENT', value: (r: AgentResult) => r.agent_id },
      { header: 'NAME', value: (r) => r.name },
      {
        header: 'RESULT',
        value: (r) => LABEL[r.status],
        color: (r, t, k) =>
          r.status === 'opened' ? k.green(t) : r.exit_code !== 0 ? k.red(t) : r.status === 'denied' ? k.yellow(t) : k.dim(t),
      },
      {
        header: 'LOTS',
        value: (r) => (r.lots === null || (r.status !== 'opened' && r.status !== 'would_open') ? '' : lots(r.lots)),
        align: 'right',
      },
      { header: 'TICKET', value: (r) => (r.ticket === null ? '' : String(r.ticket)), align: 'right' },
      {
        header: 'RISK',
        value: (r) =>
          r.risk_money === null || (r.status !== 'opened' && r.status !== 'would_open')
            ? ''
            : `${money(r.risk_money)} ${r.currency ?? ''} (${r.risk_percent === null ? '-' : `${r.risk_percent.toFixed(2)}%`})`,
      },
      { header: 'DETAIL', value: detail },
    ],
    rows,
    c,
  );
  return `${c.bold(signalLine(signal))}\n${table}`;
}
