// Prometheus text exposition format (version 0.0.4) for node_exporter's textfile collector.
import type { GlobalSummary } from '../trading/read.js';
import { stateRank } from '../state/model.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'NaN';
}

export function summaryToPrometheus(s: GlobalSummary): string {
  const out: string[] = [];
  const gauge = (name: string, help: string, samples: Array<[labels: Record<string, string>, value: number]>) => {
    if (samples.length === 0) return;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${num(value)}`);
    }
  };
  const label = (a: { agent_id: string; name: string }) => ({ agent: a.agent_id, name: a.name });
  const online = s.agents.filter((a) => a.status === 'online');
  gauge(
    'mt4gw_up',
    "Whether the agent's EA Bridge answered (1) or not (0).",
    s.agents.map((a) => [label(a), a.status === 'online' ? 1 : 0]),
  );
  gauge('mt4gw_agents_online', 'Agents whose bridge answered.', [[{}, s.agents_online]]);
  gauge('mt4gw_agents_offline', 'Agents whose bridge did not answer.', [[{}, s.agents_offline]]);
  gauge('mt4gw_total_positions', 'Open positions over the agents that answered.', [[{}, s.total_positions]]);
  // Offline agents have no balance: they are left out rather than reported as zero.
  const withCurrency = (a: (typeof online)[number]) => ({ ...label(a), currency: a.currency ?? '' });
  gauge(
    'mt4gw_balance',
    'Account balance, in the account currency.',
    online.map((a) => [withCurrency(a), a.balance ?? NaN]),
  );
  gauge(
    'mt4gw_equity',
    'Account equity, in the account currency.',
    online.map((a) => [withCurrency(a), a.equity ?? NaN]),
  );
  gauge(
    'mt4gw_profit',
    'Floating profit of open positions, in the account currency.',
    online.map((a) => [withCurrency(a), a.profit ?? NaN]),
  );
  gauge(
    'mt4gw_positions',
    'Open positions.',
    online.map((a) => [label(a), a.open_positions ?? 0]),
  );
  // The trading state is local (the state directory): known for every agent, online or not.
  gauge(
    'mt4gw_trading_state',
    "mt4gw's trading state in force for the agent: 0 active, 1 reducing, 2 halted.",
    s.agents.map((a) => [label(a), stateRank(a.trading)]),
  );
  gauge('mt4gw_desk_trading_state', "mt4gw's desk-wide trading state: 0 active, 1 reducing, 2 halted.", [
    [{}, stateRank(s.desk_trading.state)],
  ]);
  return `${out.join('\n')}\n`;
}
