import * as f from '../../output/format.js';
import { toJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import type { StateEntry } from '../../state/model.js';
import { status as readStatus } from '../../trading/read.js';
import type { Context } from '../context.js';
import { failIfOffline, withBridges } from '../run.js';
import { selectAgents } from '../select.js';
import type { StatusArgs } from '../status.js';

export async function status(args: StatusArgs, _options: unknown, ctx: Context): Promise<void> {
  const agents = selectAgents(await ctx.config(), args.agents);
  const store = await ctx.store();
  const trading = await store.readState();
  const rows = await withBridges(ctx, agents, (bridges) => readStatus(agents, bridges, trading, store));
  if (ctx.json) ctx.write(toJson(rows));
  else {
    ctx.write(
      renderTable(
        [
          { header: 'AGENT', value: (r) => r.agent_id },
          { header: 'NAME', value: (r) => r.name },
          { header: 'STATUS', value: (r) => r.status, color: (r, t, c) => (r.status === 'online' ? c.green(t) : c.red(t)) },
          { header: 'LATENCY', value: (r) => f.ms(r.latency_ms), align: 'right' },
          { header: 'SERVER TIME', value: (r) => f.time(r.server_time) },
          {
            header: 'AUTOTRADING',
            value: (r) => (r.trade_allowed === null ? '-' : r.trade_allowed ? 'allowed' : 'disabled'),
            color: (r, t, c) => (r.trade_allowed === false ? c.yellow(t) : t),
          },
          { header: 'TRADING', value: (r) => r.trading, color: (r, t, c) => tradingColor(r.trading, t, c) },
          { header: 'ENABLED', value: (r) => (r.enabled ? 'yes' : 'no') },
          { header: 'REASON', value: (r) => r.error ?? (r.trading_scope === 'agent' ? (r.trading_reason ?? '') : '') },
        ],
        rows,
        ctx.out,
      ),
    );
    deskLine(ctx, trading.global);
  }
  failIfOffline(
    rows.filter((r) => r.status === 'offline'),
    rows.length,
  );
}

export function tradingColor(state: string, text: string, c: Context['out']): string {
  return state === 'halted' ? c.red.bold(text) : state === 'reducing' ? c.yellow(text) : text;
}

/** The desk-wide trading state, one line on stderr under a table. */
export function deskLine(ctx: Context, desk: StateEntry): void {
  if (desk.state === 'active') {
    ctx.info(`desk trading: active`);
    return;
  }
  const what = desk.state === 'halted' ? 'no new orders' : 'no new exposure, closes and stop changes only';
  const by = `${desk.by ? ` by ${desk.by}` : ''}${desk.at ? ` at ${desk.at}` : ''}${desk.reason ? `: ${desk.reason}` : ''}`;
  ctx.info(`${tradingColor(desk.state, `desk trading: ${desk.state.toUpperCase()}${by}`, ctx.err)} (${what} until \`mt4gw resume\`)`);
}
