// The transport registry: for each `mt4.transport` the factory of its Bridge, and opening one bridge
// per agent. Every token is resolved first, so a missing token variable is reported (exit 2) before
// any request is sent to any agent. Every bridge is wrapped in the account check (identity.ts).
// A new transport is one more entry in TRANSPORTS (and its branch of the mt4 schema in src/config/).
import { resolveToken, resolveTokens } from '../config/tokens.js';
import type { Secret } from '../config/secret.js';
import { ConfigError } from '../errors.js';
import type { AgentConfig, Mt4Config } from '../config/types.js';
import { BridgeClient } from './client.js';
import { LazyDwxBridge } from './dwx/lazy.js';
import { withIdentityCheck } from './identity.js';
import { MetaApiClient } from './metaapi/client.js';
import type { SymbolOverride } from './symbols.js';
import type { Bridge, TransportKind } from './transport.js';

/** What a transport's factory gets besides the agent. */
export interface OpenContext {
  token: Secret | undefined;
  timeoutMs: number;
  log: ((line: string) => void) | undefined;
  /** agents.yml `symbols:` (the dwx client sends stops in points and needs each symbol's point size). */
  symbols: Record<string, SymbolOverride> | undefined;
}

/** A transport's factory: the agent, its own branch of the mt4 block, and the context. */
type Factories = { [K in TransportKind]: (agent: AgentConfig, mt4: Extract<Mt4Config, { transport: K }>, ctx: OpenContext) => Bridge };

export const TRANSPORTS: Readonly<Factories> = {
  rest: (agent, mt4, ctx) =>
    new BridgeClient({ id: agent.id, host: mt4.host, port: mt4.port, timeoutMs: ctx.timeoutMs, token: ctx.token }, { log: ctx.log }),
  dwx: (agent, mt4, ctx) =>
    new LazyDwxBridge(
      {
        id: agent.id,
        host: mt4.host,
        pushPort: mt4.push_port,
        pullPort: mt4.pull_port,
        pubPort: mt4.pub_port,
        timeoutMs: ctx.timeoutMs,
        currency: mt4.currency,
        server: mt4.server,
        symbols: ctx.symbols,
      },
      { log: ctx.log },
    ),
  metaapi: (agent, mt4, ctx) =>
    new MetaApiClient(
      { id: agent.id, accountId: mt4.account_id, baseUrl: mt4.base_url, timeoutMs: ctx.timeoutMs, token: ctx.token },
      { log: ctx.log },
    ),
};

function create(agent: AgentConfig, ctx: OpenContext): Bridge {
  const factory = TRANSPORTS[agent.mt4.transport] as (agent: AgentConfig, mt4: Mt4Config, ctx: OpenContext) => Bridge;
  if (!factory) throw new Error(`internal: no transport ${agent.mt4.transport}`);
  return factory(agent, agent.mt4, ctx);
}

/** One agent's bridge, account-checked. */
export function openBridge(agent: AgentConfig, ctx: OpenContext): Bridge {
  // A login written as digits is checked; a placeholder such as "XXXXX" cannot be (config warns).
  const account = agent.mt4.account !== undefined && /^\d+$/.test(agent.mt4.account.trim()) ? agent.mt4.account : undefined;
  return withIdentityCheck(create(agent, ctx), { account, server: agent.mt4.server });
}

export interface BridgeOptions {
  env: NodeJS.ProcessEnv;
  /** Overrides every agent's mt4.timeout_ms (the global --timeout). */
  timeoutMs?: number | undefined;
  debug?: ((line: string) => void) | undefined;
  /** agents.yml `symbols:`: the dwx client sends stops in points and needs the point size of each symbol. */
  symbols?: Record<string, SymbolOverride> | undefined;
}

export interface Bridges {
  get(agentId: string): Bridge;
  /** With tolerateMissingTokens: agents left out because their token could not be resolved. */
  unavailable: Map<string, string>;
  close(): Promise<void>;
}

export function openBridges(agents: AgentConfig[], options: BridgeOptions & { tolerateMissingTokens?: boolean }): Bridges {
  const unavailable = new Map<string, string>();
  let tokens: Map<string, Secret | undefined>;
  if (options.tolerateMissingTokens) {
    // Panic: one agent's missing token must not keep the others from being flattened.
    tokens = new Map();
    for (const agent of agents) {
      try {
        tokens.set(agent.id, resolveToken(agent, options.env));
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        unavailable.set(agent.id, e.message);
      }
    }
  } else tokens = resolveTokens(agents, options.env);
  const clients = new Map<string, Bridge>();
  for (const agent of agents) {
    if (unavailable.has(agent.id)) continue;
    clients.set(
      agent.id,
      openBridge(agent, {
        token: tokens.get(agent.id),
        timeoutMs: options.timeoutMs ?? agent.mt4.timeout_ms,
        log: options.debug,
        symbols: options.symbols,
      }),
    );
  }
  return {
    unavailable,
    get(agentId) {
      const c = clients.get(agentId);
      if (!c) throw new Error(`internal: no bridge opened for ${agentId}`);
      return c;
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
