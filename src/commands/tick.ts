import { defineCommand, type ArgsOf } from './define.js';

const args = [
  { name: '<agent>', description: 'agent id' },
  { name: '<symbol>', description: 'symbol, e.g. XAUUSD' },
] as const;
export type TickArgs = ArgsOf<typeof args>;

export const tick = defineCommand({
  name: 'tick',
  description: 'the current bid, ask and spread of a symbol on an agent',
  args,
  examples: ['mt4gw tick agent_1 XAUUSD', 'mt4gw tick agent_3 usdjpy --json'],
  handler: async () => (await import('./handlers/tick.js')).tick,
});
