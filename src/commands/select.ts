// Which agents a command acts on: the ones named (with a suggestion for a typo), or every agent.
import { closest } from '../config/suggest.js';
import type { AgentConfig, Config } from '../config/types.js';
import { UsageError } from '../errors.js';

/** The agents named (all when none are), or a usage error listing the configured ids. */
export function selectAgents(config: Config, ids: string[] | undefined): AgentConfig[] {
  if (!ids || ids.length === 0) return config.agents;
  return [...new Set(ids)].map((id) => findAgent(config, id));
}

export function findAgent(config: Config, id: string): AgentConfig {
  const agent = config.agents.find((a) => a.id === id);
  if (agent) return agent;
  const known = config.agents.map((a) => a.id);
  const close = closest(id, known);
  throw new UsageError(`unknown agent "${id}"${close ? ` — did you mean "${close}"?` : ''}`, {
    hint: `Agents in ${config.path}: ${known.join(', ')}.`,
  });
}
