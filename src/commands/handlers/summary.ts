import { UsageError } from '../../errors.js';
import * as f from '../../output/format.js';
import { toJson } from '../../output/json.js';
import { summaryToPrometheus } from '../../output/prometheus.js';
import { renderTable } from '../../output/table.js';
import { summary as readSummary } from '../../trading/read.js';
import type { Context } from '../context.js';
import { failIfOffline, withBridges } from '../run.js';
import { selectAgents } from '../select.js';
import type { SummaryArgs, SummaryOptions } from '../summary.js';
import { deskLine, tradingColor } from './status.js';

export async function summary(args: SummaryArgs, opts: SummaryOptions, ctx: Context): Promise<void> {
  if (ctx.json && opts.format && opts.format !== 'json')
    throw new UsageError(`--json and --format ${opts.format} contradict each other`, { hint: 'Give one of them.' });
  const format = ctx.json ? 'json' : (opts.format ?? 'table');
  const agents = selectAgents(await ctx.config(), args.agents);
  const store = await ctx.store();
  const trading = await store.readState();
  const s = await withBridges(ctx, agents, (bridges) => readSummary(agents, bridges, trading, store));
  if (format === 'json') ctx.write(toJson(s));
  else if (format === 'prometheus') ctx.write(summaryToPrometheus(s));
  else {
    ctx.write(
      renderTable(
        [
          { header: 'AGENT', value: (r) => r.agent_id },
          { header: 'NAME', value: (r) => r.name },
          { header: 'STATUS', value: (r) => r.status, color: (r, t, c) => (r.status === 'online' ? c.green(t) : c.red(t)) },
          { header: 'BALANCE', value: (r) => f.money(r.balance), align: 'right' },
          { header: 'EQUITY', value: (r) => f.money(r.equity), align: 'right' },
          {
            header: 'PROFIT',
            value: (r) => f.money(r.profit),
            align: 'right',
            color: (r, t, c) => ((r.profit ?? 0) < 0 ? c.red(t) : t),
          },
          { header: 'POSITIONS', value: (r) => (r.open_positions === null ? '-' : String(r.open_positions)), align: 'right' },
          { header: 'TRADING', value: (r) => r.trading, color: (r, t, c) => tradingColor(r.trading, t, c) },
          { header: 'STRATEGY', value: (r) => r.strategy ?? '-' },
          { header: 'NOTE', value: (r) => r.error ?? (r.enabled ? '' : 'disabled') },
        ],
        s.agents,
        ctx.out,
        [
          'TOTAL',
          `${s.agents_online}/${s.agents.length} online`,
          '',
          f.money(s.total_balance),
          f.money(s.total_equity),
          f.money(s.total_profit),
          String(s.total_positions),
          '',
          s.currency ?? (s.agents_online ? 'mixed currencies' : ''),
          '',
        ],
      ),
    );
    deskLine(ctx, s.desk_trading);
  }
  failIfOffline(
    s.agents.filter((a) => a.status === 'offline'),
    s.agents.length,
  );
}
