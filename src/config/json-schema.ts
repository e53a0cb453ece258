// The JSON Schema of agents.yml, generated from the zod schema (schema.ts) with zod's
// z.toJSONSchema, for editors: the shipped agents.yml starts with
// `# yaml-language-server: $schema=./agents.schema.json`, so VS Code (YAML extension), Neovim and
// others complete keys and flag mistakes as you type. load.ts stays the authority: rules that need
// several fields or the agent's key (duplicate ports, max_lots vs lot_size, id vs key) are only
// checked there. `mt4gw config schema` prints it; agents.schema.json is this output, kept in sync
// by test/config-tools.test.ts. Nothing here runs at import time.
import * as z from 'zod';
import { AGENT_ID, AgentSchema, DefaultsSchema, ENV_REF, StateSchema, SYMBOL, SymbolOverrideSchema } from './schema.js';
import { TRANSPORT_KEYS, TRANSPORT_KINDS, TRANSPORT_SPECS } from './transports.js';

type Json = Record<string, unknown>;

/** Hover text for every key, by section (docs/configuration.md says the same at length). */
const DESCRIPTIONS: Record<string, Record<string, string>> = {
  root: {
    agents: 'One entry per MT4 terminal (agent), keyed by the agent id used on the command line.',
    defaults: "Any subset of an agent's fields except id, deep-merged into every agent (the agent's own values win; lists are replaced).",
    symbols: 'Contract specs by symbol, for bridges without /symbol or to correct what a bridge reports.',
    state:
      "A desk on several machines: halt, locks and journal in PostgreSQL (docs/shared-desk.md). Without it (and without MT4GW_STATE_URL), the state directory's files.",
  },
  state: {
    url: 'An environment reference only, exactly ${NAME}, holding a postgres:// URL. Never the URL itself (it holds a password).',
    url_file: 'A file holding the postgres:// URL alone (relative to agents.yml; chmod 600). Not together with url.',
  },
  agent: {
    id: 'Optional; must equal the key under agents:.',
    name: 'Display name (default: the id).',
    description: 'Free text.',
    enabled: 'false: takes no new orders, but is still read, closed and reached by panic.',
    mt4: "The agent's terminal: its EA Bridge, DWX EA or MetaApi account.",
    strategy: 'What the agent trades.',
    risk: "The agent's limits; every order is checked against them (docs/risk.md).",
  },
  mt4: {
    host: 'Host name or IP address of the EA Bridge or the DWX EA (not a URL, no port); transports rest and dwx.',
    port: 'TCP port of the EA Bridge (transport rest); one per agent.',
    account: 'MT4 login number (kept as written).',
    server: 'Broker server name.',
    token: 'An environment reference only, exactly ${NAME}, e.g. ${MT4GW_AGENT1_TOKEN}. Never a literal token.',
    token_file: 'A file holding the token alone (relative to agents.yml; chmod 600). Not together with token.',
    timeout_ms: 'Per-request timeout in milliseconds (1..600000); the global --timeout overrides it.',
    max_order_age:
      "How old an order whose answer was lost must be, on the terminal's clock, before mt4gw proves it never opened (10s..1h, default 2m; docs/reliability.md).",
    transport: "rest: the EA Bridge REST API (default); dwx: the DWX ZeroMQ server EA; metaapi: MetaApi's cloud API (docs/transports.md).",
    push_port: "transport dwx: the EA's PUSH_PORT, where commands go (default 32768).",
    pull_port: "transport dwx: the EA's PULL_PORT, where replies come from (default 32769).",
    pub_port: "transport dwx: the EA's PUB_PORT, where quotes come from (default 32770).",
    currency: 'transport dwx: the account currency (the DWX EA does not report it), e.g. USD.',
    account_id: "transport metaapi: MetaApi's id of the account (a UUID, not the MT4 login); one agent per account.",
    region: "transport metaapi: the region of MetaApi's API, e.g. new-york (the default) or london; not with base_url.",
    base_url:
      "transport metaapi: the API address when it is not a region's, e.g. https://mt-client-api-v1.london.agiliumtrade.ai (http only to loopback: the paper bridge).",
  },
  strategy: {
    type: 'A label: amd, ict, mixed, …',
    pairs: 'The symbols this agent trades (upper-cased, duplicates dropped).',
    timeframe: 'A label: 5m, 15m, …',
    min_confidence: 'Lowest signal confidence this agent acts on, 0..1 (0.7 = 70%).',
  },
  risk: {
    initial_balance: 'Starting balance, in the account currency.',
    max_risk_per_trade: 'Largest loss at the stop per trade, as a fraction of the balance: 0.01 = 1%.',
    max_daily_loss: "Daily loss limit as a fraction of the day's starting balance (broker's midnight): 0.05 = 5%.",
    max_positions: 'Open positions at once.',
    allowed_pairs: 'Orders for other symbols are denied (default: no restriction).',
    lot_size: 'Default order size in lots.',
    max_lots: 'Largest order in lots (default: lot_size).',
    require_stop_loss: 'true: orders without a stop loss are denied.',
  },
  symbol: {
    digits: 'Price digits, 0..10.',
    point: 'Smallest price change.',
    contract_size: 'Units per lot.',
    tick_size: 'Price step of tick_value.',
    tick_value: 'Value of one tick_size move for one lot, in the account currency.',
    min_lot: 'Smallest order.',
    lot_step: 'Order size step.',
    max_lot: 'Largest order.',
    stop_level: 'Minimum stop distance, in points.',
    freeze_level: 'Freeze distance, in points.',
    margin_required: 'Margin per lot.',
  },
};

/** A copy of a schema with every `required` list dropped (values may come from `defaults:`). */
function relaxed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(relaxed);
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v as Json)) if (k !== 'required') out[k] = relaxed(x);
  return out;
}

/** The rules that tie mt4 keys to the transport (schema.ts Mt4Schema's refinement), where they can be told. */
function transportRules(mt4Props: Json): Json[] {
  const has = (keys: string[]) => ({ anyOf: keys.filter((k) => k in mt4Props).map((k) => ({ required: [k] })) });
  return TRANSPORT_KINDS.map((kind) => {
    const spec = TRANSPORT_SPECS[kind];
    const others = [...TRANSPORT_KEYS].filter(([, owners]) => !owners.includes(kind)).map(([k]) => k);
    const forbidden = [...others, ...(spec.token ? [] : ['token', 'token_file'])];
    // rest is the default: it applies when `transport` is absent too.
    const chosen =
      kind === 'rest'
        ? { anyOf: [{ not: { required: ['transport'] } }, { properties: { transport: { const: kind } }, required: ['transport'] }] }
        : { properties: { transport: { const: kind } }, required: ['transport'] };
    return { if: chosen, then: { required: [...spec.required], not: has(forbidden) } };
  });
}

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** Sets `description` on each property of an object schema. */
function describe(schema: unknown, section: string): void {
  const props = obj(obj(schema).properties);
  for (const [key, text] of Object.entries(DESCRIPTIONS[section] ?? {})) {
    const p = props[key];
    if (p && typeof p === 'object') (p as Json).description = text;
  }
}

const TOKEN_SCHEMA = {
  type: 'string',
  pattern: ENV_REF.source,
  description: DESCRIPTIONS.mt4!.token,
};

/** The JSON Schema (draft-07) of agents.yml: deterministic, so the shipped file can be compared. */
export function configJsonSchema(): Json {
  const root = z.strictObject({
    agents: z.record(z.string(), AgentSchema),
    defaults: DefaultsSchema.optional(),
    symbols: z.record(z.string(), SymbolOverrideSchema).optional(),
    state: StateSchema.optional(),
  });
  // io 'input': what may be written in the file (defaults make keys optional; transforms are
  // described by their input).
  const generated = z.toJSONSchema(root, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Json;
  const props = obj(generated.properties);

  const agents = obj(props.agents);
  const agent = obj(agents.additionalProperties);
  const defaults = obj(props.defaults);
  for (const a of [agent, defaults]) {
    describe(a, 'agent');
    const ap = obj(a.properties);
    describe(ap.mt4, 'mt4');
    describe(ap.strategy, 'strategy');
    describe(ap.risk, 'risk');
    const mt4Props = obj(obj(ap.mt4).properties);
    if ('token' in mt4Props) mt4Props.token = { ...TOKEN_SCHEMA };
  }
  // An agent is checked in full only when the file has no `defaults:` (which may supply any of
  // its keys, its transport included); otherwise without `required`, so no valid file is flagged.
  const mt4 = obj(obj(agent.properties).mt4);
  const mt4Required = ((mt4.required as string[] | undefined) ?? []).filter((k) => k !== 'port');
  const strictAgent = {
    ...agent,
    properties: { ...obj(agent.properties), mt4: { ...mt4, required: mt4Required, allOf: transportRules(obj(mt4.properties)) } },
  };
  props.agents = { type: 'object', propertyNames: { pattern: AGENT_ID.source }, minProperties: 1 };
  const symbols = obj(props.symbols);
  symbols.propertyNames = { pattern: SYMBOL.source };
  describe(symbols.additionalProperties, 'symbol');

  describe(generated, 'root');
  const state = obj(props.state);
  obj(state.properties).url = { type: 'string', pattern: ENV_REF.source };
  describe(state, 'state');
  state.oneOf = [{ required: ['url'] }, { required: ['url_file'] }];

  // Top-level keys starting with x- are ignored by mt4gw (a place for YAML anchors).
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'mt4gw agents.yml',
    description: 'Agents (MT4 terminals behind an EA Bridge) for mt4gw. See docs/configuration.md.',
    ...rest,
    patternProperties: { '^x-': {} },
    if: { required: ['defaults'] },
    then: { properties: { agents: { additionalProperties: relaxed(agent) } } },
    else: { properties: { agents: { additionalProperties: strictAgent } } },
  };
}

/** The schema as the file agents.schema.json holds it. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
