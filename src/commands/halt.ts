// `halt` and `reduce`: the same command for two trading states.
import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

/** What each command sets, and what that state allows. */
export const WHAT = {
  halt: { state: 'halted', says: 'no new orders; closing, deleting pending orders and tightening stops still work' },
  reduce: { state: 'reducing', says: 'no new exposure; closes and stop changes only' },
} as const;

const args = [{ name: '[agent]', description: 'agent id (default: the whole desk)' }] as const;
const options = [{ flags: '--reason <text>', description: 'why (recorded with who and when)', required: true }] as const;
export type StateArgs = ArgsOf<typeof args>;
export type StateOptions = OptionsOf<typeof options>;

function stateCommand(name: 'halt' | 'reduce') {
  const w = WHAT[name];
  return defineCommand({
    name,
    description: `set trading to ${w.state} for the desk or one agent: ${w.says}`,
    args,
    options,
    examples: [`mt4gw ${name} --reason "news at 14:30"`, `mt4gw ${name} agent_2 --reason "broker maintenance"`, 'mt4gw resume'],
    help: `
The state is kept in the state directory and binds every mt4gw process on this machine until
\`mt4gw resume\`. The desk's state and each agent's own are separate; an agent trades under the
stricter of the two. \`mt4gw status\` shows both. Nothing is sent to any bridge.
`,
    handler: async () => (await import('./handlers/state.js'))[name],
  });
}

export const halt = stateCommand('halt');
export const reduce = stateCommand('reduce');
