// The emergency stop. First, before any network call, the halt is persisted (so no process on
// this machine opens anything from now on). Then every agent — enabled or not — is flattened
// concurrently: positions closed one at a time per terminal, pending orders deleted, busy and
// requotes retried until the deadline, and each agent verified by a final listing taken under the
// agent's lock (see `barrier`).
import type { AgentConfig } from '../config/types.js';
import { BridgeError } from '../bridge/errors.js';
import { UsageError } from '../errors.js';
import type { Bridge } from '../bridge/transport.js';
import type { Bridges } from './bridges.js';
import { flattenAgent, type FlattenOptions, type FlattenReport } from './flatten.js';
import { setTradingState } from './halt.js';
import { type Journal, newOrderId } from './journal.js';
import { withAgentLock } from './lock.js';

export interface PanicOptions {
  env: NodeJS.ProcessEnv;
  journal: Journal;
  deadlineMs: number;
  onProgress?: FlattenOptions['onProgress'];
  notify?: ((message: string) => void) | undefined;
}

export interface PanicReport {
  op_id: string;
  halted: { scope: 'desk' | string[]; at: string };
  all_flat: boolean;
  agents: FlattenReport[];
}

/** However late the barrier gets the lock, what it finds still gets this long to be closed. */
const BARRIER_GRACE_MS = 3_000;

/**
 * Persists the halt and journals it. Called before anything else — for the whole desk, before
 * even the config is read — so a broken config or a dead network cannot keep the desk trading.
 */
export async function haltForPanic(
  env: NodeJS.ProcessEnv,
  journal: Journal,
  scope: string[] | undefined,
  reason: string,
): Promise<{ opId: string; at: string }> {
  const opId = newOrderId();
  const s = await setTradingState(env, 'halted', reason, scope);
  const at = scope === undefined ? s.global.at : (s.agents[scope[0]!]?.at ?? new Date().toISOString());
  journal.append({ event: 'halt', order_id: opId, scope: scope ?? 'desk', state: 'halted', reason, via: 'panic' });
  return { opId, at };
}

export async function flattenAll(
  agents: AgentConfig[],
  bridges: Bridges,
  opId: string,
  halted: PanicReport['halted'],
  o: PanicOptions,
): Promise<PanicReport> {
  const deadline = Date.now() + o.deadlineMs;
  o.journal.append({ event: 'panic', order_id: opId, step: 'start', agents: agents.map((a) => a.id), deadline_ms: o.deadlineMs });
  const reports = await Promise.all(
    agents.map(async (agent): Promise<FlattenReport> => {
      const missing = bridges.unavailable.get(agent.id);
      if (missing !== undefined) return unreached(agent.id, missing);
      const options: FlattenOptions = {
        journal: o.journal,
        agent: agent.id,
        opId,
        deadline,
        pending: true,
        notify: o.notify,
        onProgress: o.onProgress,
      };
      try {
        const bridge = bridges.get(agent.id);
        const first = await flattenAgent(bridge, options);
        if (!first.reached) return first;
        return await barrier(bridge, first, options, o);
      } catch (e) {
        if (!(e instanceof BridgeError)) throw e;
        return unreached(agent.id, e.reason);
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
      reached: r.reached,
      verified_flat: r.verified_flat,
      closed: r.closed.map((c) => c.ticket),
      deleted: r.deleted.map((d) => d.ticket),
      still_open: r.still_open.map((s) => ({ ticket: s.ticket, kind: s.kind, last_error: s.last_error })),
      error: r.error,
    });
  }
  o.journal.append({ event: 'panic', order_id: opId, step: 'end', all_flat });
  return { op_id: opId, halted, all_flat, agents: reports };
}

function unreached(agent: string, error: string): FlattenReport {
  return { agent_id: agent, reached: false, verified_flat: false, closed: [], deleted: [], still_open: [], error };
}

/**
 * An order that passed its risk check before the halt may still be on its way to the terminal:
 * `trade` decides and sends under the agent's lock, so a listing taken before it lands cannot see
 * it. Taking the lock waits for any such order to finish; every order after it reads the halt
 * under the same lock and is denied. So the listing taken here, under the lock, is final — and
 * anything it finds is closed too.
 */
async function barrier(bridge: Bridge, first: FlattenReport, options: FlattenOptions, o: PanicOptions): Promise<FlattenReport> {
  const waitMs = Math.max(options.deadline - Date.now(), 1_000);
  let second: FlattenReport;
  try {
    second = await withAgentLock(options.agent, { env: o.env, waitMs, onWait: o.notify, purpose: 'panic: final check' }, () =>
      // An agent flat so far gets a short grace to close what an in-flight order opened; one that
      // is not flat by the deadline gets one more listing, so the report says what is open now.
      flattenAgent(bridge, {
        ...options,
        deadline: first.verified_flat ? Math.max(options.deadline, Date.now() + BARRIER_GRACE_MS) : options.deadline,
      }),
    );
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    // Another process kept the agent's lock past the deadline: whatever it is doing is unverified.
    o.journal.append({ event: 'panic', order_id: options.opId, agent: options.agent, step: 'final_check', error: e.message });
    return { ...first, verified_flat: false, error: `not verified: ${e.message}${e.hint ? ` (${e.hint})` : ''}` };
  }
  const late = [...second.closed, ...second.deleted]
    .map((t) => t.ticket)
    .filter((t) => !first.closed.some((c) => c.ticket === t) && !first.deleted.some((d) => d.ticket === t));
  if (late.length)
    o.journal.append({ event: 'panic', order_id: options.opId, agent: options.agent, step: 'final_check', found_late: late });
  return merge(first, second);
}

/** One report from the main pass and the final pass: the final pass decides what is still open. */
function merge(first: FlattenReport, second: FlattenReport): FlattenReport {
  const byTicket = <T extends { ticket: number }>(a: T[], b: T[]) => [...a, ...b.filter((x) => !a.some((y) => y.ticket === x.ticket))];
  const earlier = new Map(first.still_open.map((s) => [s.ticket, s.last_error]));
  return {
    agent_id: first.agent_id,
    reached: true,
    verified_flat: second.verified_flat,
    closed: byTicket(first.closed, second.closed),
    deleted: byTicket(first.deleted, second.deleted),
    // A final pass that could not list at all knows nothing newer than the main pass.
    still_open: second.reached
      ? second.still_open.map((s) => ({ ...s, last_error: s.last_error ?? earlier.get(s.ticket) ?? null }))
      : first.still_open,
    error: second.error ?? (second.verified_flat ? null : first.error),
  };
}
