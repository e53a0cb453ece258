import { durationRange } from './args.js';
import { defineCommand, type OptionsOf } from './define.js';

const options = [
  { flags: '-y, --yes', description: 'do not ask (the documented emergency form: mt4gw panic --yes)' },
  { flags: '--dry-run', description: 'list what would be closed; halt nothing, send nothing' },
  { flags: '--agent <id>', description: 'only this agent (repeatable); halts only those agents', repeatable: true },
  {
    flags: '--deadline <duration>',
    description: `keep retrying busy terminals, requotes and unreachable agents until then (${durationRange('--deadline')})`,
    default: '30s',
  },
  { flags: '--reason <text>', description: 'recorded with the halt', default: 'panic' },
] as const;
export type PanicOptions = OptionsOf<typeof options>;

export const panic = defineCommand({
  name: 'panic',
  aliases: ['stop-all'],
  description: 'EMERGENCY: halt all trading, close every position and delete every pending order on every agent, and verify',
  options,
  examples: ['mt4gw panic --yes', 'mt4gw panic --dry-run', 'mt4gw panic --agent agent_2 --yes'],
  help: `
What it does, in order: (1) persists "halted" for the desk (or the --agent ones) before any
network call, so no mt4gw process opens anything until \`mt4gw resume\`; (2) on every agent at
once, enabled or not: closes positions one at a time, deletes pending orders, retries busy and
requotes until the deadline; (3) lists again to verify, the last time under each agent's lock so
that an order already on its way is waited for and closed too. Exit 0 only when every agent was
reached and verified flat; otherwise 7, with what is still open and where. Trading stays halted
either way. Runbook: docs/emergency.md.
`,
  handler: async () => (await import('./handlers/panic.js')).panic,
});
