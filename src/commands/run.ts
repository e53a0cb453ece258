// What handlers share for talking to bridges: opening an agent's bridges for the length of a
// command, and the exit code when some agents did not answer.
import { type Bridges, openBridges } from '../bridge/registry.js';
import type { AgentConfig } from '../config/types.js';
import { EXIT, PartialFailure } from '../errors.js';
import type { Context } from './context.js';

/** Opens the agents' bridges (tokens resolved first: nothing is sent if one is missing) and closes them after. */
export async function withBridges<T>(
  ctx: Context,
  agents: AgentConfig[],
  fn: (bridges: Bridges) => Promise<T>,
  options: { tolerateMissingTokens?: boolean } = {},
): Promise<T> {
  // symbols: the dwx transport sends stops in points and needs each symbol's point size.
  const bridges = openBridges(agents, {
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    debug: ctx.verbose ? ctx.debug : undefined,
    symbols: (await ctx.config()).symbols,
    ...options,
  });
  try {
    return await fn(bridges);
  } finally {
    await bridges.close();
  }
}

/** After printing what could be read: exit 3 when some agents did not answer. */
export function failIfOffline(offline: { agent_id: string; error: string | null }[], total: number): void {
  if (offline.length === 0) return;
  const list = offline.map((o) => `${o.agent_id} (${o.error ?? 'offline'})`).join('; ');
  throw new PartialFailure(`${offline.length} of ${total} agent${total === 1 ? '' : 's'} did not answer: ${list}`, EXIT.BRIDGE, {
    hint: 'Check those terminals and their EA Bridge (`mt4gw status`).',
  });
}
