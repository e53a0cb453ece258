import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [{ name: '[agent]', description: 'agent id (default: the whole desk)' }] as const;
const options = [
  { flags: '--all', description: 'with no agent: also clear every per-agent halt and reduce' },
  { flags: '--reason <text>', description: 'why (recorded)', default: 'resumed' },
  { flags: '-y, --yes', description: 'do not ask for confirmation (required without a terminal)' },
] as const;
export type ResumeArgs = ArgsOf<typeof args>;
export type ResumeOptions = OptionsOf<typeof options>;

export const resume = defineCommand({
  name: 'resume',
  description: 'allow new orders again, after halt, reduce or panic',
  args,
  options,
  examples: ['mt4gw resume', 'mt4gw resume agent_2', 'mt4gw resume --all --yes'],
  help: `
The desk-wide state and each agent's own state are separate, and an agent trades under the
stricter of the two: an agent halted on its own (\`halt agent_2\`, \`panic --agent agent_2\`) stays
halted after \`mt4gw resume\` unless you name it or give --all, and \`mt4gw resume agent_2\` does
not lift a desk-wide halt. \`mt4gw status\` shows both.
`,
  handler: async () => (await import('./handlers/resume.js')).resume,
});
