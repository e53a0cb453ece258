import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [
  { name: '<agent>', description: 'agent id' },
  { name: '<ticket>', description: 'ticket of the open position' },
] as const;
const options = [
  { flags: '--sl <price|none>', description: 'new stop loss (none removes it)' },
  { flags: '--tp <price|none>', description: 'new take profit (none removes it)' },
] as const;
export type ModifyArgs = ArgsOf<typeof args>;
export type ModifyOptions = OptionsOf<typeof options>;

export const modify = defineCommand({
  name: 'modify',
  description: "change an open position's stop loss and/or take profit",
  args,
  options,
  examples: ['mt4gw modify agent_1 12345 --sl 2645', 'mt4gw modify agent_1 12345 --tp none'],
  help: '\nSide and stop level are checked before anything is sent. While trading is halted, a stop loss may only be added or tightened.\n',
  handler: async () => (await import('./handlers/modify.js')).modify,
});
