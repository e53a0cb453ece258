import { durationRange } from './args.js';
import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [{ name: '[agents...]', description: 'agent ids (default: every agent)' }] as const;
const options = [
  {
    flags: '--interval <duration>',
    description: `how often each agent is read, e.g. 1s or 500ms (${durationRange('--interval')})`,
    default: '2s',
  },
  { flags: '--once', description: 'print one snapshot and exit (what it does anyway when stdout is not a terminal)' },
] as const;
export type WatchArgs = ArgsOf<typeof args>;
export type WatchOptions = OptionsOf<typeof options>;

export const watch = defineCommand({
  name: 'watch',
  description:
    'live dashboard: equity, balance, floating P/L, positions, margin level, daily loss against its limit, trading state, latency',
  args,
  options,
  examples: ['mt4gw watch', 'mt4gw watch agent_1 agent_3 --interval 1s', 'mt4gw watch --once', 'mt4gw watch --json | jq .totals'],
  help: `
Keys: q (or Ctrl-C) quits and restores the terminal; r reads every agent now.
Each agent is read on its own schedule: a slow or dead terminal only delays its own row, which
shows "slow" and then OFFLINE with the reason. A "!" in the first column marks a row that needs
attention: offline, daily loss limit reached, halted, more positions than allowed, margin level
below 100%. Off a terminal (or with --once / --json) it prints one snapshot and exits, with exit
code 3 when an agent did not answer, like \`mt4gw summary\`.
`,
  handler: async () => (await import('./handlers/watch.js')).watch,
});
