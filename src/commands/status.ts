import type { Command } from 'commander';
import { toJson } from '../output/json.js';
import { contextOf, examples, failIfOffline, selectAgents, withBridges } from './run.js';

export function register(program: Command): void {
  program
    .command('status')
    .argument('[agents...]', 'agent ids (default: every agent)')
    .description('is each bridge online: latency, server time, whether trading is allowed')
    .addHelpText('after', examples(['mt4gw status', 'mt4gw status agent_1 agent_3', 'mt4gw status --json']))
    .action(async (ids: string[], _opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      const agents = selectAgents(await ctx.config(), ids);
      const rows = await withBridges(ctx, agents, async (bridges) => (await import('../trading/read.js')).status(agents, bridges));
      if (ctx.json) ctx.write(toJson(rows));
      else {
        const [{ renderTable }, f] = await Promise.all([import('../output/table.js'), import('../output/format.js')]);
        ctx.write(
          renderTable(
            [
              { header: 'AGENT', value: (r) => r.agent_id },
              { header: 'NAME', value: (r) => r.name },
              { header: 'STATUS', value: (r) => r.status, color: (r, t, c) => (r.status === 'online' ? c.green(t) : c.red(t)) },
              { header: 'LATENCY', value: (r) => f.ms(r.latency_ms), align: 'right' },
              { header: 'SERVER TIME', value: (r) => f.time(r.server_time) },
              { header: 'TRADING', value: (r) => (r.trade_allowed === null ? '-' : r.trade_allowed ? 'allowed' : 'disabled'), color: (r, t, c) => (r.trade_allowed === false ? c.yellow(t) : t) },
              { header: 'ENABLED', value: (r) => (r.enabled ? 'yes' : 'no') },
              { header: 'REASON', value: (r) => r.error ?? '' },
            ],
            rows,
            ctx.out,
          ),
        );
      }
      failIfOffline(rows.filter((r) => r.status === 'offline'), rows.length);
    });
}
