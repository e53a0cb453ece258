import { missing } from '../../bridge/transport.js';
import { UsageError } from '../../errors.js';
import * as f from '../../output/format.js';
import { toJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import { parseTimeArg } from '../args.js';
import type { Context } from '../context.js';
import type { HistoryArgs, HistoryOptions } from '../history.js';
import { withBridges } from '../run.js';
import { findAgent } from '../select.js';

export async function history(args: HistoryArgs, opts: HistoryOptions, ctx: Context): Promise<void> {
  // The period first: a bad one is refused even before agents.yml is read.
  const now = Date.now();
  const from = opts.since === undefined ? undefined : parseTimeArg(opts.since, '--since', now);
  const to = opts.until === undefined ? undefined : parseTimeArg(opts.until, '--until', now);
  if (from && from.getTime() >= (to ?? new Date(now)).getTime())
    throw new UsageError(`--since must be before --until${to ? '' : ' (now, when --until is not given)'}`, {
      hint: `Got --since ${from.toISOString()} and --until ${(to ?? new Date(now)).toISOString()}.`,
    });
  const agent = findAgent(await ctx.config(), args.agent);
  const trades = await withBridges(ctx, [agent], async (b) => {
    const bridge = b.get(agent.id);
    const list = await bridge.history({ ...(from && { from }), ...(to && { to }) });
    if (list === undefined) {
      // Not an empty history: this transport has none (capabilities.history false).
      throw new UsageError(`${agent.id}: ${missing(bridge, 'history')}; nothing to list`, {
        hint: 'The DWX server EA has no command for closed trades: see them in the terminal (Account History). docs/transports.md lists what each transport can tell.',
      });
    }
    return list;
  });
  if (ctx.json) return ctx.write(toJson(trades.map((t) => ({ agent_id: agent.id, ...t }))));
  if (trades.length === 0) return ctx.info('No closed trades in that period.');
  const net = trades.reduce((s, t) => s + t.profit + t.swap + t.commission, 0);
  ctx.write(
    renderTable(
      [
        { header: 'TICKET', value: (t) => String(t.ticket), align: 'right' },
        { header: 'SYMBOL', value: (t) => t.symbol },
        { header: 'TYPE', value: (t) => t.type },
        { header: 'LOTS', value: (t) => f.lots(t.lots), align: 'right' },
        { header: 'OPEN', value: (t) => f.price(t.open_price), align: 'right' },
        { header: 'CLOSE', value: (t) => f.price(t.close_price), align: 'right' },
        {
          header: 'PROFIT',
          value: (t) => f.money(t.profit + t.swap + t.commission),
          align: 'right',
          color: (t, s, c) => (t.profit + t.swap + t.commission < 0 ? c.red(s) : c.green(s)),
        },
        { header: 'CLOSED', value: (t) => f.time(t.close_time) },
        { header: 'COMMENT', value: (t) => t.comment },
      ],
      trades,
      ctx.out,
      ['', '', '', '', '', 'net', f.money(net), `${trades.length} trades`, ''],
    ),
  );
}
