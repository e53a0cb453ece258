import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [
  { name: '<agent>', description: 'agent id' },
  { name: '<ticket>', description: 'ticket of the open position' },
] as const;
const options = [
  { flags: '--lots <lots>', description: 'close only this much of it (a partial close: MT4 gives the rest a new ticket)' },
] as const;
export type CloseArgs = ArgsOf<typeof args>;
export type CloseOptions = OptionsOf<typeof options>;

export const close = defineCommand({
  name: 'close',
  description: 'close an open position, or part of it',
  args,
  options,
  examples: ['mt4gw close agent_1 12345', 'mt4gw close agent_3 12346 --lots 0.02'],
  help: '\nA ticket that is already closed is reported as such (exit 0). Exit codes: 2 bad input, 3 bridge unreachable, 5 MT4 refused, 6 outcome unknown.\n',
  handler: async () => (await import('./handlers/close.js')).close,
});
