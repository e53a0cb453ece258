// Opens one bridge client per agent. Every token is resolved first, so a missing token variable
// is reported (exit 2) before any request is sent to any agent.
import { BridgeClient } from '../bridge/client.js';
import type { Bridge } from '../bridge/transport.js';
import { resolveToken, resolveTokens } from '../config/load.js';
import type { Secret } from '../config/secret.js';
import { ConfigError } from '../errors.js';
import type { AgentConfig } from '../config/types.js';

export interface BridgeOptions {
  env: NodeJS.ProcessEnv;
  /** Overrides every agent's mt4.timeout_ms (the global --timeout). */
  timeoutMs?: number | undefined;
  debug?: ((line: string) => void) | undefined;
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
      new BridgeClient(
        { id: agent.id, host: agent.mt4.host, port: agent.mt4.port, timeoutMs: options.timeoutMs ?? agent.mt4.timeout_ms, token: tokens.get(agent.id) },
        { log: options.debug },
      ),
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
