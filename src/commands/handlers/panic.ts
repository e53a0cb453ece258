import { EXIT, MtError, OrderError } from '../../errors.js';
import { onInterrupt } from '../../interrupt.js';
import { renderFlatten } from '../../output/flatten.js';
import { toJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import type { FlattenReport } from '../../trading/flatten.js';
import { tolerantJournal } from '../../trading/journaling.js';
import { flattenAll, haltForPanic } from '../../trading/panic.js';
import { gather } from '../../trading/read.js';
import { parseDuration } from '../args.js';
import type { Context } from '../context.js';
import type { PanicOptions } from '../panic.js';
import { confirmOrRefuse } from '../prompt.js';
import { withBridges } from '../run.js';
import { selectAgents } from '../select.js';

export async function panic(_args: unknown, flags: PanicOptions, ctx: Context): Promise<void> {
  const deadlineMs = parseDuration(flags.deadline, '--deadline');
  if (flags.dryRun) return dryRun(ctx, flags);
  await confirmOrRefuse(ctx, {
    yes: flags.yes,
    action: 'panic',
    question: 'This closes EVERY position on EVERY agent and halts trading.',
    typeWord: 'PANIC',
  });

  const store = await ctx.store();
  // A full or broken disk must not stop a panic: journal failures are reported, not fatal.
  const journal = tolerantJournal(store, (m) => ctx.warn(m));
  // 1. The halt, before any network call (and, for the whole desk, before even reading the config).
  let config;
  let scope: string[] | undefined;
  if (flags.agent?.length) {
    config = await ctx.config();
    scope = selectAgents(config, flags.agent).map((a) => a.id);
  }
  const halted = await haltForPanic(store, journal, scope, flags.reason);
  if (halted.persisted) {
    ctx.info(ctx.err.bold(`${scope ? scope.join(', ') : 'The desk'} is HALTED: no new orders until \`mt4gw resume\`. Closing everything…`));
  } else {
    process.stderr.write(
      `${ctx.err.red.bold(`THE HALT IS NOT RECORDED: ${halted.error}`)}\n${ctx.err.red.bold('Other mt4gw processes may still open orders. Closing everything anyway…')}\n`,
    );
  }
  try {
    config ??= await ctx.config();
  } catch (e) {
    if (e instanceof MtError) {
      throw new OrderError(`the desk is halted, but nothing could be closed: ${e.message}`, EXIT.PANIC_INCOMPLETE, {
        problems: e.problems,
        hint: 'Fix agents.yml, then run `mt4gw panic --yes` again to close the positions.',
      });
    }
    throw e;
  }
  const agents = scope ? config.agents.filter((a) => scope.includes(a.id)) : config.agents;

  // 2 and 3. Flatten every agent concurrently, and verify.
  const progress = await liveProgress(
    ctx,
    agents.map((a) => a.id),
  );
  let report;
  try {
    report = await withBridges(
      ctx,
      agents,
      (bridges) => {
        for (const [id, why] of bridges.unavailable) ctx.warn(`${id}: cannot be reached: ${why}`);
        return flattenAll(agents, bridges, halted, {
          store,
          journal,
          deadlineMs,
          onProgress: progress.update,
          notify: ctx.verbose ? (m) => ctx.debug(m) : undefined,
        });
      },
      { tolerateMissingTokens: true },
    );
  } finally {
    progress.stop();
  }
  ctx.write(ctx.json ? toJson(report) : renderFlatten(report.agents, ctx.out));
  if (report.all_flat) {
    ctx.info(ctx.err.green(`Every agent verified flat. Trading stays halted until \`mt4gw resume\`.`));
    return;
  }
  const bad = report.agents.filter((r) => !r.verified_flat);
  const notRecorded = halted.persisted ? [] : [`the halt is NOT recorded (${halted.error}): other mt4gw processes may still open orders`];
  throw new OrderError(
    bad.length
      ? `panic incomplete: ${bad.length} of ${report.agents.length} agent${report.agents.length === 1 ? '' : 's'} not verified flat`
      : 'panic incomplete: every agent verified flat, but the halt is NOT recorded',
    EXIT.PANIC_INCOMPLETE,
    {
      problems: [...notRecorded, ...bad.map(describeNotFlat)],
      hint: `Trading stays halted. Run \`mt4gw panic --yes${scope ? scope.map((a) => ` --agent ${a}`).join('') : ''}\` again, or close the rest in the terminals themselves (docs/emergency.md).`,
    },
  );
}

function describeNotFlat(r: FlattenReport): string {
  if (!r.reached) return `${r.agent_id}: UNREACHABLE, open positions unknown${r.error ? ` (${r.error})` : ''}`;
  const flying = r.in_flight.map((f) => `order ${f.order_id} sent at ${f.sent_at}, outcome unknown (${f.why})`);
  if (flying.length && r.still_open.length === 0)
    return `${r.agent_id}: nothing open, but ${flying.join('; ')}${r.error ? ` — ${r.error}` : ''}`;
  const line = (s: FlattenReport['still_open'][number]) =>
    `#${s.ticket} ${s.kind === 'order' ? 'pending ' : ''}${s.lots} ${s.symbol}${s.last_error ? ` (${s.last_error})` : ''}`;
  // A ticket whose close may have executed, with no listing since to tell: not verified, not "open".
  const open = r.still_open.filter((s) => s.last_failure !== 'unknown').map(line);
  const unverified = r.still_open.filter((s) => s.last_failure === 'unknown').map(line);
  const parts = [
    open.length ? `still open: ${open.join(', ')}` : '',
    unverified.length ? `not verified: ${unverified.join(', ')}` : '',
    flying.length ? flying.join('; ') : '',
  ].filter(Boolean);
  return `${r.agent_id}: ${parts.join('; ') || 'not verified'}${r.error ? ` — ${r.error}` : ''}`;
}

async function dryRun(ctx: Context, flags: PanicOptions): Promise<void> {
  const config = await ctx.config();
  const agents = selectAgents(config, flags.agent);
  const [positions, orders] = await withBridges(ctx, agents, (bridges) =>
    Promise.all([gather(agents, bridges, (b) => b.positions()), gather(agents, bridges, (b) => b.orders())]),
  );
  const offline = positions.offline;
  if (ctx.json) ctx.write(toJson({ dry_run: true, would_close: positions.rows, would_delete: orders.rows, offline }));
  else {
    const rows = [
      ...positions.rows.map((p) => ({ agent: p.agent_id, ticket: p.ticket, what: `close ${p.type} ${p.lots} ${p.symbol}` })),
      ...orders.rows.map((o) => ({ agent: o.agent_id, ticket: o.ticket, what: `delete ${o.type} ${o.lots} ${o.symbol}` })),
    ];
    if (rows.length)
      ctx.write(
        renderTable(
          [
            { header: 'AGENT', value: (r: (typeof rows)[number]) => r.agent },
            { header: 'TICKET', value: (r) => String(r.ticket), align: 'right' },
            { header: 'WOULD', value: (r) => r.what },
          ],
          rows,
          ctx.out,
        ),
      );
    ctx.info(
      `dry run: ${positions.rows.length} position(s) would be closed and ${orders.rows.length} pending order(s) deleted; nothing was halted or sent.`,
    );
    for (const o of offline) ctx.warn(`${o.agent_id} did not answer: ${o.error}`);
  }
  if (offline.length) throw new OrderError(`${offline.length} agent(s) did not answer`, EXIT.BRIDGE);
}

/** On a terminal, one spinner line with every agent's progress; elsewhere nothing. */
async function liveProgress(ctx: Context, ids: string[]) {
  const state = new Map(ids.map((id) => [id, 'listing…']));
  if (!process.stderr.isTTY || ctx.quiet || ctx.json) return { update: () => undefined, stop: () => undefined };
  const line = (p: { agent: string; closed: number; remaining: number; note?: string }) =>
    p.note ??
    (p.remaining === 0 ? `flat (${p.closed} closed)` : p.remaining < 0 ? 'unreachable' : `${p.closed} closed, ${p.remaining} left`);
  if (!((process.stderr.columns ?? 0) >= 20)) {
    // A terminal that reports no width (a bare pseudo-terminal): a spinner would redraw blindly
    // and flood it, so print a line whenever an agent's progress changes instead.
    return {
      update: (p: { agent: string; closed: number; deleted: number; remaining: number; note?: string }) => {
        const text = line(p);
        if (state.get(p.agent) === text) return;
        state.set(p.agent, text);
        ctx.info(`${p.agent}: ${text}`);
      },
      stop: () => undefined,
    };
  }
  // The spinner library only on a terminal (the one optional library a panic may not need).
  const { default: ora } = await import('ora');
  // discardStdin off: ora's stdin discarder puts the terminal in raw mode without reading it, so
  // Ctrl-C would never become SIGINT; the terminal must keep delivering it (src/interrupt.ts).
  const spinner = ora({ stream: process.stderr, text: '', discardStdin: false }).start();
  // Ctrl-C during a close: clear the line before the message, stop the spinner before exiting.
  const off = onInterrupt((phase) => (phase === 'abort' ? spinner.stop() : spinner.clear()));
  const render = () => (spinner.text = ids.map((id) => `${id}: ${state.get(id)}`).join('  '));
  render();
  return {
    update: (p: { agent: string; closed: number; deleted: number; remaining: number; note?: string }) => {
      state.set(p.agent, line(p));
      render();
    },
    stop: () => {
      off();
      spinner.stop();
    },
  };
}
