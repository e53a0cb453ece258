import type { Command } from 'commander';
import { EXIT, OrderError, UsageError } from '../errors.js';
import { toJson } from '../output/json.js';
import { contextOf, examples, findAgent, parsePositive, parseTicket, withBridges } from './run.js';

/** `--sl 2640` sets, `--sl none` removes, no flag keeps. */
function parseStop(text: string | undefined, flag: string): number | null | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === 'none') return null;
  return parsePositive(text, flag);
}

export function register(program: Command): void {
  program
    .command('modify')
    .argument('<agent>', 'agent id')
    .argument('<ticket>', 'ticket of the open position')
    .option('--sl <price|none>', 'new stop loss (none removes it)')
    .option('--tp <price|none>', 'new take profit (none removes it)')
    .description("change an open position's stop loss and/or take profit")
    .addHelpText(
      'after',
      examples(['mt4gw modify agent_1 12345 --sl 2645', 'mt4gw modify agent_1 12345 --tp none']) +
        '\nSide and stop level are checked before anything is sent. While trading is halted, a stop loss may only be added or tightened.\n',
    )
    .action(async (agentId: string, ticketText: string, flags: { sl?: string; tp?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const config = await ctx.config();
      const agent = findAgent(config, agentId);
      const ticket = parseTicket(ticketText);
      const sl = parseStop(flags.sl, '--sl');
      const tp = parseStop(flags.tp, '--tp');
      if (sl === undefined && tp === undefined)
        throw new UsageError('nothing to change: give --sl and/or --tp', {
          hint: 'Example: mt4gw modify agent_1 12345 --sl 2645 (or --sl none to remove it).',
        });
      const [{ modifyPosition }, store, risk] = await Promise.all([
        import('../trading/positions.js'),
        ctx.store(),
        import('../risk/index.js'),
      ]);
      const result = await withBridges(ctx, [agent], (bridges) =>
        modifyPosition(
          { store, agent, bridge: bridges.get(agent.id), symbols: config.symbols, notify: (m) => ctx.info(m) },
          ticket,
          sl,
          tp,
        ),
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
    });
}
