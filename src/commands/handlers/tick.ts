import { BridgeError } from '../../bridge/errors.js';
import { UsageError } from '../../errors.js';
import * as f from '../../output/format.js';
import { toJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import { parseSymbol } from '../args.js';
import type { Context } from '../context.js';
import { withBridges } from '../run.js';
import { findAgent } from '../select.js';
import type { TickArgs } from '../tick.js';

export async function tick(args: TickArgs, _options: unknown, ctx: Context): Promise<void> {
  const agent = findAgent(await ctx.config(), args.agent);
  const symbol = parseSymbol(args.symbol);
  const quote = await withBridges(ctx, [agent], async (b) => {
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
  if (ctx.json) return ctx.write(toJson({ agent_id: agent.id, ...quote }));
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
      [quote],
      ctx.out,
    ),
  );
}
