// The agents.yml that `mt4gw config init` writes: one agent, every key commented, a second agent
// commented out, and (when known) the yaml-language-server line pointing editors at the JSON Schema.
// test/config-tools.test.ts loads it, so it always passes validation.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of the mt4gw package (holding package.json and agents.schema.json), from src/ or dist/. */
export function packageRoot(from: string = import.meta.url): string | undefined {
  let dir = dirname(fileURLToPath(from));
  for (let i = 0; i < 5; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mt4gw') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** The installed agents.schema.json, if there is one. */
export function installedSchemaPath(): string | undefined {
  const root = packageRoot();
  const file = root && join(root, 'agents.schema.json');
  return file && existsSync(file) ? file : undefined;
}

export function initTemplate(o: { schemaRef?: string | undefined } = {}): string {
  const schemaLine = o.schemaRef ? `# yaml-language-server: $schema=${o.schemaRef}\n` : '';
  return `${schemaLine}# mt4gw agents.yml — one entry per MT4 terminal ("agent"), each running an EA Bridge on its own port.
# Written by \`mt4gw config init\`. Check it with \`mt4gw config validate\`; see what mt4gw makes of it
# with \`mt4gw config show\`. Every key, its default and the lookup order: docs/configuration.md.
#
# Secrets never go in this file: \`token:\` only takes an environment reference such as
# \${MT4GW_AGENT1_TOKEN} (or use \`token_file: path\`, relative to this file, chmod 600).

# Optional: settings shared by every agent; an agent's own values win, lists are replaced.
# defaults:
#   mt4:
#     timeout_ms: 5000
#   risk:
#     require_stop_loss: true

agents:
  agent_1:                         # the agent id used on the command line (mt4gw account agent_1)
    name: "Atlas"                  # display name (default: the id)
    description: ""
    enabled: true                  # false: no new orders, but still read, closed and reached by panic
    mt4:
      host: "127.0.0.1"            # where this agent's EA Bridge listens (no scheme, no port)
      port: 8081                   # one port per agent
      # account: "22437"           # MT4 login (kept as written)
      # server: "Broker-Demo01"    # broker server name
      token: \${MT4GW_AGENT1_TOKEN} # read from the environment when a command needs it
      # token_file: atlas.token    # …or a file holding the token alone (not both)
      # timeout_ms: 5000           # per-request timeout; the global --timeout overrides it
    strategy:
      # type: "amd"                # a label
      pairs: ["XAUUSD"]            # symbols this agent trades (mt4gw trade offers them)
      # timeframe: "5m"
      # min_confidence: 0.7        # ignore signals below this confidence (0..1)
    risk:
      initial_balance: 200         # account currency
      max_risk_per_trade: 0.01     # fraction of the balance: 0.01 = 1%
      max_daily_loss: 0.05         # 5% of the day's starting balance (broker's midnight)
      max_positions: 1             # open positions at once
      # allowed_pairs: ["XAUUSD"]  # orders for other symbols are denied
      lot_size: 0.01               # default order size
      # max_lots: 0.01             # largest order; defaults to lot_size
      # require_stop_loss: false   # true: orders without a stop loss are denied

  # A second agent: uncomment, and give it its own port and token variable.
  # agent_2:
  #   name: "Orion"
  #   mt4:
  #     host: "127.0.0.1"
  #     port: 8082
  #     token: \${MT4GW_AGENT2_TOKEN}
  #   strategy:
  #     pairs: ["EURUSD", "GBPUSD"]
  #   risk:
  #     initial_balance: 500
  #     max_risk_per_trade: 0.015
  #     max_daily_loss: 0.05
  #     max_positions: 2
  #     lot_size: 0.02

  # An agent on MetaApi's cloud (metaapi.cloud): no terminal and no EA of your own. Create the
  # account in MetaApi, deploy it, and copy its id and an API token (docs/transports.md).
  # agent_3:
  #   name: "Nova"
  #   mt4:
  #     transport: metaapi
  #     account_id: "865d3a4d-3803-486d-bdf3-a85679d9fad2"   # MetaApi's id, not the MT4 login
  #     # region: london             # default new-york; or base_url: https://… for another domain
  #     token: \${MT4GW_AGENT3_TOKEN} # MetaApi's API token, sent as auth-token
  #     timeout_ms: 15000            # trades go through the cloud: allow them time
  #   strategy:
  #     pairs: ["XAUUSD"]
  #   risk:
  #     initial_balance: 1000
  #     max_risk_per_trade: 0.01
  #     max_daily_loss: 0.05
  #     max_positions: 1
  #     lot_size: 0.01

# Optional: contract specs for brokers whose bridge has no /symbol endpoint, or to correct one.
# symbols:
#   XAUUSD:
#     contract_size: 100
#     min_lot: 0.01
`;
}
