import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [
  { name: '[agent]', description: 'agent id (asked for on a terminal when missing)' },
  { name: '[side]', description: 'buy or sell (asked for on a terminal when missing)' },
  { name: '[symbol]', description: "symbol, e.g. XAUUSD (on a terminal, chosen from the agent's pairs when missing)" },
  { name: '[lots]', description: "lots (default: the agent's risk.lot_size)" },
] as const;
const options = [
  { flags: '--sl <price>', description: 'stop loss price' },
  { flags: '--tp <price>', description: 'take profit price' },
  { flags: '--risk <percent>', description: 'size the order to lose this share of the balance at the stop loss, e.g. 1%' },
  { flags: '--risk-money <amount>', description: 'size the order to lose this much money at the stop loss' },
  { flags: '--comment <text>', description: 'order comment (after the mt4gw:<id> tag; MT4 keeps 31 characters in all)' },
  { flags: '--dry-run', description: 'check and preview only; send nothing' },
  { flags: '-y, --yes', description: 'do not ask for confirmation (required without a terminal)' },
] as const;
export type TradeArgs = ArgsOf<typeof args>;
export type TradeOptions = OptionsOf<typeof options>;

export const trade = defineCommand({
  name: 'trade',
  description: 'open a market position, if every limit of the agent allows it',
  args,
  options,
  examples: [
    'mt4gw trade agent_1 buy XAUUSD 0.01 --sl 2640',
    'mt4gw trade agent_3 sell EURUSD --risk 1% --sl 1.0850 --tp 1.0750',
    'mt4gw trade agent_1 buy XAUUSD --dry-run',
    'mt4gw trade agent_1 buy XAUUSD 0.01 --sl 2640 --yes --json   # from a script',
    'mt4gw trade                                                   # on a terminal: asks for each part',
  ],
  help: `
On a terminal, whatever is missing of <agent> <side> <symbol> is asked for — then the lots (or a
risk to size by), the stop loss and the take profit unless given as flags — with the same checks
as the flag form, followed by the same preview and confirmation. Without a terminal a missing
<agent>, <side> or <symbol> is an error naming it.

Every order passes the risk checks (docs/risk.md) first, then again under the agent's lock just
before it is sent. An order whose answer is lost is looked up, never sent twice.
Exit codes: 0 opened, 2 bad input (nothing sent), 3 bridge unreachable (nothing opened),
4 denied by risk (nothing sent), 5 rejected by MT4, 6 outcome unknown — check positions.
`,
  handler: async () => (await import('./handlers/trade.js')).trade,
});
