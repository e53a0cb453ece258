import type { Command } from 'commander';
import { toJson } from '../output/json.js';
import { contextOf, examples, findAgent, withBridges } from './run.js';

export function register(program: Command): void {
  program
    .command('account')
    .argument('<agent>', 'agent id')
    .description("the agent's MT4 account: balance, equity, margin, free margin, profit")
    .addHelpText('after', examples(['mt4gw account agent_1', 'mt4gw account agent_1 --json | jq .equity']))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      const agent = findAgent(await ctx.config(), id);
      const account = await withBridges(ctx, [agent], (b) => b.get(agent.id).account());
      if (ctx.json) return ctx.write(toJson({ agent_id: agent.id, ...account }));
      const [{ renderTable }, f] = await Promise.all([import('../output/table.js'), import('../output/format.js')]);
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
    });
}
