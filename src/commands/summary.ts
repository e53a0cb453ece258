import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [{ name: '[agents...]', description: 'agent ids (default: every agent)' }] as const;
const options = [{ flags: '--format <format>', description: 'output format', choices: ['table', 'json', 'prometheus'] }] as const;
export type SummaryArgs = ArgsOf<typeof args>;
export type SummaryOptions = OptionsOf<typeof options>;

export const summary = defineCommand({
  name: 'summary',
  description: 'totals over every agent (balance, equity, profit, positions) and a row per agent',
  args,
  options,
  examples: [
    'mt4gw summary',
    'mt4gw summary --json',
    'mt4gw summary --format prometheus > /var/lib/node_exporter/textfile/mt4gw.prom.$$ && mv /var/lib/node_exporter/textfile/mt4gw.prom.$$ /var/lib/node_exporter/textfile/mt4gw.prom',
  ],
  help: '\nExit code 3 when an agent did not answer (the others are still shown).\n',
  handler: async () => (await import('./handlers/summary.js')).summary,
});
