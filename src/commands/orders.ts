import type { Command } from 'commander';
import { toJson } from '../output/json.js';
import { contextOf, examples, failIfOffline, selectAgents, withBridges } from './run.js';

export function register(program: Command): void {
  program
    .command('orders')
    .argument('[agents...]', 'agent ids (default: every agent)')
    .description('pending orders (limit and stop orders not yet triggered)')
    .addHelpText('after', examples(['mt4gw orders', 'mt4gw orders agent_2 --json']))
    .action(async (ids: string[], _opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      const agents = selectAgents(await ctx.config(), ids);
      const { rows, offline } = await withBridges(ctx, agents, async (bridges) =>
        (await import('../trading/read.js')).gather(agents, bridges, (b) => b.orders()),
      );
      if (ctx.json) ctx.write(toJson({ orders: rows, offline }));
      else {
        const [{ renderTable }, f] = await Promise.all([import('../output/table.js'), import('../output/format.js')]);
        if (rows.length === 0) ctx.info('No pending orders.');
        else
          ctx.write(
            renderTable(
              [
                { header: 'AGENT', value: (r) => r.agent_id },
                { header: 'TICKET', value: (r) => String(r.ticket), align: 'right' },
                { header: 'SYMBOL', value: (r) => r.symbol },
                { header: 'TYPE', value: (r) => r.type },
                { header: 'LOTS', value: (r) => f.lots(r.lots), align: 'right' },
                { header: 'PRICE', value: (r) => f.price(r.open_price), align: 'right' },
                { header: 'SL', value: (r) => f.price(r.sl), align: 'right' },
                { header: 'TP', value: (r) => f.price(r.tp), align: 'right' },
                { header: 'EXPIRES', value: (r) => f.time(r.expiration) },
                { header: 'COMMENT', value: (r) => r.comment },
              ],
              rows,
              ctx.out,
            ),
          );
      }
      failIfOffline(offline, agents.length);
    });
}
