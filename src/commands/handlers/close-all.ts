import { EXIT, OrderError } from '../../errors.js';
import { renderFlatten } from '../../output/flatten.js';
import { toJson } from '../../output/json.js';
import * as flows from '../../trading/positions.js';
import { parseDuration, parseSymbol } from '../args.js';
import type { CloseAllArgs, CloseAllOptions } from '../close-all.js';
import type { Context } from '../context.js';
import { confirmOrRefuse } from '../prompt.js';
import { withBridges } from '../run.js';
import { findAgent } from '../select.js';

export async function closeAll(args: CloseAllArgs, flags: CloseAllOptions, ctx: Context): Promise<void> {
  const agent = findAgent(await ctx.config(), args.agent);
  const symbol = flags.symbol === undefined ? undefined : parseSymbol(flags.symbol);
  const deadlineMs = parseDuration(flags.deadline, '--deadline');
  if (!flags.yes && !ctx.interactive) await confirmOrRefuse(ctx, { yes: false, action: 'close positions', question: '' });
  const store = await ctx.store();
  const config = await ctx.config();
  const report = await withBridges(ctx, [agent], async (bridges) => {
    const bridge = bridges.get(agent.id);
    const targets = await flows.closeAllTargets(bridge, symbol);
    if (targets.length === 0) return undefined;
    const list = targets.map((p) => `#${p.ticket} ${p.type} ${p.lots} ${p.symbol}`).join(', ');
    await confirmOrRefuse(ctx, {
      yes: flags.yes,
      action: 'close positions',
      question: `Close ${targets.length} position${targets.length === 1 ? '' : 's'} on ${agent.id} (${list})?`,
    });
    return flows.closeAll({ store, agent, bridge, symbols: config.symbols, notify: (m) => ctx.info(m) }, symbol, deadlineMs, targets);
  });
  if (!report) {
    if (ctx.json) ctx.write(toJson({ agent_id: agent.id, verified_flat: true, closed: [], deleted: [], still_open: [], error: null }));
    else ctx.info(`${agent.id} has no open positions${symbol ? ` in ${symbol}` : ''}; nothing to close.`);
    return;
  }
  ctx.write(ctx.json ? toJson(report) : renderFlatten([report], ctx.out));
  if (report.journal_error) ctx.warn(`the journal could not be written: ${report.journal_error}`);
  if (report.verified_flat) return;
  // 6 when a close may have executed unseen, 5 when MT4 refused one, else 3: the bridge failed
  // (unreachable, or answering outside the protocol — an HTTP 500 is not an MT4 rejection).
  const failure = flows.closeAllFailure(report);
  const code = failure === 'unknown' ? EXIT.UNKNOWN : failure === 'mt4' ? EXIT.REJECTED : EXIT.BRIDGE;
  // A close that may have executed, with no listing since to tell, is "not verified", not "open".
  const n = report.still_open.filter((s) => s.last_failure !== 'unknown').length;
  throw new OrderError(
    n === 0 && (report.error || report.still_open.length > 0)
      ? `${agent.id} could not be verified flat: ${report.error ?? 'a close may have executed and no listing could tell'}`
      : `${agent.id} is not flat: ${n} position${n === 1 ? '' : 's'} still open${report.error ? ` (${report.error})` : ''}`,
    code,
    {
      // One line per ticket on stderr too, with why it is still open (the table is on stdout).
      problems: report.still_open.map(
        (s) =>
          `${agent.id}: #${s.ticket} ${s.lots} ${s.symbol} ${s.last_failure === 'unknown' ? 'not verified' : 'still open'}${s.last_error ? ` (${s.last_error})` : ''}`,
      ),
      hint: `Check \`mt4gw positions ${agent.id}\` and run close-all again.`,
    },
  );
}
