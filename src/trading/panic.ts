// The emergency stop. First, before any network call, the halt is persisted (so no process on
// this machine opens anything from now on). Then every agent — enabled or not — is flattened
// concurrently: positions closed one at a time per terminal, pending orders deleted, busy and
// requotes retried until the deadline, and each agent verified by a final listing.
import type { AgentConfig } from '../config/types.js';
import type { Bridges } from './bridges.js';
import { flattenAgent, type FlattenReport } from './flatten.js';
import { setTradingState } from './halt.js';
import { Journal, newOrderId } from './journal.js';
import { BridgeError } from '../bridge/errors.js';

export interface PanicOptions {
  env: NodeJS.ProcessEnv;
  journal: Journal;
  deadlineMs: number;
  onProgress?: (p: { agent: string; closed: number; deleted: number; remaining: number; note?: string }) => void;
  notify?: (message: string) => void;
}

export interface PanicReport {
  op_id: string;
  halted: { scope: 'desk' | string[]; at: string };
  all_flat: boolean;
  agents: FlattenReport[];
}

/** Persists the halt. Called before anything else, before even the config's tokens are resolved. */
export function haltForPanic(env: NodeJS.ProcessEnv, journal: Journal, scope: string[] | undefined, reason: string): { opId: string; at: string } {
  const opId = newOrderId();
  const s = setTradingState(env, 'halted', reason, scope);
  const at = scope === undefined ? s.global.at : (s.agents[scope[0]!]?.at ?? new Date().toISOString());
  journal.append({ event: 'halt', order_id: opId, scope: scope ?? 'desk', reason, via: 'panic' });
  return { opId, at };
}

export async function flattenAll(agents: AgentConfig[], bridges: Bridges, opId: string, halted: PanicReport['halted'], o: PanicOptions): Promise<PanicReport> {
  const deadline = Date.now() + o.deadlineMs;
  o.journal.append({ event: 'panic', order_id: opId, step: 'start', agents: agents.map((a) => a.id), deadline_ms: o.deadlineMs });
  const reports = await Promise.all(
    agents.map(async (agent): Promise<FlattenReport> => {
      const missing = bridges.unavailable.get(agent.id);
      if (missing !== undefined) {
        return { agent_id: agent.id, reached: false, verified_flat: false, closed: [], deleted: [], still_open: [], error: missing };
      }
      try {
        return await flattenAgent(bridges.get(agent.id), { journal: o.journal, agent: agent.id, opId, deadline, pending: true, notify: o.notify, onProgress: o.onProgress });
      } catch (e) {
        if (!(e instanceof BridgeError)) throw e;
        return { agent_id: agent.id, reached: false, verified_flat: false, closed: [], deleted: [], still_open: [], error: e.reason };
      }
    }),
  );
  const all_flat = reports.every((r) => r.verified_flat);
  for (const r of reports) {
    o.journal.append({
      event: 'panic',
      order_id: opId,
      agent: r.agent_id,
      step: 'agent_done',
      verified_flat: r.verified_flat,
      closed: r.closed.map((c) => c.ticket),
      deleted: r.deleted.map((d) => d.ticket),
      still_open: r.still_open.map((s) => s.ticket),
      error: r.error,
    });
  }
  o.journal.append({ event: 'panic', order_id: opId, step: 'end', all_flat });
  return { op_id: opId, halted, all_flat, agents: reports };
}
