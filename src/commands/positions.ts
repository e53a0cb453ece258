import { defineCommand, type ArgsOf } from './define.js';

const args = [{ name: '[agents...]', description: 'agent ids (default: every agent)' }] as const;
/** The arguments of `positions` and `orders`. */
export type ListingArgs = ArgsOf<typeof args>;

export const positions = defineCommand({
  name: 'positions',
  description: 'open market positions',
  args,
  examples: ['mt4gw positions', 'mt4gw positions agent_1', 'mt4gw positions --json | jq ".positions | length"'],
  handler: async () => (await import('./handlers/positions.js')).positions,
});

export const orders = defineCommand({
  name: 'orders',
  description: 'pending orders (limit and stop orders not yet triggered)',
  args,
  examples: ['mt4gw orders', 'mt4gw orders agent_2 --json'],
  handler: async () => (await import('./handlers/orders.js')).orders,
});
