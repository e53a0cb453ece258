import { durationRange } from './args.js';
import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [{ name: '<agent>', description: 'agent id' }] as const;
const options = [
  { flags: '--symbol <symbol>', description: 'only positions of this symbol' },
  {
    flags: '--deadline <duration>',
    description: `keep retrying busy terminals and requotes until then (${durationRange('--deadline')})`,
    default: '30s',
  },
  { flags: '-y, --yes', description: 'do not ask for confirmation (required without a terminal)' },
] as const;
export type CloseAllArgs = ArgsOf<typeof args>;
export type CloseAllOptions = OptionsOf<typeof options>;

export const closeAll = defineCommand({
  name: 'close-all',
  description: 'close every open position of an agent, one at a time, and verify',
  args,
  options,
  examples: ['mt4gw close-all agent_1', 'mt4gw close-all agent_3 --symbol EURUSD --yes'],
  help: '\nExit 0 only when every targeted position is verified closed by a final listing; otherwise\n3 (unreachable), 5 (MT4 refused some) or 6 (outcome unknown), with a line per ticket.\n',
  handler: async () => (await import('./handlers/close-all.js')).closeAll,
});
