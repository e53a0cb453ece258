import { whereOf } from '../../config/transports.js';
import * as f from '../../output/format.js';
import { toJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import type { Context } from '../context.js';

export async function agents(_args: unknown, _options: unknown, ctx: Context): Promise<void> {
  const config = await ctx.config();
  const rows = config.agents.map((a) => ({
    id: a.id,
    name: a.name,
    description: a.description,
    enabled: a.enabled,
    transport: a.mt4.transport,
    host: a.mt4.transport === 'metaapi' ? null : a.mt4.host,
    port: a.mt4.transport === 'rest' ? a.mt4.port : a.mt4.transport === 'dwx' ? a.mt4.push_port : null,
    account_id: a.mt4.transport === 'metaapi' ? a.mt4.account_id : null,
    where: whereOf(a.mt4),
    account: a.mt4.account ?? null,
    server: a.mt4.server ?? null,
    token: a.mt4.token ? (a.mt4.token.kind === 'env' ? `env ${a.mt4.token.variable}` : `file ${a.mt4.token.path}`) : null,
    strategy: a.strategy.type ?? null,
    pairs: a.risk.allowed_pairs ?? a.strategy.pairs,
    timeframe: a.strategy.timeframe ?? null,
    max_positions: a.risk.max_positions,
    max_risk_per_trade: a.risk.max_risk_per_trade,
    max_daily_loss: a.risk.max_daily_loss,
    lot_size: a.risk.lot_size ?? null,
    max_lots: a.risk.max_lots ?? null,
  }));
  if (ctx.json) return ctx.write(toJson(rows));
  ctx.write(
    renderTable(
      [
        { header: 'AGENT', value: (r) => r.id },
        { header: 'NAME', value: (r) => r.name },
        { header: 'ENABLED', value: (r) => (r.enabled ? 'yes' : 'no'), color: (r, t, c) => (r.enabled ? t : c.yellow(t)) },
        { header: 'BRIDGE', value: (r) => r.where },
        { header: 'STRATEGY', value: (r) => r.strategy ?? '-' },
        { header: 'PAIRS', value: (r) => r.pairs.join(',') },
        { header: 'MAX POS', value: (r) => String(r.max_positions), align: 'right' },
        { header: 'RISK/TRADE', value: (r) => f.percent(r.max_risk_per_trade, 1), align: 'right' },
        { header: 'DAILY LOSS', value: (r) => f.percent(r.max_daily_loss, 1), align: 'right' },
        { header: 'LOTS', value: (r) => (r.lot_size === null ? '-' : f.lots(r.lot_size)), align: 'right' },
      ],
      rows,
      ctx.out,
    ),
  );
}
