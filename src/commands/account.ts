import { defineCommand, type ArgsOf } from './define.js';

const args = [{ name: '<agent>', description: 'agent id' }] as const;
export type AccountArgs = ArgsOf<typeof args>;

export const account = defineCommand({
  name: 'account',
  description: "the agent's MT4 account: balance, equity, margin, free margin, profit",
  args,
  examples: ['mt4gw account agent_1', 'mt4gw account agent_1 --json | jq .equity'],
  handler: async () => (await import('./handlers/account.js')).account,
});
