// Closing, modifying and deleting one ticket. Unlike opening, these are safe to repeat once the
// ticket has been looked at again. Nothing a bridge answers is taken on trust where a listing can
// check it: a close answered 4108 (invalid ticket) is "already closed" only when the ticket is no
// longer listed — a ticket still open is a failure (MT4 4108), never a false "already closed".
import { BridgeError } from '../bridge/errors.js';
import { isSafeToRetry, mt4Code } from '../bridge/mt4codes.js';
import type { TradeReply, TradeRequest } from '../bridge/schemas.js';
import type { Bridge } from '../bridge/transport.js';
import { criticalSection, interruptRequested } from '../interrupt.js';
import type { JournalWriter } from './journaling.js';
import { backoff, sleep } from './place.js';

export interface TicketOpts {
  journal: JournalWriter;
  agent: string;
  /** Journal id of the whole operation (close, close-all, panic). */
  opId: string;
  /** Stop retrying at this time (epoch ms). */
  deadline: number;
  notify?: ((message: string) => void) | undefined;
}

export type TicketOutcome =
  | { ticket: number; status: 'done'; price: number | null; new_ticket: number | null; attempts: number }
  | { ticket: number; status: 'already_closed'; attempts: number }
  | { ticket: number; status: 'failed'; code: number | null; message: string; attempts: number; permanent: boolean }
  | { ticket: number; status: 'unknown'; message: string; attempts: number };

/** A read-back: done or not; a partial close that is done may name the remainder's new ticket. */
type Verify = () => Promise<{ state: 'done' | 'not_done'; newTicket?: number | null }>;

/** Reads back whether the ticket is still listed (for a 4108 answer). */
type Exists = () => Promise<boolean>;

/**
 * Sends one close/modify/delete, retrying what provably did not execute until the deadline.
 * `verify` reads the ticket back when an answer was lost.
 */
function sendTicketAction(
  bridge: Bridge,
  request: TradeRequest & { ticket: number },
  opts: TicketOpts,
  verify: Verify,
  exists: Exists,
): Promise<TicketOutcome> {
  // A critical section: a first Ctrl-C lets this ticket's request finish and be journaled (src/interrupt.ts).
  return criticalSection({ what: `the ${request.action} of ticket ${request.ticket}` }, () =>
    sendTicketActionNow(bridge, request, opts, verify, exists),
  );
}

async function sendTicketActionNow(
  bridge: Bridge,
  request: TradeRequest & { ticket: number },
  opts: TicketOpts,
  verify: Verify,
  exists: Exists,
): Promise<TicketOutcome> {
  const { journal, agent, opId } = opts;
  const ticket = request.ticket;
  let attempts = 0;
  let last: { code: number | null; message: string } = { code: null, message: '' };
  // An earlier attempt may have executed and no read-back has shown otherwise: a later failure
  // must then be reported as unknown, never as "failed".
  let unverified = false;
  const pause = (ms: number) => sleep(Math.min(ms, Math.max(0, opts.deadline - Date.now())));
  for (;;) {
    attempts++;
    journal.write({ event: 'request', order_id: opId, agent, attempt: attempts, body: request });
    const started = performance.now();
    let reply: TradeReply | undefined;
    try {
      reply = await bridge.trade(request);
      journal.write({
        event: 'response',
        order_id: opId,
        agent,
        attempt: attempts,
        ...reply,
        ticket,
        latency_ms: Math.round(performance.now() - started),
      });
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      journal.write({
        event: 'response',
        order_id: opId,
        agent,
        ticket,
        attempt: attempts,
        error: e.kind,
        message: e.message,
        maybe_executed: e.maybeExecuted,
      });
      // The request is named: `POST /trade (close): HTTP 500: …`.
      const failure = `${e.endpoint}: ${e.reason}`;
      last = { code: null, message: failure };
      if (e.maybeExecuted) {
        // Look before sending again: the first one may have gone through.
        unverified = true;
        try {
          const v = await verify();
          journal.write({
            event: 'reconcile',
            order_id: opId,
            agent,
            ticket,
            outcome: v.state,
            ...(v.newTicket ? { new_ticket: v.newTicket } : {}),
          });
          if (v.state === 'done') return { ticket, status: 'done', price: null, new_ticket: v.newTicket ?? null, attempts };
          unverified = false;
        } catch (e2) {
          if (!(e2 instanceof BridgeError)) throw e2;
          last = { code: null, message: `${failure}; reading it back failed: ${e2.endpoint}: ${e2.reason}` };
        }
      }
      if (Date.now() >= opts.deadline || interruptRequested()) {
        return unverified
          ? { ticket, status: 'unknown', message: last.message, attempts }
          : { ticket, status: 'failed', code: null, message: failure, attempts, permanent: false };
      }
      await pause(backoff(attempts));
      continue;
    }
    if (reply.success) return { ticket, status: 'done', price: reply.price, new_ticket: reply.new_ticket, attempts };
    const info = mt4Code(reply.error_code);
    last = { code: reply.error_code, message: reply.message || info.meaning };
    if (reply.error_code === 4108) {
      // "Invalid ticket": believed only when a listing no longer shows it.
      let listed: boolean | undefined;
      try {
        listed = await exists();
      } catch (e) {
        if (!(e instanceof BridgeError)) throw e;
        last = { code: 4108, message: `${last.message}; listing it failed: ${e.endpoint}: ${e.reason}` };
      }
      await journal.write({ event: 'reconcile', order_id: opId, agent, ticket, code: 4108, still_listed: listed ?? null });
      if (listed === false) return { ticket, status: 'already_closed', attempts };
      if (listed === true) {
        last = { code: 4108, message: `${last.message} — but the ticket is still listed: it was NOT closed` };
        if (unverified)
          return {
            ticket,
            status: 'unknown',
            message: `an earlier attempt may have executed; then MT4 4108 with the ticket still listed`,
            attempts,
          };
        return { ticket, status: 'failed', code: 4108, message: last.message, attempts, permanent: true };
      }
    }
    if (reply.error_code === 1) return { ticket, status: 'done', price: null, new_ticket: null, attempts };
    if (info.retry === 'lookup') {
      const v = await verify().catch(() => ({ state: 'not_done' as const, newTicket: null }));
      if (v.state === 'done') return { ticket, status: 'done', price: null, new_ticket: v.newTicket ?? null, attempts };
    }
    const retryable = isSafeToRetry(reply.error_code) || info.retry === 'lookup';
    if (!retryable || Date.now() >= opts.deadline || interruptRequested()) {
      if (unverified)
        return {
          ticket,
          status: 'unknown',
          message: `an earlier attempt may have executed; then MT4 ${reply.error_code}: ${last.message}`,
          attempts,
        };
      return { ticket, status: 'failed', code: last.code, message: last.message, attempts, permanent: !retryable };
    }
    const wait = backoff(attempts);
    opts.notify?.(`${agent}: ticket ${ticket}: MT4 ${reply.error_code} (${info.meaning}), retrying in ${wait} ms`);
    journal.write({ event: 'retry', order_id: opId, agent, ticket, code: reply.error_code, pause_ms: wait });
    await pause(wait);
  }
}

/** Closes a position (all of it, or `lots` of it). */
export function closeTicket(bridge: Bridge, ticket: number, opts: TicketOpts & { lots?: number | undefined }): Promise<TicketOutcome> {
  const request: TradeRequest & { ticket: number } = { action: 'close', ticket, ...(opts.lots !== undefined ? { lots: opts.lots } : {}) };
  const listed = async () => (await bridge.positions()).some((p) => p.ticket === ticket);
  return sendTicketAction(
    bridge,
    request,
    opts,
    async () => {
      const positions = await bridge.positions();
      if (positions.some((p) => p.ticket === ticket)) return { state: 'not_done' };
      // A partial close leaves the rest open under a new ticket, which MT4 comments `from #<old>`.
      const rest = opts.lots !== undefined ? positions.find((p) => p.comment.startsWith(`from #${ticket}`)) : undefined;
      return { state: 'done', newTicket: rest?.ticket ?? null };
    },
    listed,
  );
}

/** Deletes a pending order. */
export function deleteOrder(bridge: Bridge, ticket: number, opts: TicketOpts): Promise<TicketOutcome> {
  const listed = async () => (await bridge.orders()).some((o) => o.ticket === ticket);
  return sendTicketAction(
    bridge,
    { action: 'delete', ticket },
    opts,
    async () => ({ state: (await listed()) ? 'not_done' : 'done' }),
    listed,
  );
}

/** Changes a position's stops: undefined keeps one as it is, null removes it. */
export function modifyTicket(
  bridge: Bridge,
  ticket: number,
  sl: number | null | undefined,
  tp: number | null | undefined,
  opts: TicketOpts,
): Promise<TicketOutcome> {
  const request: TradeRequest & { ticket: number } = {
    action: 'modify',
    ticket,
    ...(sl !== undefined ? { sl: sl ?? 0 } : {}),
    ...(tp !== undefined ? { tp: tp ?? 0 } : {}),
  };
  const same = (a: number | null, b: number | null | undefined) => b === undefined || (a ?? 0) === (b ?? 0);
  return sendTicketAction(
    bridge,
    request,
    opts,
    async () => {
      const p = (await bridge.positions()).find((x) => x.ticket === ticket);
      return { state: p && same(p.sl, sl) && same(p.tp, tp) ? 'done' : 'not_done' };
    },
    async () => (await bridge.positions()).some((p) => p.ticket === ticket),
  );
}
