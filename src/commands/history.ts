import { TIME_RANGE } from './args.js';
import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [{ name: '<agent>', description: 'agent id' }] as const;
const options = [
  { flags: '--since <time>', description: `from: ${TIME_RANGE}; default: the start of the broker's day` },
  { flags: '--until <time>', description: `to (exclusive), after --since: ${TIME_RANGE}; default: now` },
] as const;
export type HistoryArgs = ArgsOf<typeof args>;
export type HistoryOptions = OptionsOf<typeof options>;

export const history = defineCommand({
  name: 'history',
  description: 'closed trades of an agent',
  args,
  options,
  examples: [
    'mt4gw history agent_1',
    'mt4gw history agent_1 --since 7d',
    'mt4gw history agent_1 --since 2026-11-01 --until 2026-11-08 --json',
  ],
  handler: async () => (await import('./handlers/history.js')).history,
});
