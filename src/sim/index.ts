// The paper terminals: startSim() serves any number of paper MT4 terminals, one per agent, each a
// front (the EA Bridge REST protocol v1, the DWX ZeroMQ EA, or MetaApi's REST API) over its own engine. See
// docs/sim.md. Nothing here runs at import time.
import { COMMON_SYMBOLS } from '../bridge/symbols.js';
import { SimEngine } from './engine.js';
import { SimInputError } from './errors.js';
import { FaultSet, validateFaults } from './faults.js';
import { Prng, hashSeed } from './prng.js';
import { DwxAgentServer } from './dwx-server.js';
import { MetaApiTerminal, simAccountId } from './metaapi-server.js';
import { RestTerminal } from './rest-server.js';
import type { PaperTerminal, TerminalConfig } from './terminal.js';
import { BUSY_POLICIES, type BusyPolicy } from './trade-context.js';
import type { SimAgentControl, SimAgentOptions, SimHandle, SimOptions } from './types.js';

export type { SimAgentControl, SimAgentOptions, SimHandle, SimOptions, SimRequest, SimTradeOutcome } from './types.js';
export type { BusyPolicy, TradeContextStatus } from './trade-context.js';
export type { Fault, FaultKind } from './faults.js';
export { SimInputError } from './errors.js';
export { FAULT_KINDS, validateFault, validateFaults } from './faults.js';
export { PaperTerminal } from './terminal.js';
export { HttpTerminal } from './http-terminal.js';
export type { Quote } from './market.js';
export type { EngineState, HistoryInput, PendingOrderInput, SpecOverride } from './engine-state.js';
export type { AccountWire, ClosedTradeWire, PendingOrderWire, PendingType, PositionWire, TickWire, TradeReplyWire } from './wire.js';
export { SimEngine } from './engine.js';
export { DwxAgentServer, type DwxPorts, type EaInputs } from './dwx-server.js';
export { MetaApiTerminal, simAccountId } from './metaapi-server.js';
export type { MetaApiTradeErrors, SimTransport } from './types.js';

/** True for 127.0.0.0/8, ::1 (and its IPv4-mapped forms) and "localhost". */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  if (!m) return false;
  return m[1] === '127' && m.slice(1).every((o) => Number(o) <= 255);
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new SimInputError(message);
}

type Transport = NonNullable<SimOptions['transport']>;

/**
 * How each transport's front is made from the parts every paper terminal shares (engine, faults,
 * clock, trade context). A new front is one more entry.
 */
const FRONTS: Record<
  Transport,
  (shared: TerminalConfig, a: SimAgentOptions, opts: SimOptions & { brokerOffsetMinutes: number }) => PaperTerminal
> = {
  rest: (shared, a, opts) => new RestTerminal({ ...shared, port: a.port, token: a.token, symbolEndpoint: opts.symbolEndpoint ?? true }),
  dwx: (shared, a, opts) => {
    const derived = (key: 'push_port' | 'pull_port' | 'pub_port', i: number) => {
      const p = a.dwx?.[key] ?? (a.port === 0 ? 0 : a.port + i);
      check(Number.isInteger(p) && p >= 0 && p <= 65535, `agent ${a.id}: dwx ${key} must be an integer in 0..65535`);
      return p;
    };
    return new DwxAgentServer({
      ...shared,
      pushPort: derived('push_port', 0),
      pullPort: derived('pull_port', 1),
      pubPort: derived('pub_port', 2),
      brokerOffsetMinutes: opts.brokerOffsetMinutes,
      ...(opts.dwxPublishIntervalMs !== undefined ? { publishIntervalMs: opts.dwxPublishIntervalMs } : {}),
    });
  },
  metaapi: (shared, a, opts) => {
    const accountId = a.metaapi?.account_id ?? simAccountId(a.id);
    check(
      typeof accountId === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(accountId),
      `agent ${a.id}: metaapi account_id must be letters, digits, - and _`,
    );
    const tradeErrors = a.metaapi?.trade_errors ?? opts.metaapiTradeErrors ?? '200';
    check(tradeErrors === '200' || tradeErrors === '4xx', `agent ${a.id}: metaapi trade_errors must be '200' or '4xx'`);
    return new MetaApiTerminal({
      ...shared,
      port: a.port,
      token: a.token,
      accountId,
      tradeErrors,
      brokerOffsetMinutes: opts.brokerOffsetMinutes,
    });
  },
};

function isTransport(t: unknown): t is Transport {
  return typeof t === 'string' && Object.hasOwn(FRONTS, t);
}

/** Starts one paper bridge per agent. Rejects (starting nothing) on bad options or a port in use. */
export async function startSim(opts: SimOptions): Promise<SimHandle> {
  check(typeof opts === 'object' && opts !== null, 'startSim needs options');
  check(Array.isArray(opts.agents) && opts.agents.length > 0, 'startSim needs at least one agent');
  const seed = opts.seed ?? 1;
  check(Number.isFinite(seed), 'seed must be a number');
  const brokerOffsetMinutes = opts.brokerOffsetMinutes ?? 120;
  check(
    Number.isInteger(brokerOffsetMinutes) && Math.abs(brokerOffsetMinutes) <= 14 * 60,
    'brokerOffsetMinutes must be an integer within ±840',
  );
  const tradeLatencyMs = opts.tradeLatencyMs ?? 0;
  check(Number.isFinite(tradeLatencyMs) && tradeLatencyMs >= 0, 'tradeLatencyMs must be >= 0');
  const isPolicy = (p: unknown): p is BusyPolicy => (BUSY_POLICIES as readonly unknown[]).includes(p);
  const busyPolicy = opts.busyPolicy ?? 'reject';
  check(isPolicy(busyPolicy), "busyPolicy must be 'reject' or 'queue'");
  const faults = validateFaults(opts.faults ?? []);
  const baseClock = opts.clock ?? Date.now;

  const defaultTransport = opts.transport ?? 'rest';
  check(isTransport(defaultTransport), `transport must be one of ${Object.keys(FRONTS).join(', ')}`);

  const ids = new Set<string>();
  const servers: PaperTerminal[] = [];
  for (const [index, a] of opts.agents.entries()) {
    check(typeof a.id === 'string' && a.id !== '', `agents[${index}]: id is required`);
    check(!ids.has(a.id), `agent id "${a.id}" appears twice`);
    ids.add(a.id);
    const host = (a.host ?? '127.0.0.1').trim().replace(/^\[(.*)\]$/, '$1');
    check(
      opts.allowNonLoopback === true || isLoopbackHost(host),
      `agent ${a.id}: refusing to bind ${host}, which is not a loopback address (the paper bridge has no TLS; set allowNonLoopback to do it anyway)`,
    );
    check(Number.isInteger(a.port) && a.port >= 0 && a.port <= 65535, `agent ${a.id}: port must be an integer in 0..65535`);
    check(Number.isFinite(a.initialBalance) && a.initialBalance >= 0, `agent ${a.id}: initialBalance must be a number >= 0`);
    const leverage = a.leverage ?? 500;
    check(Number.isFinite(leverage) && leverage > 0, `agent ${a.id}: leverage must be > 0`);
    const currency = a.currency ?? 'USD';
    check(currency === 'USD', `agent ${a.id}: the sim keeps accounts in USD only`);
    const symbols = a.symbols ?? Object.keys(COMMON_SYMBOLS);
    check(Array.isArray(symbols) && symbols.length > 0, `agent ${a.id}: symbols must be a non-empty list`);
    const login = a.login ?? 22437 + index;
    check(Number.isSafeInteger(login) && login > 0, `agent ${a.id}: login must be a positive integer`);
    const server = a.server ?? 'mt4gw-Paper';
    check(typeof server === 'string' && server.trim() !== '', `agent ${a.id}: server must be a non-empty string`);
    const name = a.name ?? `Paper ${a.id}`;
    check(typeof name === 'string', `agent ${a.id}: name must be a string`);
    const policy = a.busyPolicy ?? busyPolicy;
    check(isPolicy(policy), `agent ${a.id}: busyPolicy must be 'reject' or 'queue'`);

    let agentNow: () => number = baseClock;
    const engine = new SimEngine({
      seed,
      symbols,
      initialBalance: a.initialBalance,
      leverage,
      currency,
      login,
      name,
      server,
      brokerOffsetMinutes,
      now: () => agentNow(),
      firstTicket: (index + 1) * 1_000_000 + 1,
    });
    const faultSet = new FaultSet(new Prng(hashSeed(seed, 'faults', a.id)));
    faultSet.set(faults);
    const transport = a.transport ?? defaultTransport;
    check(isTransport(transport), `agent ${a.id}: transport must be one of ${Object.keys(FRONTS).join(', ')}`);
    const shared: TerminalConfig = {
      id: a.id,
      host,
      engine,
      faults: faultSet,
      tradeLatencyMs,
      busyPolicy: policy,
      baseClock,
      bindClock: (now) => {
        agentNow = now;
      },
    };
    servers.push(FRONTS[transport](shared, a, { ...opts, brokerOffsetMinutes }));
  }

  const started: PaperTerminal[] = [];
  try {
    for (const s of servers) {
      await s.start();
      started.push(s);
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    const s = servers[started.length]!;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'the port is in use' : e.message;
    throw new SimInputError(`agent ${s.id}: cannot listen on ${s.where()}: ${why}`);
  }

  const byId = new Map(servers.map((s) => [s.id, s]));
  return {
    agents: servers.map((s) =>
      s instanceof DwxAgentServer
        ? { id: s.id, url: s.url, port: s.port, host: s.host, transport: s.transport, dwx: s.ports() }
        : s instanceof MetaApiTerminal
          ? {
              id: s.id,
              url: s.url,
              port: s.port,
              host: s.host,
              transport: s.transport,
              metaapi: { account_id: s.accountId, base_url: s.baseUrl },
            }
          : { id: s.id, url: s.url, port: s.port, host: s.host, transport: s.transport },
    ),
    agent(id: string): SimAgentControl {
      const s = byId.get(id);
      if (!s) throw new SimInputError(`no sim agent "${id}" (have ${[...byId.keys()].join(', ')})`);
      return s;
    },
    async close(): Promise<void> {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

const SYNTHETIC_BALANCES = [200, 500, 1000];

/**
 * agent_1 … agent_N on consecutive ports from basePort (basePort 0: every one ephemeral), with
 * balances 200, 500, 1000, 200, … as in the design documents.
 */
export function syntheticAgents(count: number, basePort: number, token?: string): SimAgentOptions[] {
  check(Number.isInteger(count) && count >= 0, 'count must be an integer >= 0');
  check(
    Number.isInteger(basePort) && basePort >= 0 && (basePort === 0 || basePort + count - 1 <= 65535),
    'basePort leaves no room for that many agents',
  );
  return Array.from({ length: count }, (_, i) => ({
    id: `agent_${i + 1}`,
    port: basePort === 0 ? 0 : basePort + i,
    initialBalance: SYNTHETIC_BALANCES[i % SYNTHETIC_BALANCES.length]!,
    ...(token === undefined ? {} : { token }),
  }));
}
