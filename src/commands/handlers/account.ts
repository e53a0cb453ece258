import * as f from '../../output/format.js';
import { toJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import type { AccountArgs } from '../account.js';
import type { Context } from '../context.js';
import { withBridges } from '../run.js';
import { findAgent } from '../select.js';

export async function account(args: AccountArgs, _options: unknown, ctx: Context): Promise<void> {
  const agent = findAgent(await ctx.config(), args.agent);
  const account = await withBridges(ctx, [agent], (b) => b.get(agent.id).account());
  if (ctx.json) return ctx.write(toJson({ agent_id: agent.id, ...account }));
  const rows: [string, string][] = [
    ['agent', `${agent.id} (${agent.name})`],
    ['login', `${account.login} ${account.name}`],
    ['server', account.server],
    ['currency', account.currency],
    ['leverage', `1:${account.leverage}`],
    ['balance', f.money(account.balance)],
    ['equity', f.money(account.equity)],
    ['profit', f.money(account.profit)],
    ['margin', f.money(account.margin)],
    ['free margin', f.money(account.free_margin)],
    ['margin level', account.margin_level === 0 ? '-' : `${account.margin_level.toFixed(2)}%`],
    ['server time', f.time(account.server_time)],
    ['trading', account.trade_allowed ? 'allowed' : 'disabled'],
  ];
  ctx.write(
    renderTable(
      [
        { header: 'FIELD', value: (r) => r[0] },
        {
          header: 'VALUE',
          value: (r) => r[1],
          color: (r, t, c) => (r[0] === 'profit' ? (account.profit < 0 ? c.red(t) : c.green(t)) : t),
        },
      ],
      rows,
      ctx.out,
    ),
  );
}
