// The emergency stop. First, before any network call, the halt is recorded (so no mt4gw process of
// the desk opens anything from now on). Then every agent — enabled or not — is flattened
// concurrently: positions closed one at a time per terminal, pending orders deleted, busy and
// requotes retried until the deadline, and each agent verified by a final pass taken under the
// agent's lock (see `barrier`). An agent is flat only when nothing is listed and no opening order is
// in flight on it. A broken store never stops a panic: what could not be recorded is reported, and
// the panic then exits 7 whatever it closed.
import { BridgeError } from '../bridge/errors.js';
import type { Bridges } from '../bridge/registry.js';
import type { Bridge } from '../bridge/transport.js';
import type { AgentConfig } from '../config/types.js';
import type { DeskStore } from '../state/store.js';
import { LockBusyError, StoreUnavailableError } from '../state/store.js';
import { type FlattenOptions, type FlattenReport, flattenAgent } from './flatten.js';
import { newOrderId } from './ids.js';
import { reconcileInFlight } from './inflight.js';
import type { JournalWriter } from './journaling.js';

export interface PanicOptions {
  store: DeskStore;
  /** A tolerant writer (journaling.ts): a failed write is reported, never fatal. */
  journal: JournalWriter;
  deadlineMs: number;
  onProgress?: FlattenOptions['onProgress'];
  notify?: ((message: string) => void) | undefined;
}

export interface HaltRecord {
  op_id: string;
  scope: 'desk' | string[];
  at: string;
  /** False when the store could not record it: then nothing stops other processes from opening. */
  persisted: boolean;
  error: string | null;
}

export interface PanicReport {
  op_id: string;
  halted: HaltRecord;
  /** Every agent reached, flat and with nothing in flight — and the halt recorded. */
  all_flat: boolean;
  agents: FlattenReport[];
  /** The first journal write that failed, when one did. */
  journal_error: string | null;
}

/** However late the barrier gets the lock, what it finds still gets this long to be closed. */
const BARRIER_GRACE_MS = 3_000;

/**
 * Records the halt and journals it. Called before anything else — for the whole desk, before even
 * the config is read — so a broken config or a dead network cannot keep the desk trading. A store
 * that cannot record it does not stop the panic: the record says so.
 */
export async function haltForPanic(
  store: DeskStore,
  journal: JournalWriter,
  scope: string[] | undefined,
  reason: string,
): Promise<HaltRecord> {
  const opId = newOrderId();
  let at = new Date().toISOString();
  let persisted = true;
  let error: string | null = null;
  try {
    const s = await store.updateState((doc, entry) => {
      if (scope === undefined) doc.global = entry('halted');
      else for (const a of scope) doc.agents[a] = entry('halted');
    }, reason);
    at = scope === undefined ? s.global.at : (s.agents[scope[0]!]?.at ?? at);
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    persisted = false;
    error = e.message;
  }
  await journal.write({ event: 'halt', order_id: opId, scope: scope ?? 'desk', state: 'halted', reason, via: 'panic', persisted });
  return { op_id: opId, scope: scope ?? 'desk', at, persisted, error };
}

export async function flattenAll(agents: AgentConfig[], bridges: Bridges, halted: HaltRecord, o: PanicOptions): Promise<PanicReport> {
  const opId = halted.op_id;
  const deadline = Date.now() + o.deadlineMs;
  await o.journal.write({ event: 'panic', order_id: opId, step: 'start', agents: agents.map((a) => a.id), deadline_ms: o.deadlineMs });
  const reports = await Promise.all(
    agents.map(async (agent): Promise<FlattenReport> => {
      const missing = bridges.unavailable.get(agent.id);
      if (missing !== undefined) return unreached(agent.id, missing);
      try {
        const bridge = bridges.get(agent.id);
        const options: FlattenOptions = {
          journal: o.journal,
          agent: agent.id,
          opId,
          deadline,
          pending: true,
          notify: o.notify,
          onProgress: o.onProgress,
        };
        const first = await flattenAgent(bridge, options);
        if (!first.reached) return first;
        return await barrier(agent, bridge, first, options, o);
      } catch (e) {
        if (!(e instanceof BridgeError)) throw e;
        return unreached(agent.id, `${e.endpoint}: ${e.reason}`);
      }
    }),
  );
  const all_flat = halted.persisted && reports.every((r) => r.verified_flat);
  for (const r of reports) {
    await o.journal.write({
      event: 'panic',
      order_id: opId,
      agent: r.agent_id,
      step: 'agent_done',
      reached: r.reached,
      verified_flat: r.verified_flat,
      closed: r.closed.map((c) => c.ticket),
      deleted: r.deleted.map((d) => d.ticket),
      still_open: r.still_open.map((s) => ({ ticket: s.ticket, kind: s.kind, last_error: s.last_error })),
      in_flight: r.in_flight.map((f) => f.order_id),
      error: r.error,
    });
  }
  await o.journal.write({ event: 'panic', order_id: opId, step: 'end', all_flat, halt_persisted: halted.persisted });
  return { op_id: opId, halted, all_flat, agents: reports, journal_error: o.journal.failure ?? null };
}

function unreached(agent: string, error: string): FlattenReport {
  return { agent_id: agent, reached: false, verified_flat: false, closed: [], deleted: [], still_open: [], in_flight: [], error };
}

/**
 * An order that passed its checks before the halt may still be on its way to the terminal: `trade`
 * decides and sends under the agent's lock, so a listing taken before it lands cannot see it. Taking
 * the lock waits for any such order to finish; every order after it reads the halt under the same
 * lock (and again before each send) and is denied. An order whose answer was lost stays in flight
 * (its marker), and the final pass keeps listing and closing until it shows up or the deadline.
 */
async function barrier(
  agent: AgentConfig,
  bridge: Bridge,
  first: FlattenReport,
  options: FlattenOptions,
  o: PanicOptions,
): Promise<FlattenReport> {
  const waitMs = Math.max(options.deadline - Date.now(), 1_000);
  const finalPass = (underLock: boolean) =>
    flattenAgent(bridge, {
      ...options,
      // An agent flat so far gets a short grace to close what an in-flight order opened; one that is
      // not flat by the deadline gets one more listing, so the report says what is open now.
      deadline: first.verified_flat ? Math.max(options.deadline, Date.now() + BARRIER_GRACE_MS) : options.deadline,
      inFlight: (listed) => reconcileInFlight({ store: o.store, agent, bridge, notify: o.notify }, { underLock, listed }),
    });
  let second: FlattenReport;
  let lock;
  try {
    lock = await o.store.lock(agent.id, { waitMs, onWait: o.notify, purpose: 'panic: final check' });
  } catch (e) {
    if (e instanceof LockBusyError) {
      // Another process kept the agent's lock past the deadline: whatever it is doing is unverified.
      await o.journal.write({ event: 'panic', order_id: options.opId, agent: options.agent, step: 'final_check', error: e.message });
      return { ...first, verified_flat: false, error: `not verified: ${e.message}${e.hint ? ` (${e.hint})` : ''}` };
    }
    if (!(e instanceof StoreUnavailableError)) throw e;
    // No lock can be taken on a broken store — by anyone: nothing else can be in an order now.
    o.notify?.(`${agent.id}: the lock could not be taken (${e.message}); checking without it`);
    lock = undefined;
  }
  try {
    second = await finalPass(lock !== undefined);
  } finally {
    await lock?.release();
  }
  const late = [...second.closed, ...second.deleted]
    .map((t) => t.ticket)
    .filter((t) => !first.closed.some((c) => c.ticket === t) && !first.deleted.some((d) => d.ticket === t));
  if (late.length)
    await o.journal.write({ event: 'panic', order_id: options.opId, agent: options.agent, step: 'final_check', found_late: late });
  return merge(first, second);
}

/** One report from the main pass and the final pass: the final pass decides what is still open. */
function merge(first: FlattenReport, second: FlattenReport): FlattenReport {
  const byTicket = <T extends { ticket: number }>(a: T[], b: T[]) => [...a, ...b.filter((x) => !a.some((y) => y.ticket === x.ticket))];
  const earlier = new Map(first.still_open.map((s) => [s.ticket, { error: s.last_error, failure: s.last_failure }]));
  return {
    agent_id: first.agent_id,
    reached: true,
    verified_flat: second.verified_flat,
    closed: byTicket(first.closed, second.closed),
    deleted: byTicket(first.deleted, second.deleted),
    // A final pass that could not list at all knows nothing newer than the main pass.
    still_open: second.reached
      ? second.still_open.map((s) => ({
          ...s,
          last_error: s.last_error ?? earlier.get(s.ticket)?.error ?? null,
          last_failure: s.last_failure ?? earlier.get(s.ticket)?.failure ?? null,
        }))
      : first.still_open,
    in_flight: second.reached ? second.in_flight : first.in_flight,
    error: second.error ?? (second.verified_flat ? null : first.error),
  };
}
