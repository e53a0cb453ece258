import type { Command } from 'commander';
import { missing } from '../bridge/transport.js';
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
      const [{ closeTicket }, { Journal, newOrderId }, { withAgentLock }, risk, symbols] = await Promise.all([
        import('../trading/close.js'),
        import('../trading/journal.js'),
        import('../trading/lock.js'),
        import('../risk/index.js'),
        import('../bridge/symbols.js'),
      ]);
      const journal = new Journal(ctx.env);
      const result = await withBridges(ctx, [agent], (bridges) =>
        withAgentLock(agent.id, { env: ctx.env, onWait: (m) => ctx.info(m), purpose: `close ${ticket}` }, async () => {
          const bridge = bridges.get(agent.id);
          const position = (await bridge.positions()).find((p) => p.ticket === ticket);
          if (!position) {
            const history = await bridge.history({ from: new Date(Date.now() - 30 * 86_400_000) });
            const closed = history?.find((t) => t.ticket === ticket);
            if (closed) return { status: 'already_closed' as const, ticket, price: closed.close_price, time: closed.close_time };
            const unchecked = history === undefined ? ` (whether it was closed cannot be checked: ${missing(bridge, 'history')})` : '';
            throw new UsageError(`${agent.id} has no open position with ticket ${ticket}${unchecked}; nothing was sent`, {
              hint: `\`mt4gw positions ${agent.id}\` lists the open tickets.`,
            });
          }
          if (lots !== undefined) {
            if (lots > position.lots + 1e-9)
              throw new UsageError(`--lots ${lots} is more than ticket ${ticket} holds (${position.lots}); nothing was sent`);
            const account = await bridge.account();
            const spec =
              (await bridge.symbol(position.symbol)) ??
              symbols.fallbackSpec(
                position.symbol,
                { price: position.current_price, leverage: account.leverage, accountCurrency: account.currency },
                config.symbols[position.symbol],
              );
            if (spec && !risk.isStepMultiple(lots, spec.lot_step))
              throw new UsageError(`--lots ${lots} is not a multiple of ${position.symbol}'s lot step ${spec.lot_step}; nothing was sent`);
            if (spec && lots < position.lots - 1e-9 && position.lots - lots < spec.min_lot - 1e-9) {
              throw new UsageError(
                `closing ${lots} of ${position.lots} would leave ${+(position.lots - lots).toFixed(8)} lots, below the minimum ${spec.min_lot}; nothing was sent`,
                { hint: 'Close all of it, or less of it.' },
              );
            }
          }
          const opId = newOrderId();
          journal.append({
            event: 'intent',
            order_id: opId,
            agent: agent.id,
            action: 'close',
            ticket,
            lots: lots ?? position.lots,
            symbol: position.symbol,
          });
          const o = await closeTicket(bridge, ticket, {
            journal,
            agent: agent.id,
            opId,
            deadline: Date.now() + 10_000,
            notify: (m) => ctx.info(m),
            lots,
          });
          journal.append({ event: 'result', order_id: opId, agent: agent.id, action: 'close', ticket, outcome: o.status });
          return { ...o, symbol: position.symbol, lots: lots ?? position.lots };
        }),
      );

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
