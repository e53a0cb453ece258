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
      const [
        { modifyTicket },
        { Journal, newOrderId },
        { withAgentLock },
        { effectiveState, readTradingState },
        risk,
        { applyOverride, fallbackSpec },
      ] = await Promise.all([
        import('../trading/close.js'),
        import('../trading/journal.js'),
        import('../trading/lock.js'),
        import('../trading/halt.js'),
        import('../risk/index.js'),
        import('../bridge/symbols.js'),
      ]);
      const journal = new Journal(ctx.env);
      const result = await withBridges(ctx, [agent], (bridges) =>
        withAgentLock(agent.id, { env: ctx.env, onWait: (m) => ctx.info(m), purpose: `modify ${ticket}` }, async () => {
          const bridge = bridges.get(agent.id);
          const [positions, account] = await Promise.all([bridge.positions(), bridge.account()]);
          const position = positions.find((p) => p.ticket === ticket);
          if (!position)
            throw new UsageError(`${agent.id} has no open position with ticket ${ticket}; nothing was sent`, {
              hint: `\`mt4gw positions ${agent.id}\` lists the open tickets.`,
            });
          const [quote, bridgeSpec] = await Promise.all([bridge.tick(position.symbol), bridge.symbol(position.symbol)]);
          const override = config.symbols[position.symbol];
          const spec = bridgeSpec
            ? applyOverride(bridgeSpec, override)
            : fallbackSpec(position.symbol, { price: quote.bid, leverage: account.leverage, accountCurrency: account.currency }, override);
          const trading = effectiveState(readTradingState(ctx.env), agent.id);
          const decision = risk.evaluateModify({ position, sl, tp, quote, spec, trading, now: Date.now() });
          if (!decision.allowed) {
            journal.append({
              event: 'decision',
              agent: agent.id,
              action: 'modify',
              ticket,
              allowed: false,
              violations: decision.violations.map((v) => v.code),
            });
            throw new OrderError(`modify of ticket ${ticket} on ${agent.id} denied by the risk checks; nothing was sent`, EXIT.DENIED, {
              problems: risk.formatViolations(decision),
            });
          }
          const opId = newOrderId();
          journal.append({
            event: 'intent',
            order_id: opId,
            agent: agent.id,
            action: 'modify',
            ticket,
            sl: sl ?? null,
            tp: tp ?? null,
            old_sl: position.sl,
            old_tp: position.tp,
          });
          const o = await modifyTicket(bridge, ticket, sl, tp, {
            journal,
            agent: agent.id,
            opId,
            deadline: Date.now() + 10_000,
            notify: (m) => ctx.info(m),
          });
          journal.append({ event: 'result', order_id: opId, agent: agent.id, action: 'modify', ticket, outcome: o.status });
          return { ...o, old_sl: position.sl, old_tp: position.tp, sl: decision.figures.sl.new, tp: decision.figures.tp.new };
        }),
      );
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
