import { defineCommand, type ArgsOf } from './define.js';

const args = [{ name: '[agents...]', description: 'agent ids (default: every agent)' }] as const;
export type StatusArgs = ArgsOf<typeof args>;

export const status = defineCommand({
  name: 'status',
  description: "is each bridge online: latency, server time, whether the terminal allows trading, and mt4gw's trading state",
  args,
  examples: ['mt4gw status', 'mt4gw status agent_1 agent_3', 'mt4gw status --json'],
  help: `
TRADING is mt4gw's trading state for the agent (active, reducing or halted: the stricter of the
desk's and the agent's own; see \`mt4gw halt --help\`), and the desk's state is printed on stderr.
AUTOTRADING is what the terminal reports (MT4's AutoTrading / "allow live trading").
`,
  handler: async () => (await import('./handlers/status.js')).status,
});
