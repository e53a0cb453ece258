// The transport registry: for each `mt4.transport` the factory of its Bridge, and opening one bridge
// per agent. Every token is resolved first, so a missing token variable is reported (exit 2) before
// any request is sent to any agent. Every bridge is wrapped in the account check (identity.ts).
// A new transport is one more entry in TRANSPORTS (and its branch of the mt4 schema in src/config/).
import { hostKey } from '../config/address.js';
import { resolveToken, resolveTokens } from '../config/tokens.js';
import type { Secret } from '../config/secret.js';
import { ConfigError } from '../errors.js';
import type { AgentConfig } from '../config/types.js';
import { BridgeClient } from './client.js';
import { LazyDwxBridge } from './dwx/lazy.js';
import { withIdentityCheck } from './identity.js';
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

export type TransportFactory = (agent: AgentConfig, ctx: OpenContext) => Bridge;

export const TRANSPORTS: Readonly<Record<TransportKind, TransportFactory>> = {
  rest: (agent, ctx) =>
    new BridgeClient(
      { id: agent.id, host: agent.mt4.host, port: agent.mt4.port, timeoutMs: ctx.timeoutMs, token: ctx.token },
      { log: ctx.log },
    ),
  dwx: (agent, ctx) => {
    const dwx = agent.mt4.dwx;
    if (!dwx) throw new Error(`internal: ${agent.id} has transport dwx but no dwx settings`);
    return new LazyDwxBridge(
      {
        id: agent.id,
        host: agent.mt4.host,
        pushPort: dwx.push_port,
        pullPort: dwx.pull_port,
        pubPort: dwx.pub_port,
        timeoutMs: ctx.timeoutMs,
        currency: dwx.currency,
        server: agent.mt4.server,
        symbols: ctx.symbols,
      },
      { log: ctx.log },
    );
  },
};

/** One agent's bridge, account-checked. */
export function openBridge(agent: AgentConfig, ctx: OpenContext): Bridge {
  const factory = TRANSPORTS[agent.mt4.transport];
  if (!factory) throw new Error(`internal: no transport ${agent.mt4.transport}`);
  // A login written as digits is checked; a placeholder such as "XXXXX" cannot be (config warns).
  const account = agent.mt4.account !== undefined && /^\d+$/.test(agent.mt4.account.trim()) ? agent.mt4.account : undefined;
  return withIdentityCheck(factory(agent, ctx), { account, server: agent.mt4.server });
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
  checkDwxPorts(agents);
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

/**
 * Two agents on one terminal would trade one account. agents.yml's own check compares host:port,
 * which for a dwx agent is only its push port: its pull and pub ports are compared here, before
 * anything is sent.
 */
export function checkDwxPorts(agents: AgentConfig[]): void {
  const seen = new Map<string, { id: string; key: string }>();
  const problems: string[] = [];
  for (const a of agents) {
    const host = hostKey(a.mt4.host);
    const ports: Array<[string, number]> =
      a.mt4.transport === 'dwx' && a.mt4.dwx
        ? [
            ['push_port', a.mt4.dwx.push_port],
            ['pull_port', a.mt4.dwx.pull_port],
            ['pub_port', a.mt4.dwx.pub_port],
          ]
        : [['port', a.mt4.port]];
    for (const [key, port] of ports) {
      const k = `${host}:${port}`;
      const first = seen.get(k);
      if (first && first.id !== a.id)
        problems.push(
          `agents.${a.id}.mt4.${key}: ${a.mt4.host}:${port} is already agents.${first.id}.mt4.${first.key}; each terminal needs its own ports`,
        );
      else if (!first) seen.set(k, { id: a.id, key });
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`${problems.length === 1 ? 'a port is' : 'ports are'} shared by two agents; nothing was sent`, problems, {
      hint: "Give each terminal's DWX EA its own PUSH_PORT, PULL_PORT and PUB_PORT inputs, and the same in agents.yml (docs/transports.md).",
    });
  }
}
