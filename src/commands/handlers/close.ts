import { EXIT, OrderError, UsageError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import { formatViolations } from '../../risk/index.js';
import { closePosition } from '../../trading/positions.js';
import { parsePositive, parseTicket } from '../args.js';
import type { CloseArgs, CloseOptions } from '../close.js';
import type { Context } from '../context.js';
import { withBridges } from '../run.js';
import { findAgent } from '../select.js';

export async function close(args: CloseArgs, flags: CloseOptions, ctx: Context): Promise<void> {
  const config = await ctx.config();
  const agent = findAgent(config, args.agent);
  const ticket = parseTicket(args.ticket);
  const lots = flags.lots === undefined ? undefined : parsePositive(flags.lots, '--lots');
  const store = await ctx.store();
  const result = await withBridges(ctx, [agent], (bridges) =>
    closePosition({ store, agent, bridge: bridges.get(agent.id), symbols: config.symbols, notify: (m) => ctx.info(m) }, ticket, lots),
  );
  if (result.journal_error) ctx.warn(`the journal could not be written: ${result.journal_error}`);
  if (result.status === 'denied') {
    if (ctx.json)
      ctx.write(toJson({ agent_id: agent.id, status: 'denied', ticket, violations: result.decision.violations.map((v) => v.code) }));
    throw new UsageError(`the close of ticket ${ticket} on ${agent.id} was refused; nothing was sent`, {
      problems: formatViolations(result.decision),
    });
  }
  if (ctx.json) ctx.write(toJson({ agent_id: agent.id, ...result }));
  switch (result.status) {
    case 'already_closed':
      if (!ctx.json)
        ctx.write(`ticket ${ticket} on ${agent.id} is already closed${'price' in result && result.price ? ` (at ${result.price})` : ''}\n`);
      return;
    case 'done':
      if (!ctx.json)
        ctx.write(
          `closed ${result.lots} of ticket ${ticket} (${result.symbol}) on ${agent.id}${result.price ? ` at ${result.price}` : ''}` +
            `${result.new_ticket ? `; the remainder is now ticket ${result.new_ticket}` : ''}\n`,
        );
      return;
    case 'failed':
      throw new OrderError(
        `could not close ticket ${ticket} on ${agent.id}: ${result.code !== null ? `MT4 error ${result.code}, ` : ''}${result.message}`,
        result.code === null ? EXIT.BRIDGE : EXIT.REJECTED,
      );
    case 'unknown':
      throw new OrderError(`whether ticket ${ticket} on ${agent.id} was closed is unknown: ${result.message}`, EXIT.UNKNOWN, {
        hint: `Check \`mt4gw positions ${agent.id}\`.`,
      });
  }
}
