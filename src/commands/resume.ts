import type { Command } from 'commander';
import { toJson } from '../output/json.js';
import { confirmOrRefuse } from './prompt.js';
import { contextOf, examples, findAgent } from './run.js';

export function register(program: Command): void {
  program
    .command('resume')
    .argument('[agent]', 'agent id (default: the whole desk)')
    .option('--all', 'also clear every per-agent halt and reduce')
    .option('--reason <text>', 'why (recorded)', 'resumed')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .description('allow new orders again, after halt, reduce or panic')
    .addHelpText('after', examples(['mt4gw resume', 'mt4gw resume agent_2', 'mt4gw resume --all --yes']) + '\nThe desk-wide state and each agent\'s own state are separate: an agent halted on its own stays halted\nafter `mt4gw resume` unless you name it or give --all. `mt4gw status` shows both.\n')
    .action(async (agentId: string | undefined, flags: { all?: boolean; reason: string; yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const agent = agentId === undefined ? undefined : findAgent(await ctx.config(), agentId).id;
      const [{ readTradingState, setTradingState }, { Journal }] = await Promise.all([import('../trading/halt.js'), import('../trading/journal.js')]);
      const before = readTradingState(ctx.env);
      const scope = agent ?? 'the whole desk';
      const current = agent === undefined ? before.global : (before.agents[agent] ?? { state: 'active', reason: '', by: '', at: '' });
      await confirmOrRefuse(ctx, {
        yes: flags.yes,
        action: 'resume trading',
        question: `Resume trading for ${scope}${current.state !== 'active' ? ` (${current.state} by ${current.by} at ${current.at}${current.reason ? `: ${current.reason}` : ''})` : ''}?`,
      });
      let s = setTradingState(ctx.env, 'active', flags.reason, agent === undefined ? undefined : [agent]);
      if (flags.all && agent === undefined) {
        const others = Object.keys(s.agents).filter((a) => s.agents[a]!.state !== 'active');
        if (others.length) s = setTradingState(ctx.env, 'active', flags.reason, others);
      }
      new Journal(ctx.env).append({ event: 'resume', agent, scope: agent ?? 'desk', all: flags.all === true, reason: flags.reason, was: current.state });
      const stillHeld = Object.entries(s.agents).filter(([, e]) => e.state !== 'active');
      if (ctx.json) ctx.write(toJson({ scope: agent ?? 'desk', state: s, still_restricted: stillHeld.map(([a, e]) => ({ agent: a, ...e })) }));
      else {
        ctx.info(`${scope}: trading is active again.`);
        for (const [a, e] of stillHeld) ctx.warn(`${a} is still ${e.state} on its own (by ${e.by} at ${e.at}${e.reason ? `: ${e.reason}` : ''}); run mt4gw resume ${a}`);
      }
    });
}
