// The transports of the `mt4` block, one entry each: the keys it adds, the rules that tie them
// together, its branch of AgentConfig.mt4, the endpoints it occupies (two agents on one endpoint are
// one terminal: two locks and two sets of limits on one account) and its JSON Schema rule. The zod
// schema (schema.ts), the validator, `config show` and the JSON Schema all read this table, so a
// new transport is one more entry here (and its Bridge factory in src/bridge/registry.ts).
import { hostKey } from './address.js';
import type { AgentConfig, DwxMt4, MetaApiMt4, Mt4Common, RestMt4 } from './types.js';

export type TransportKind = AgentConfig['mt4']['transport'];

/** The mt4 block as the schema parses it: every transport's keys, each optional. */
export interface Mt4Parsed {
  transport: TransportKind;
  host?: string | undefined;
  port?: number | undefined;
  token?: unknown;
  token_file?: string | undefined;
  push_port?: number | undefined;
  pull_port?: number | undefined;
  pub_port?: number | undefined;
  currency?: string | undefined;
  account_id?: string | undefined;
  region?: string | undefined;
  base_url?: string | undefined;
  [key: string]: unknown;
}

/** One endpoint an agent occupies: the key that sets it, a normalized identity, and how to show it. */
export interface Endpoint {
  key: string;
  identity: string;
  shown: string;
}

export interface TransportSpec {
  kind: TransportKind;
  /** `'rest' (EA Bridge REST)`: for messages listing the transports. */
  label: string;
  /** The mt4 keys that belong to this transport only. */
  keys: readonly string[];
  /** Whether the agent authenticates with a token (token / token_file). */
  token: boolean;
  /** Keys the transport requires, for the JSON Schema (the refinement says why, in words). */
  required: readonly string[];
  /** Cross-key rules; `issue(key, message)` reports at the key. */
  refine(m: Mt4Parsed, issue: (key: string, message: string) => void, missing: string): void;
  /** Its branch of AgentConfig.mt4, from a block the refinement accepted. */
  build(m: Mt4Parsed, common: Mt4Common): AgentConfig['mt4'];
  /** The endpoints a (possibly invalid) block occupies: only those whose keys are valid. */
  endpoints(m: Partial<Mt4Parsed>): Endpoint[];
  /** Where the agent's terminal is reached, in a few words (`127.0.0.1:8081`, `metaapi 865d…`): `mt4gw agents`. */
  where(mt4: AgentConfig['mt4']): string;
}

const isPort = (p: unknown): p is number => typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
const validHost = (h: unknown): h is string => typeof h === 'string' && h.trim() !== '';

/** The DWX server EA's default ports (its PUSH_PORT, PULL_PORT and PUB_PORT inputs). */
export const DWX_DEFAULT_PORTS = Object.freeze({ push_port: 32768, pull_port: 32769, pub_port: 32770 });
const DWX_PORT_KEYS = ['push_port', 'pull_port', 'pub_port'] as const;

/** The message the tests pin for a missing host (it was the schema's own until metaapi, which has none). */
const HOST_WHAT = 'expected a host name or IP address such as 127.0.0.1';

const rest: TransportSpec = {
  kind: 'rest',
  label: "'rest' (EA Bridge REST)",
  keys: ['host', 'port'],
  token: true,
  required: ['host', 'port'],
  refine(m, issue, missing) {
    if (m.host === undefined) issue('host', `${missing}${HOST_WHAT}`);
    if (m.port === undefined) issue('port', `${missing}expected a TCP port, an integer 1..65535`);
  },
  build: (m, common): RestMt4 => ({ ...common, transport: 'rest', host: m.host!, port: m.port! }),
  endpoints: (m) =>
    validHost(m.host) && isPort(m.port)
      ? [{ key: 'port', identity: `${hostKey(m.host)}:${m.port}`, shown: `${m.host.trim()}:${m.port}` }]
      : [],
  where: (mt4) => (mt4.transport === 'rest' ? `${mt4.host}:${mt4.port}` : ''),
};

const dwx: TransportSpec = {
  kind: 'dwx',
  label: "'dwx' (DWX ZeroMQ server EA)",
  keys: ['host', ...DWX_PORT_KEYS, 'currency'],
  token: false,
  required: ['host', 'currency'],
  refine(m, issue, missing) {
    if (m.host === undefined) issue('host', `${missing}${HOST_WHAT}`);
    if (m.port !== undefined)
      issue('port', "with transport dwx there is no `port`: set push_port, pull_port and pub_port (the DWX EA's inputs)");
    if (m.token !== undefined || m.token_file !== undefined) {
      issue(
        m.token !== undefined ? 'token' : 'token_file',
        "the DWX server EA has no authentication: remove it (and keep the EA's ports on 127.0.0.1 or behind a firewall)",
      );
    }
    if (m.currency === undefined) issue('currency', `${missing}expected the account currency such as USD (the DWX EA does not report it)`);
    const ports = DWX_PORT_KEYS.map((k) => m[k] ?? DWX_DEFAULT_PORTS[k]);
    if (new Set(ports).size !== ports.length) {
      // Point at a key that is written (a default cannot be wrong on its own).
      const at =
        DWX_PORT_KEYS.find((k, i) => m[k] !== undefined && ports.indexOf(ports[i]!) !== ports.lastIndexOf(ports[i]!)) ?? 'pub_port';
      issue(at, `push_port, pull_port and pub_port must differ (they are ${ports.join(', ')}; the defaults are 32768, 32769, 32770)`);
    }
  },
  build: (m, common): DwxMt4 => ({
    ...common,
    transport: 'dwx',
    host: m.host!,
    push_port: m.push_port ?? DWX_DEFAULT_PORTS.push_port,
    pull_port: m.pull_port ?? DWX_DEFAULT_PORTS.pull_port,
    pub_port: m.pub_port ?? DWX_DEFAULT_PORTS.pub_port,
    currency: m.currency ?? 'USD',
  }),
  endpoints: (m) => {
    if (!validHost(m.host)) return [];
    return DWX_PORT_KEYS.flatMap((k) => {
      const port = m[k] ?? DWX_DEFAULT_PORTS[k];
      return isPort(port)
        ? [{ key: k, identity: `${hostKey(m.host as string)}:${port}`, shown: `${(m.host as string).trim()}:${port}` }]
        : [];
    });
  },
  where: (mt4) => (mt4.transport === 'dwx' ? `${mt4.host}:${mt4.push_port}` : ''),
};

/** MetaApi's regional address (../shared/contracts/metaapi-notes.md). */
export const METAAPI_DEFAULT_REGION = 'new-york';
export function metaApiRegionUrl(region: string): string {
  return `https://mt-client-api-v1.${region}.agiliumtrade.ai`;
}
/** MetaApi's account ids are UUIDs; anything that is one path segment is taken. */
const validAccountId = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(v.trim());

const metaapi: TransportSpec = {
  kind: 'metaapi',
  label: "'metaapi' (MetaApi cloud API)",
  keys: ['account_id', 'region', 'base_url'],
  token: true,
  required: ['account_id'],
  refine(m, issue, missing) {
    for (const key of ['host', 'port'] as const) {
      if (m[key] !== undefined)
        issue(
          key,
          `with transport metaapi there is no \`${key}\`: MetaApi is reached at its region's address (mt4.region) or mt4.base_url`,
        );
    }
    if (m.account_id === undefined)
      issue('account_id', `${missing}expected MetaApi's account id, such as 865d3a4d-3803-486d-bdf3-a85679d9fad2 (not the MT4 login)`);
    if (m.token === undefined && m.token_file === undefined)
      issue('token', `${missing}MetaApi needs its API token: write \`token: \${NAME}\` (an environment variable) or \`token_file: path\``);
    if (m.region !== undefined && m.base_url !== undefined) issue('base_url', 'set either `region` or `base_url`, not both');
  },
  build: (m, common): MetaApiMt4 => ({
    ...common,
    transport: 'metaapi',
    account_id: m.account_id!,
    base_url: m.base_url ?? metaApiRegionUrl(m.region ?? METAAPI_DEFAULT_REGION),
    ...(m.base_url === undefined ? { region: m.region ?? METAAPI_DEFAULT_REGION } : {}),
  }),
  // One MetaApi account is one terminal, whatever address it is reached at.
  endpoints: (m) =>
    validAccountId(m.account_id)
      ? [{ key: 'account_id', identity: `metaapi:${m.account_id.trim().toLowerCase()}`, shown: m.account_id.trim() }]
      : [],
  where: (mt4) => (mt4.transport === 'metaapi' ? `metaapi ${mt4.account_id}` : ''),
};

export const TRANSPORT_SPECS: Readonly<Record<TransportKind, TransportSpec>> = { rest, dwx, metaapi };
export const TRANSPORT_KINDS = Object.keys(TRANSPORT_SPECS) as TransportKind[];

/** Every transport-only key, with the transports it belongs to. */
export const TRANSPORT_KEYS: ReadonlyMap<string, TransportKind[]> = new Map(
  [...new Set(TRANSPORT_KINDS.flatMap((k) => TRANSPORT_SPECS[k].keys))].map((key) => [
    key,
    TRANSPORT_KINDS.filter((k) => TRANSPORT_SPECS[k].keys.includes(key)),
  ]),
);

/** The rules of the chosen transport, plus: no key of another transport, no token where there is no auth. */
export function refineMt4(m: Mt4Parsed, issue: (key: string, message: string) => void, missing: string): void {
  const spec = TRANSPORT_SPECS[m.transport];
  const reported = new Set<string>();
  spec.refine(
    m,
    (key, message) => {
      reported.add(key);
      issue(key, message);
    },
    missing,
  );
  for (const [key, owners] of TRANSPORT_KEYS) {
    if (m[key] === undefined || owners.includes(m.transport) || reported.has(key)) continue;
    const where = owners.length === 1 ? `transport ${owners[0]}` : `transports ${owners.join(', ')}`;
    issue(key, `\`${key}\` applies to ${where} only: remove it, or set \`transport: ${owners[0]}\``);
  }
}

/** The endpoints of an agent as AgentConfig holds it. */
export function endpointsOf(mt4: AgentConfig['mt4']): Endpoint[] {
  return TRANSPORT_SPECS[mt4.transport].endpoints(mt4 as unknown as Partial<Mt4Parsed>);
}

/** Where an agent's terminal is reached, in a few words (`mt4gw agents`). */
export function whereOf(mt4: AgentConfig['mt4']): string {
  return TRANSPORT_SPECS[mt4.transport].where(mt4);
}
