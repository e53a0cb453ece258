import { TIME_RANGE } from './args.js';
import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const options = [
  { flags: '--agent <id>', description: 'only this agent' },
  { flags: '--order <id>', description: 'only this order id (as in the mt4gw:<id> comment)' },
  { flags: '--since <time>', description: `from: ${TIME_RANGE}` },
  { flags: '--limit <n>', description: 'the last N records', default: '50' },
] as const;
export type JournalOptions = OptionsOf<typeof options>;

const resolveArgs = [{ name: '<order-id>', description: 'the order in flight, as `mt4gw status` and the journal name it' }] as const;
const resolveOptions = [
  { flags: '--not-opened', description: 'you checked the terminal: the order is not there and will not open' },
  { flags: '--note <text>', description: 'what you checked (recorded)' },
  { flags: '-y, --yes', description: 'do not ask for confirmation (required without a terminal)' },
] as const;
export type ResolveArgs = ArgsOf<typeof resolveArgs>;
export type ResolveOptions = OptionsOf<typeof resolveOptions>;

export const journal = defineCommand({
  name: 'journal',
  description: 'the order journal: every intent, request, response and reconciliation, newest last',
  options,
  examples: [
    'mt4gw journal',
    'mt4gw journal --agent agent_1 --since 1d',
    'mt4gw journal --order 7k2m9q4x1z --json',
    'mt4gw journal resolve 7k2m9q4x1z --not-opened   # an order in flight, checked by hand',
  ],
  handler: async () => (await import('./handlers/journal.js')).journal,
  subcommands: [
    defineCommand({
      name: 'resolve',
      description: 'resolve an order in flight by hand, after checking the terminal yourself',
      args: resolveArgs,
      options: resolveOptions,
      examples: [
        'mt4gw journal resolve 7k2m9q4x1z --not-opened',
        'mt4gw journal resolve 7k2m9q4x1z --not-opened --note "not in the terminal\'s trade or history tab" --yes',
      ],
      help: `
An order whose answer was lost stays in flight, and new orders on its agent are denied
(ORDER_UNRESOLVED), until the terminal shows it or it is older than mt4.max_order_age. If you have
checked the terminal — its Trade and Account History tabs — and the order is not there, this
records that it was not opened, with who and when, and lets the agent trade again. It is looked up
on the terminal once more first: an order that shows up is journaled as opened instead.
`,
      handler: async () => (await import('./handlers/journal-resolve.js')).resolve,
    }),
  ],
});
