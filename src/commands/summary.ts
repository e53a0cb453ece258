import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { toJson } from '../output/json.js';
import { contextOf, examples, failIfOffline, selectAgents, withBridges } from './run.js';

export function register(program: Command): void {
  program
    .command('summary')
    .argument('[agents...]', 'agent ids (default: every agent)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'prometheus']))
    .description('totals over every agent (balance, equity, profit, positions) and a row per agent')
    .addHelpText(
      'after',
      `${examples([
        'mt4gw summary',
        'mt4gw summary --json',
        'mt4gw summary --format prometheus > /var/lib/node_exporter/textfile/mt4gw.prom.$$ && mv /var/lib/node_exporter/textfile/mt4gw.prom.$$ /var/lib/node_exporter/textfile/mt4gw.prom',
      ])}\nExit code 3 when an agent did not answer (the others are still shown).\n`,
    )
    .action(async (ids: string[], opts: { format?: 'table' | 'json' | 'prometheus' }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (ctx.json && opts.format && opts.format !== 'json')
        throw new UsageError(`--json and --format ${opts.format} contradict each other`, { hint: 'Give one of them.' });
      const format = ctx.json ? 'json' : (opts.format ?? 'table');
      const agents = selectAgents(await ctx.config(), ids);
      const store = await ctx.store();
      const trading = await store.readState();
      const s = await withBridges(ctx, agents, async (bridges) =>
        (await import('../trading/read.js')).summary(agents, bridges, trading, store),
      );
      if (format === 'json') ctx.write(toJson(s));
      else if (format === 'prometheus') ctx.write((await import('../output/prometheus.js')).summaryToPrometheus(s));
      else {
        const [{ renderTable }, f, { deskLine, tradingColor }] = await Promise.all([
          import('../output/table.js'),
          import('../output/format.js'),
          import('./status.js'),
        ]);
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
    });
}
