import { EXIT, OrderError, UsageError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import * as risk from '../../risk/index.js';
import { modifyPosition } from '../../trading/positions.js';
import { parsePositive, parseTicket } from '../args.js';
import type { Context } from '../context.js';
import type { ModifyArgs, ModifyOptions } from '../modify.js';
import { withBridges } from '../run.js';
import { findAgent } from '../select.js';

/** `--sl 2640` sets, `--sl none` removes, no flag keeps. */
function parseStop(text: string | undefined, flag: string): number | null | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === 'none') return null;
  return parsePositive(text, flag);
}

export async function modify(args: ModifyArgs, flags: ModifyOptions, ctx: Context): Promise<void> {
  const config = await ctx.config();
  const agent = findAgent(config, args.agent);
  const ticket = parseTicket(args.ticket);
  const sl = parseStop(flags.sl, '--sl');
  const tp = parseStop(flags.tp, '--tp');
  if (sl === undefined && tp === undefined)
    throw new UsageError('nothing to change: give --sl and/or --tp', {
      hint: 'Example: mt4gw modify agent_1 12345 --sl 2645 (or --sl none to remove it).',
    });
  const store = await ctx.store();
  const result = await withBridges(ctx, [agent], (bridges) =>
    modifyPosition({ store, agent, bridge: bridges.get(agent.id), symbols: config.symbols, notify: (m) => ctx.info(m) }, ticket, sl, tp),
  );
  if (result.journal_error) ctx.warn(`the journal could not be written: ${result.journal_error}`);
  if (result.status === 'denied') {
    if (ctx.json)
      ctx.write(toJson({ agent_id: agent.id, status: 'denied', ticket, violations: result.decision.violations.map((v) => v.code) }));
    throw new OrderError(`modify of ticket ${ticket} on ${agent.id} denied by the risk checks; nothing was sent`, EXIT.DENIED, {
      problems: risk.formatViolations(result.decision),
    });
  }
  if (ctx.json) ctx.write(toJson({ agent_id: agent.id, ...result }));
  if (result.status === 'done') {
    if (!ctx.json)
      ctx.write(
        `ticket ${ticket} on ${agent.id}: SL ${result.old_sl ?? 'none'} → ${result.sl ?? 'none'}, TP ${result.old_tp ?? 'none'} → ${result.tp ?? 'none'}\n`,
      );
    return;
  }
  if (result.status === 'already_closed')
    throw new OrderError(`ticket ${ticket} on ${agent.id} was closed before the change reached it`, EXIT.REJECTED);
  if (result.status === 'unknown')
    throw new OrderError(`whether ticket ${ticket} on ${agent.id} was modified is unknown: ${result.message}`, EXIT.UNKNOWN, {
      hint: `Check \`mt4gw positions ${agent.id}\`.`,
    });
  throw new OrderError(
    `could not modify ticket ${ticket} on ${agent.id}: ${result.code !== null ? `MT4 error ${result.code}, ` : ''}${result.message}`,
    result.code === null ? EXIT.BRIDGE : EXIT.REJECTED,
  );
}
