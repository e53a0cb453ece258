import type { Command } from 'commander';
import { BridgeError } from '../bridge/errors.js';
import { UsageError } from '../errors.js';
import { toJson } from '../output/json.js';
import { contextOf, examples, findAgent, parseSymbol, withBridges } from './run.js';

export function register(program: Command): void {
  program
    .command('tick')
    .argument('<agent>', 'agent id')
    .argument('<symbol>', 'symbol, e.g. XAUUSD')
    .description('the current bid, ask and spread of a symbol on an agent')
    .addHelpText('after', examples(['mt4gw tick agent_1 XAUUSD', 'mt4gw tick agent_3 usdjpy --json']))
    .action(async (id: string, symbolText: string, _opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      const agent = findAgent(await ctx.config(), id);
      const symbol = parseSymbol(symbolText);
      const tick = await withBridges(ctx, [agent], async (b) => {
        try {
          return await b.get(agent.id).tick(symbol);
        } catch (e) {
          if (e instanceof BridgeError && e.kind === 'unknown_symbol') {
            throw new UsageError(`${agent.id} does not know the symbol ${symbol}`, {
              hint: `The terminal's Market Watch names it differently, or the broker does not offer it. ${agent.id} trades ${agent.strategy.pairs.join(', ')}.`,
            });
          }
          throw e;
        }
      });
      if (ctx.json) return ctx.write(toJson({ agent_id: agent.id, ...tick }));
      const [{ renderTable }, f] = await Promise.all([import('../output/table.js'), import('../output/format.js')]);
      ctx.write(
        renderTable(
          [
            { header: 'AGENT', value: () => agent.id },
            { header: 'SYMBOL', value: (t) => t.symbol },
            { header: 'BID', value: (t) => f.price(t.bid), align: 'right' },
            { header: 'ASK', value: (t) => f.price(t.ask), align: 'right' },
            { header: 'SPREAD', value: (t) => `${t.spread} pts`, align: 'right' },
            { header: 'TIME', value: (t) => f.time(t.timestamp) },
          ],
          [tick],
          ctx.out,
        ),
      );
    });
}
