import { defineCommand, type OptionsOf } from './define.js';

const options = [
  { flags: '--agent <id>', description: 'serve only this agent (repeatable)', repeatable: true },
  {
    flags: '--synthetic <n>',
    description: 'serve N synthetic agents on consecutive ports instead of agents.yml (benchmarks)',
  },
  { flags: '--base-port <port>', description: 'first port for --synthetic', default: '9100' },
  { flags: '--write-config <path>', description: 'with --synthetic: write an agents.yml for them to this path' },
  { flags: '--seed <n>', description: 'seed of the price random walk (same seed, same prices)', default: '1' },
  { flags: '--latency <ms>', description: 'added to every request' },
  { flags: '--jitter <ms>', description: 'random extra latency, up to this much' },
  { flags: '--trade-latency <ms>', description: 'how long one trade holds the terminal (one trade at a time)', default: '0' },
  { flags: '--busy <policy>', description: 'a trade arriving while another runs', choices: ['reject', 'queue'], default: 'reject' },
  { flags: '--leverage <n>', description: 'account leverage', default: '500' },
  { flags: '--broker-offset <offset>', description: "broker's UTC offset for server_time, e.g. +02:00", default: '+02:00' },
  { flags: '--no-symbol-endpoint', description: 'answer /symbol with 404 not_supported, like a minimal bridge' },
  {
    flags: '--fault <spec>',
    description: 'inject a fault, e.g. trade_error:code=146,count=3 or latency:ms=50 (repeatable; docs/sim.md)',
    repeatable: true,
  },
  { flags: '--allow-remote', description: 'allow binding to a non-loopback host' },
  {
    flags: '--transport <kind>',
    description:
      "the protocol to serve: rest (EA Bridge), dwx (DWX ZeroMQ EA) or metaapi (MetaApi's REST API); default: each agent's mt4.transport",
    choices: ['rest', 'dwx', 'metaapi'],
  },
  {
    flags: '--metaapi-trade-errors <reading>',
    description: 'metaapi: answer a refused trade as HTTP 200 with its code, or as a 400 TradeError',
    choices: ['200', '4xx'],
    default: '200',
  },
] as const;
export type SimOptions = OptionsOf<typeof options>;

export const sim = defineCommand({
  name: 'sim',
  description: 'run paper-trading terminals for the agents in agents.yml (EA Bridge REST, the DWX ZeroMQ EA, or MetaApi), until Ctrl-C',
  options,
  examples: [
    'MT4GW_AGENT1_TOKEN=x MT4GW_AGENT2_TOKEN=y MT4GW_AGENT3_TOKEN=z mt4gw sim',
    'mt4gw sim --agent agent_1 --latency 20 --fault trade_error:code=146,count=2',
    'mt4gw sim --busy queue --fault trade_context_busy:seconds=20,count=1,endpoint=/trade   # a bridge that answers late',
    'mt4gw sim --synthetic 50 --base-port 9100 --write-config /tmp/agents50.yml',
    'mt4gw sim --transport dwx   # agents with mt4.transport: dwx, on their push/pull/pub ports',
    'mt4gw sim --transport metaapi --fault http_429:seconds=2,count=1   # MetaApi agents (mt4.base_url on loopback)',
  ],
  help: '\nTokens come from the same environment variables as for the client. The control path /_sim/ is described in docs/sim.md.\n',
  handler: async () => (await import('./handlers/sim.js')).sim,
});
