import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const args = [
  { name: '[symbol]', description: 'symbol, e.g. XAUUSD; or - to read signal JSON from stdin' },
  { name: '[side]', description: 'long, short, buy or sell' },
] as const;
const options = [
  { flags: '--sl <price>', description: 'stop loss price (required: every agent sizes its order from it)' },
  { flags: '--tp <price>', description: 'take profit price' },
  { flags: '--entry <price>', description: 'the price the signal was computed at (recorded; orders are at market)' },
  {
    flags: '--confidence <0..1>',
    description: "the signal's confidence, e.g. 0.78 (agents with strategy.min_confidence skip lower ones)",
  },
  {
    flags: '--id <id>',
    description: 'the signal id (default: derived from symbol, side and levels); a re-delivered id is never acted on twice',
  },
  { flags: '--file <path>', description: 'read one signal or a list as JSON from a file' },
  {
    flags: '--from-url <url>',
    description: 'fetch one signal or a list as JSON from an http(s) service (within --timeout, default 10s)',
  },
  { flags: '--dry-run', description: 'show what every agent would do; send nothing' },
  { flags: '-y, --yes', description: 'do not ask for confirmation (required without a terminal: cron, pipes)' },
] as const;
export type SignalArgs = ArgsOf<typeof args>;
export type SignalOptions = OptionsOf<typeof options>;

export const signal = defineCommand({
  name: 'signal',
  description: 'one trading signal in: every agent checks, sizes and decides for itself',
  args,
  options,
  examples: [
    'mt4gw signal XAUUSD long --sl 2648.27 --tp 2660 --confidence 0.78 --dry-run',
    'mt4gw signal XAUUSD long --sl 2648.27 --id model-2026-11-20T08:15 --yes',
    `echo '{"id":"s1","symbol":"XAUUSD","side":"long","sl":2648.27}' | mt4gw signal - --yes --json`,
    'mt4gw signal --from-url "https://models.example/signals/latest?token=…" --yes --json',
  ],
  help: `
Each agent, concurrently: skips the signal if it is disabled, halted, the symbol is not in its
strategy.pairs or the confidence is below its strategy.min_confidence; otherwise sizes the order
from its balance × risk.max_risk_per_trade and the stop distance (capped by max_lots), runs every
risk check and places it exactly as \`mt4gw trade\` does. A signal id already handled on an agent
is reported "already handled" and not acted on again. See docs/signals.md.
Exit codes: 0 every agent opened, skipped, was denied or had already handled it; 2 bad signal
(nothing sent); 3 an agent unreachable; 5 MT4 rejected an order; 6 an order's outcome is unknown.
When agents end differently the highest concern wins: 6, then 5, then 3.
`,
  handler: async () => (await import('./handlers/signal.js')).signal,
});
