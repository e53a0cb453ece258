import { UsageError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import { who } from '../../state/who.js';
import { findOrder, resolveByHand } from '../../trading/inflight.js';
import type { Context } from '../context.js';
import type { ResolveArgs, ResolveOptions } from '../journal.js';
import { confirmOrRefuse } from '../prompt.js';
import { withBridges } from '../run.js';
import { findAgent } from '../select.js';

export async function resolve(args: ResolveArgs, flags: ResolveOptions, ctx: Context): Promise<void> {
  const orderId = args.orderId;
  if (!flags.notOpened)
    throw new UsageError('say what you found: --not-opened', {
      hint: `mt4gw journal resolve ${orderId} --not-opened (after checking the terminal).`,
    });
  const store = await ctx.store();
  const marker = (await store.pending()).find((m) => m.order_id === orderId);
  if (!marker) {
    const known = (await store.query({ order_id: orderId, events: ['result'] })).records.at(-1);
    throw new UsageError(
      known
        ? `order ${orderId} is not in flight: its outcome was journaled at ${known.ts} (${String(known.outcome)})`
        : `no order ${orderId} is in flight`,
      { hint: "`mt4gw status` shows the orders in flight per agent; `mt4gw journal --order <id>` shows one order's records." },
    );
  }
  const config = await ctx.config();
  const agent = findAgent(config, marker.agent);
  await confirmOrRefuse(ctx, {
    yes: flags.yes,
    action: 'resolve an order by hand',
    question: `Record that order ${orderId} on ${agent.id} (sent ${marker.ts}) was NOT opened? Only if the terminal does not show it.`,
  });
  // One last look: if it is there after all, it opened.
  const found = await withBridges(ctx, [agent], (b) =>
    findOrder(b.get(agent.id), orderId, marker.ts ? Date.parse(marker.ts) : Date.now() - 7 * 86_400_000),
  );
  if (found) {
    await store.resolveOrder(agent.id, orderId, {
      event: 'result',
      outcome: 'opened',
      ticket: found.ticket,
      price: found.price,
      lots: found.lots,
      reconciled: true,
      proof: 'found',
    });
    if (ctx.json) ctx.write(toJson({ order_id: orderId, agent_id: agent.id, outcome: 'opened', ticket: found.ticket }));
    throw new UsageError(`order ${orderId} is on the terminal after all: ticket ${found.ticket}; journaled as opened, not as you said`);
  }
  const resolved = await resolveByHand(store, marker, who(), flags.note);
  if (ctx.json) ctx.write(toJson({ order_id: orderId, agent_id: agent.id, outcome: resolved ? 'not_opened' : 'already_resolved' }));
  else
    ctx.info(
      resolved
        ? `order ${orderId} on ${agent.id}: journaled as not opened by ${who()}; ${agent.id} may trade again.`
        : `order ${orderId} was resolved meanwhile by another process.`,
    );
}
