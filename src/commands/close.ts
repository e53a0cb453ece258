import type { Command } from 'commander';
import { EXIT, OrderError, UsageError } from '../errors.js';
import { toJson } from '../output/json.js';
import { contextOf, examples, findAgent, parsePositive, parseTicket, withBridges } from './run.js';

export function register(program: Command): void {
  program
    .command('close')
    .argument('<agent>', 'agent id')
    .argument('<ticket>', 'ticket of the open position')
    .option('--lots <lots>', 'close only this much of it (a partial close: MT4 gives the rest a new ticket)')
    .description('close an open position, or part of it')
    .addHelpText(
      'after',
      examples(['mt4gw close agent_1 12345', 'mt4gw close agent_3 12346 --lots 0.02']) +
        '\nA ticket that is already closed is reported as such (exit 0). Exit codes: 2 bad input, 3 bridge unreachable, 5 MT4 refused, 6 outcome unknown.\n',
    )
    .action(async (agentId: string, ticketText: string, flags: { lots?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const config = await ctx.config();
      const agent = findAgent(config, agentId);
      const ticket = parseTicket(ticketText);
      const lots = flags.lots === undefined ? undefined : parsePositive(flags.lots, '--lots');
      const [{ closePosition }, store] = await Promise.all([import('../trading/positions.js'), ctx.store()]);
      const result = await withBridges(ctx, [agent], (bridges) =>
        closePosition({ store, agent, bridge: bridges.get(agent.id), symbols: config.symbols, notify: (m) => ctx.info(m) }, ticket, lots),
      );
      if (result.journal_error) ctx.warn(`the journal could not be written: ${result.journal_error}`);
      if (result.status === 'denied') {
        if (ctx.json)
          ctx.write(toJson({ agent_id: agent.id, status: 'denied', ticket, violations: result.decision.violations.map((v) => v.code) }));
        const { formatViolations } = await import('../risk/index.js');
        throw new UsageError(`the close of ticket ${ticket} on ${agent.id} was refused; nothing was sent`, {
          problems: formatViolations(result.decision),
        });
      }
      if (ctx.json) ctx.write(toJson({ agent_id: agent.id, ...result }));
      switch (result.status) {
        case 'already_closed':
          if (!ctx.json)
            ctx.write(
              `ticket ${ticket} on ${agent.id} is already closed${'price' in result && result.price ? ` (at ${result.price})` : ''}\n`,
            );
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
    });
}
