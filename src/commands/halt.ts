import type { Command } from 'commander';
import { toJson } from '../output/json.js';
import { contextOf, examples, findAgent } from './run.js';

const WHAT = {
  halt: { state: 'halted', says: 'no new orders; closing, deleting pending orders and tightening stops still work' },
  reduce: { state: 'reducing', says: 'no new exposure; closes and stop changes only' },
} as const;

/** `halt` and `reduce`: the same command for two states. */
export function registerStateCommand(program: Command, name: 'halt' | 'reduce'): void {
  const w = WHAT[name];
  program
    .command(name)
    .argument('[agent]', 'agent id (default: the whole desk)')
    .requiredOption('--reason <text>', 'why (recorded with who and when)')
    .description(`set trading to ${w.state} for the desk or one agent: ${w.says}`)
    .addHelpText(
      'after',
      examples([`mt4gw ${name} --reason "news at 14:30"`, `mt4gw ${name} agent_2 --reason "broker maintenance"`, 'mt4gw resume']) +
        `
The state is kept in the state directory and binds every mt4gw process on this machine until
\`mt4gw resume\`. The desk's state and each agent's own are separate; an agent trades under the
stricter of the two. \`mt4gw status\` shows both. Nothing is sent to any bridge.
`,
    )
    .action(async (agentId: string | undefined, flags: { reason: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      // Validate the agent against the config; the desk-wide form needs no config at all.
      const agent = agentId === undefined ? undefined : findAgent(await ctx.config(), agentId).id;
      const [{ setState }, store] = await Promise.all([import('../trading/state-flows.js'), ctx.store()]);
      const { entry, effective } = await setState(store, w.state, flags.reason, agent, name);
      if (ctx.json) ctx.write(toJson({ scope: agent ?? 'desk', ...entry, ...(effective ? { effective: effective.state } : {}) }));
      else {
        ctx.info(`${agent ?? 'the desk'} is now ${w.state} (${w.says}). Undo with: mt4gw resume${agent ? ` ${agent}` : ''}`);
        if (effective && effective.state !== w.state) ctx.warn(`${agent} trades as ${effective.state}: ${effective.reason}`);
      }
    });
}

export function register(program: Command): void {
  registerStateCommand(program, 'halt');
}
