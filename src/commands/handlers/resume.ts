import { UsageError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import { describeEntry } from '../../state/model.js';
import * as flows from '../../trading/state-flows.js';
import type { Context } from '../context.js';
import { confirmOrRefuse } from '../prompt.js';
import type { ResumeArgs, ResumeOptions } from '../resume.js';
import { findAgent } from '../select.js';

export async function resume(args: ResumeArgs, flags: ResumeOptions, ctx: Context): Promise<void> {
  const agentId = args.agent;
  if (flags.all && agentId !== undefined)
    throw new UsageError(`--all and an agent (${agentId}) contradict each other`, {
      hint: 'mt4gw resume --all lifts the desk and every agent; mt4gw resume <agent> lifts one agent.',
    });
  const agent = agentId === undefined ? undefined : findAgent(await ctx.config(), agentId).id;
  const store = await ctx.store();
  const all = flags.all === true && agent === undefined;
  // Say exactly what is being lifted.
  const { lifting } = await flows.planResume(store, agent, all);
  const scope = agent ?? (all ? 'the whole desk and every agent' : 'the whole desk');
  await confirmOrRefuse(ctx, {
    yes: flags.yes,
    action: 'resume trading',
    question: `Resume trading for ${scope}?${lifting.length ? ` This lifts: ${lifting.join('; ')}.` : ' (nothing is halted or reducing there now)'}`,
  });
  const { state: s, effective, stillRestricted: stillHeld } = await flows.resume(store, agent, all, flags.reason, lifting);
  if (ctx.json) {
    ctx.write(
      toJson({
        scope: agent ?? 'desk',
        all,
        ...(effective ? { effective: effective.state } : {}),
        state: s,
        still_restricted: stillHeld.map(([a, e]) => ({ agent: a, ...e })),
      }),
    );
    return;
  }
  if (effective && effective.state !== 'active') {
    ctx.warn(
      `${agent}'s own state is active again, but it still trades as ${effective.state}: ${effective.reason}. Run mt4gw resume (the desk) to lift that.`,
    );
    return;
  }
  ctx.info(`${agent ?? 'the desk'}: trading is active again.`);
  if (agent === undefined)
    for (const [a, e] of stillHeld)
      ctx.warn(`${describeEntry(a, e)} — still in force on its own; run mt4gw resume ${a} (or mt4gw resume --all)`);
}
