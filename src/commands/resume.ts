import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { toJson } from '../output/json.js';
import { confirmOrRefuse } from './prompt.js';
import { contextOf, examples, findAgent } from './run.js';

export function register(program: Command): void {
  program
    .command('resume')
    .argument('[agent]', 'agent id (default: the whole desk)')
    .option('--all', 'with no agent: also clear every per-agent halt and reduce')
    .option('--reason <text>', 'why (recorded)', 'resumed')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .description('allow new orders again, after halt, reduce or panic')
    .addHelpText(
      'after',
      examples(['mt4gw resume', 'mt4gw resume agent_2', 'mt4gw resume --all --yes']) +
        `
The desk-wide state and each agent's own state are separate, and an agent trades under the
stricter of the two: an agent halted on its own (\`halt agent_2\`, \`panic --agent agent_2\`) stays
halted after \`mt4gw resume\` unless you name it or give --all, and \`mt4gw resume agent_2\` does
not lift a desk-wide halt. \`mt4gw status\` shows both.
`,
    )
    .action(async (agentId: string | undefined, flags: { all?: boolean; reason: string; yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (flags.all && agentId !== undefined)
        throw new UsageError(`--all and an agent (${agentId}) contradict each other`, {
          hint: 'mt4gw resume --all lifts the desk and every agent; mt4gw resume <agent> lifts one agent.',
        });
      const agent = agentId === undefined ? undefined : findAgent(await ctx.config(), agentId).id;
      const [flows, { describeEntry }, store] = await Promise.all([
        import('../trading/state-flows.js'),
        import('../state/model.js'),
        ctx.store(),
      ]);
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
    });
}
