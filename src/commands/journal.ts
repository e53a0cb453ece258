import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { toJson } from '../output/json.js';
import { confirmOrRefuse } from './prompt.js';
import { contextOf, examples, findAgent, parseTimeArg, TIME_RANGE, withBridges } from './run.js';

export function register(program: Command): void {
  const journal = program
    .command('journal')
    .option('--agent <id>', 'only this agent')
    .option('--order <id>', 'only this order id (as in the mt4gw:<id> comment)')
    .option('--since <time>', `from: ${TIME_RANGE}`)
    .option('--limit <n>', 'the last N records', '50')
    .description('the order journal: every intent, request, response and reconciliation, newest last')
    .addHelpText(
      'after',
      examples([
        'mt4gw journal',
        'mt4gw journal --agent agent_1 --since 1d',
        'mt4gw journal --order 7k2m9q4x1z --json',
        'mt4gw journal resolve 7k2m9q4x1z --not-opened   # an order in flight, checked by hand',
      ]),
    )
    .action(async (flags: { agent?: string; order?: string; since?: string; limit: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const since = flags.since === undefined ? undefined : parseTimeArg(flags.since, '--since').getTime();
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit ${JSON.stringify(flags.limit)} must be a whole number of at least 1`);
      const store = await ctx.store();
      const { records: rows, skipped } = await store.query({ agent: flags.agent, order_id: flags.order, since, limit });
      if (skipped)
        ctx.warn(`${skipped} unreadable record${skipped === 1 ? '' : 's'} in ${store.where} (a write cut short by a crash); skipped`);
      if (ctx.json) return ctx.write(toJson(rows));
      if (rows.length === 0) return ctx.info(`No journal records match (${store.where}).`);
      const { renderTable } = await import('../output/table.js');
      ctx.write(
        renderTable(
          [
            { header: 'TIME', value: (r) => r.ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z') },
            { header: 'EVENT', value: (r) => r.event },
            { header: 'AGENT', value: (r) => r.agent ?? '-' },
            { header: 'ORDER', value: (r) => r.order_id ?? '-' },
            { header: 'DETAIL', value: (r) => detail(r) },
          ],
          rows,
          ctx.out,
        ),
      );
    });

  journal
    .command('resolve')
    .argument('<order-id>', 'the order in flight, as `mt4gw status` and the journal name it')
    .option('--not-opened', 'you checked the terminal: the order is not there and will not open')
    .option('--note <text>', 'what you checked (recorded)')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .description('resolve an order in flight by hand, after checking the terminal yourself')
    .addHelpText(
      'after',
      examples([
        'mt4gw journal resolve 7k2m9q4x1z --not-opened',
        'mt4gw journal resolve 7k2m9q4x1z --not-opened --note "not in the terminal\'s trade or history tab" --yes',
      ]) +
        `
An order whose answer was lost stays in flight, and new orders on its agent are denied
(ORDER_UNRESOLVED), until the terminal shows it or it is older than mt4.max_order_age. If you have
checked the terminal — its Trade and Account History tabs — and the order is not there, this
records that it was not opened, with who and when, and lets the agent trade again. It is looked up
on the terminal once more first: an order that shows up is journaled as opened instead.
`,
    )
    .action(async (orderId: string, flags: { notOpened?: boolean; note?: string; yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
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
      const [{ findOrder, resolveByHand }, { who }] = await Promise.all([import('../trading/inflight.js'), import('../state/who.js')]);
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
    });
}

function detail(r: Record<string, unknown>): string {
  const skip = new Set(['ts', 'event', 'order_id', 'agent', 'user', 'host', 'pid']);
  const text = Object.entries(r)
    .filter(([k, v]) => !skip.has(k) && v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}
