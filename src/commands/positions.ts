import type { Command } from 'commander';
import { toJson } from '../output/json.js';
import { contextOf, examples, failIfOffline, selectAgents, withBridges } from './run.js';

export function register(program: Command): void {
  program
    .command('positions')
    .argument('[agents...]', 'agent ids (default: every agent)')
    .description('open market positions')
    .addHelpText('after', examples(['mt4gw positions', 'mt4gw positions agent_1', 'mt4gw positions --json | jq ".positions | length"']))
    .action(async (ids: string[], _opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      const agents = selectAgents(await ctx.config(), ids);
      const { rows, offline } = await withBridges(ctx, agents, async (bridges) =>
        (await import('../trading/read.js')).gather(agents, bridges, (b) => b.positions()),
      );
      if (ctx.json) ctx.write(toJson({ positions: rows, offline }));
      else {
        const [{ renderTable }, f] = await Promise.all([import('../output/table.js'), import('../output/format.js')]);
        if (rows.length === 0) ctx.info('No open positions.');
        else
          ctx.write(
            renderTable(
              [
                { header: 'AGENT', value: (r) => r.agent_id },
                { header: 'TICKET', value: (r) => String(r.ticket), align: 'right' },
                { header: 'SYMBOL', value: (r) => r.symbol },
                { header: 'TYPE', value: (r) => r.type },
                { header: 'LOTS', value: (r) => f.lots(r.lots), align: 'right' },
                { header: 'OPEN', value: (r) => f.price(r.open_price), align: 'right' },
                { header: 'PRICE', value: (r) => f.price(r.current_price), align: 'right' },
                { header: 'SL', value: (r) => f.price(r.sl), align: 'right' },
                { header: 'TP', value: (r) => f.price(r.tp), align: 'right' },
                { header: 'PROFIT', value: (r) => f.money(r.profit + r.swap + r.commission), align: 'right', color: (r, t, c) => (r.profit + r.swap + r.commission < 0 ? c.red(t) : c.green(t)) },
                { header: 'OPENED', value: (r) => f.time(r.open_time) },
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
