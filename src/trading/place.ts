// Opening a market position. Under the agent's lock: look up the orders in flight, read the market,
// decide; journal the intent with a pending marker; then, before EVERY send (the first and each
// retry): journal the request durably, prove the lock is still ours, and read the trading state
// again. An order whose answer was lost is never sent again: it stays in flight (exit 6) until its
// outcome is proven (inflight.ts). Only answers that prove nothing was executed are retried.
import { BridgeError } from '../bridge/errors.js';
import { isSafeToRetry, mt4Code } from '../bridge/mt4codes.js';
import type { TradeReply, TradeRequest } from '../bridge/schemas.js';
import { COMMON_SYMBOLS } from '../bridge/symbols.js';
import type { Bridge } from '../bridge/transport.js';
import { closest } from '../config/suggest.js';
import type { AgentConfig, SymbolOverride } from '../config/types.js';
import { UsageError } from '../errors.js';
import { armCritical, criticalSection, interruptRequested } from '../interrupt.js';
import type { OrderDecision, SizingRequest } from '../risk/index.js';
import { evaluateOrder, limitsFromAgent } from '../risk/index.js';
import { type EffectiveState, effectiveState } from '../state/model.js';
import type { DeskStore, HeldLock, JournalInput } from '../state/store.js';
import { LockLostError, StoreUnavailableError, withLock } from '../state/store.js';
import { crashPoint } from './crash.js';
import { refuseWrongTerminal } from './guard.js';
import { newOrderId } from './ids.js';
import { asRiskInput, findOrder, reconcileInFlight, type Unresolved } from './inflight.js';
import { type MarketSnapshot, readMarket } from './market.js';

export interface OrderRequest {
  side: 'buy' | 'sell';
  symbol: string;
  /** Exactly one of lots and sizing. */
  lots?: number | undefined;
  sizing?: SizingRequest | undefined;
  sl?: number | undefined;
  tp?: number | undefined;
  comment?: string | undefined;
  /** A signal id, journaled with the order (signal orchestration). */
  signalId?: string | undefined;
}

export interface TradeDeps {
  store: DeskStore;
  agent: AgentConfig;
  bridge: Bridge;
  symbols: Record<string, SymbolOverride>;
  /** Told about waits, retries and reconciliations (stderr). */
  notify?: ((message: string) => void) | undefined;
  now?: () => number;
  /** How long to keep retrying provably-unexecuted failures (default 10 s). */
  retryDeadlineMs?: number;
  /** How long to keep reading back an order whose answer was lost before reporting it in flight (default 3 s). */
  reconcileWindowMs?: number;
  lockWaitMs?: number;
}

export interface Prepared {
  decision: OrderDecision;
  snapshot: MarketSnapshot;
  inFlight: Unresolved[];
}

function decide(deps: TradeDeps, req: OrderRequest, snap: MarketSnapshot, trading: EffectiveState, inFlight: Unresolved[]): OrderDecision {
  return evaluateOrder({
    order: {
      agentId: deps.agent.id,
      side: req.side,
      symbol: req.symbol,
      sl: req.sl ?? null,
      tp: req.tp ?? null,
      ...(req.sizing ? { sizing: req.sizing } : { lots: req.lots ?? Number.NaN }),
    },
    limits: limitsFromAgent(deps.agent),
    account: snap.account,
    positions: snap.positions,
    quote: snap.quote,
    spec: snap.spec,
    closedToday: snap.closedToday,
    dailyLossBasis: snap.dailyLossBasis,
    trading: { state: trading.state, reason: trading.reason },
    inFlight: asRiskInput(inFlight),
    now: (deps.now ?? Date.now)(),
  });
}

async function tradingNow(deps: TradeDeps): Promise<EffectiveState> {
  return effectiveState(await deps.store.readState(), deps.agent.id);
}

/**
 * A symbol that neither the agent's pairs, agents.yml's `symbols:` nor mt4gw's table of common
 * symbols knows is a typo: it is refused before anything is sent to the bridge (the risk checks
 * would deny it anyway, as not in the agent's pairs, but only after reading the terminal).
 */
export function checkKnownSymbol(agent: AgentConfig, symbols: Record<string, SymbolOverride>, symbol: string): void {
  const pairs = [...new Set([...agent.strategy.pairs, ...(agent.risk.allowed_pairs ?? [])])];
  if (pairs.includes(symbol) || symbol in symbols || symbol in COMMON_SYMBOLS) return;
  const near = closest(symbol, [...pairs, ...Object.keys(symbols), ...Object.keys(COMMON_SYMBOLS)]);
  throw new UsageError(
    `unknown symbol ${symbol}: ${agent.id} does not trade it, and neither agents.yml nor mt4gw knows it${near ? ` (did you mean ${near}?)` : ''}; nothing was sent`,
    {
      hint: `${agent.id} trades ${pairs.join(', ') || 'nothing yet (strategy.pairs is empty)'}. A broker's own symbol (such as XAUUSD.m) goes in the agent's strategy.pairs or risk.allowed_pairs.`,
    },
  );
}

/** Reads the agent's market and decides, without sending anything (the preview and --dry-run). */
export function prepareOrder(deps: TradeDeps, req: OrderRequest): Promise<Prepared> {
  checkKnownSymbol(deps.agent, deps.symbols, req.symbol);
  return refuseWrongTerminal(prepare(deps, req));
}

async function prepare(deps: TradeDeps, req: OrderRequest): Promise<Prepared> {
  // Orders in flight change what this one may do: look them up first — under the lock when there
  // are any, so those proven never to open are resolved before the preview.
  let inFlight: Unresolved[] = [];
  if ((await deps.store.pending(deps.agent.id)).length > 0) {
    inFlight = await withLock(deps.store, deps.agent.id, { waitMs: deps.lockWaitMs, onWait: deps.notify, purpose: 'reconcile' }, () =>
      reconcileInFlight(deps, { underLock: true }),
    );
  }
  const snapshot = await readMarket(deps.bridge, req.symbol, deps.symbols);
  return { decision: decide(deps, req, snapshot, await tradingNow(deps), inFlight), snapshot, inFlight };
}

export type OrderOutcome =
  | {
      status: 'opened';
      orderId: string;
      ticket: number;
      price: number | null;
      lots: number;
      reconciled: boolean;
      attempts: number;
      decision: OrderDecision;
    }
  | { status: 'denied'; decision: OrderDecision; orderId?: string | undefined }
  | { status: 'changed'; decision: OrderDecision; previewLots: number | null }
  | { status: 'rejected'; orderId: string; code: number; message: string; attempts: number; decision: OrderDecision }
  | { status: 'not_sent'; orderId: string; error: BridgeError; decision: OrderDecision }
  | { status: 'unknown'; orderId: string; reason: string; decision: OrderDecision };

/** The first journal write that failed after the order was sent: the outcome stands, its record may be missing. */
export type WithJournalError<T> = T & { journalError?: string | undefined };

/**
 * Places the order. `previewLots` is what the person confirmed: if the re-decision under the lock
 * arrives at other lots (risk sizing on a moved balance), nothing is sent. A process that finds its
 * lock taken before a send (it was frozen) sends nothing under it and decides once more under a
 * fresh lock; a second loss gives up (exit 2, nothing sent).
 */
export function executeOrder(deps: TradeDeps, req: OrderRequest, previewLots: number | null): Promise<WithJournalError<OrderOutcome>> {
  return refuseWrongTerminal(execute(deps, req, previewLots));
}

async function execute(deps: TradeDeps, req: OrderRequest, previewLots: number | null): Promise<WithJournalError<OrderOutcome>> {
  for (let round = 1; ; round++) {
    try {
      return await withLock(
        deps.store,
        deps.agent.id,
        { waitMs: deps.lockWaitMs, onWait: deps.notify, purpose: `${req.side} ${req.symbol}` },
        (lock) => criticalSection({ what: 'the order', armed: false }, () => placeUnderLock(deps, req, previewLots, lock)),
      );
    } catch (e) {
      if (!(e instanceof LockLostError) || round > 1) throw e;
      deps.notify?.(`${deps.agent.id}: ${e.message}; deciding again under a fresh lock`);
    }
  }
}

async function placeUnderLock(
  deps: TradeDeps,
  req: OrderRequest,
  previewLots: number | null,
  lock: HeldLock,
): Promise<WithJournalError<OrderOutcome>> {
  const { agent, store } = deps;
  const inFlight = await reconcileInFlight(deps, { underLock: true });
  // Things change while a person reads the preview: read and decide again under the lock.
  let snapshot = await readMarket(deps.bridge, req.symbol, deps.symbols);
  const decision = decide(deps, req, snapshot, await tradingNow(deps), inFlight);
  if (!decision.allowed) {
    await store.append({
      event: 'decision',
      agent: agent.id,
      allowed: false,
      violations: decision.violations.map((v) => v.code),
      request: describe(req),
    });
    return { status: 'denied', decision };
  }
  const lots = decision.figures.lots!;
  if (previewLots !== null && Math.abs(lots - previewLots) > 1e-9) {
    await store.append({
      event: 'decision',
      agent: agent.id,
      allowed: false,
      changed: { from: previewLots, to: lots },
      request: describe(req),
    });
    return { status: 'changed', decision, previewLots };
  }
  const orderId = newOrderId();
  const body: TradeRequest = {
    action: req.side,
    symbol: req.symbol,
    lots,
    ...(req.sl ? { sl: req.sl } : {}),
    ...(req.tp ? { tp: req.tp } : {}),
    client_id: orderId,
    ...(req.comment ? { comment: req.comment } : {}),
  };
  const signal = req.signalId ? { signal_id: req.signalId } : {};
  // The intent and the marker, durable before anything is sent: a store that cannot take them means
  // nothing is sent (StoreUnavailableError, exit 3).
  await store.beginOrder(
    {
      event: 'intent',
      order_id: orderId,
      agent: agent.id,
      request: body,
      ...signal,
      figures: {
        risk_money: decision.figures.riskMoney,
        risk_percent: decision.figures.riskPercent,
        margin: decision.figures.marginNeeded,
        entry: decision.figures.entryPrice,
      },
    },
    {
      order_id: orderId,
      agent: agent.id,
      request: body as unknown as Record<string, unknown>,
      ...signal,
      terminal_offset_ms: snapshot.terminalOffsetMs,
    },
  );
  // Once something may have been sent, a journal that fails must not hide the outcome: the failure is
  // reported with it, and the marker (if it could not be cleared) makes the next run resolve the order.
  let journalError: string | undefined;
  const tolerate = <T>(p: Promise<T>): Promise<T | undefined> =>
    p.catch((e: unknown) => {
      if (!(e instanceof StoreUnavailableError)) throw e;
      journalError ??= e.message;
      return undefined;
    });
  const note = (input: JournalInput) => tolerate(store.append(input));
  const resolve = (result: Record<string, unknown>) => tolerate(store.resolveOrder(agent.id, orderId, { event: 'result', ...result }));
  const done = (o: OrderOutcome): WithJournalError<OrderOutcome> => (journalError ? { ...o, journalError } : o);

  // From here on a first Ctrl-C lets the order finish and be journaled (src/interrupt.ts).
  armCritical();
  const deadline = Date.now() + (deps.retryDeadlineMs ?? 10_000);
  let attempts = 0;
  for (;;) {
    attempts++;
    // Before every send: the request on disk (so a marker without one proves "never sent"), the lock
    // still ours, and trading still active. Every answer before this one proved nothing executed.
    try {
      crashPoint(process.env, 'before_send');
      await store.append({ event: 'request', order_id: orderId, agent: agent.id, attempt: attempts, body }, { durable: true });
      crashPoint(process.env, 'after_request');
      await lock.verify();
    } catch (e) {
      await resolve({ outcome: 'not_sent', reason: (e as Error).message });
      throw e;
    }
    const trading = await tradingNow(deps);
    if (trading.state !== 'active') {
      await resolve({ outcome: 'not_sent', reason: `trading ${trading.state} before attempt ${attempts}: ${trading.reason}` });
      return done({ status: 'denied', decision: decide(deps, req, snapshot, trading, []), orderId });
    }
    const started = performance.now();
    let reply: TradeReply;
    try {
      reply = await deps.bridge.trade(body);
      crashPoint(process.env, 'after_reply');
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      const latency_ms = Math.round(performance.now() - started);
      await note({
        event: 'response',
        order_id: orderId,
        agent: agent.id,
        attempt: attempts,
        error: e.kind,
        message: e.message,
        maybe_executed: e.maybeExecuted,
        latency_ms,
      });
      if (!e.maybeExecuted) {
        await resolve({ outcome: 'not_sent', error: e.kind });
        return done({ status: 'not_sent', orderId, error: e, decision });
      }
      deps.notify?.(
        `${agent.id}: the answer to order ${orderId} was lost (${e.endpoint}: ${e.reason}); looking it up — it will not be sent again`,
      );
      return done(await finishByLookup(deps, orderId, decision, { note, resolve }, `the answer was lost (${e.endpoint}: ${e.reason})`));
    }
    const latency_ms = Math.round(performance.now() - started);
    await note({ event: 'response', order_id: orderId, agent: agent.id, attempt: attempts, ...reply, latency_ms });

    if (reply.success) {
      if (reply.ticket === null)
        return done(await finishByLookup(deps, orderId, decision, { note, resolve }, 'the bridge reported success without a ticket'));
      await resolve({ outcome: 'opened', ticket: reply.ticket, price: reply.price, lots });
      return done({ status: 'opened', orderId, ticket: reply.ticket, price: reply.price, lots, reconciled: false, attempts, decision });
    }
    const info = mt4Code(reply.error_code);
    if (info.retry === 'lookup') {
      deps.notify?.(
        `${agent.id}: MT4 answered ${reply.error_code} (${info.meaning}) for order ${orderId}; looking it up — it will not be sent again`,
      );
      return done(await finishByLookup(deps, orderId, decision, { note, resolve }, `MT4 error ${reply.error_code} (${info.meaning})`));
    }
    if (isSafeToRetry(reply.error_code) && Date.now() < deadline && !interruptRequested()) {
      const pause = backoff(attempts);
      deps.notify?.(`${agent.id}: MT4 ${reply.error_code} (${info.meaning}); nothing was executed, retrying in ${pause} ms`);
      await note({ event: 'retry', order_id: orderId, agent: agent.id, code: reply.error_code, pause_ms: pause });
      await sleep(pause);
      if (info.retry === 'requote') {
        // A requote: decide again on a fresh quote before sending again. Every answer so far
        // proved nothing was executed, so a failed re-read ends the order as not sent.
        try {
          snapshot = await readMarket(deps.bridge, req.symbol, deps.symbols);
        } catch (e) {
          if (!(e instanceof BridgeError)) throw e;
          await resolve({ outcome: 'not_sent', after: 'requote', error: e.message });
          return done({ status: 'not_sent', orderId, error: e, decision });
        }
        const fresh = decide(deps, req, snapshot, await tradingNow(deps), []);
        if (!fresh.allowed || fresh.figures.lots !== lots) {
          await resolve({ outcome: 'denied_on_requote', violations: fresh.violations.map((v) => v.code) });
          return done(
            fresh.allowed ? { status: 'changed', decision: fresh, previewLots: lots } : { status: 'denied', decision: fresh, orderId },
          );
        }
      }
      continue;
    }
    await resolve({ outcome: 'rejected', code: reply.error_code, message: reply.message });
    return done({ status: 'rejected', orderId, code: reply.error_code, message: reply.message, attempts, decision });
  }
}

/**
 * The answer was lost: read back for a short while. Found → opened. Not found → the order stays in
 * flight (its marker kept): a terminal may still execute it, so no window of ours proves anything.
 */
async function finishByLookup(
  deps: TradeDeps,
  orderId: string,
  decision: OrderDecision,
  j: { note: (input: JournalInput) => Promise<unknown>; resolve: (result: Record<string, unknown>) => Promise<unknown> },
  why: string,
): Promise<OrderOutcome> {
  const { agent } = deps;
  const since = Date.now();
  const windowEnd = since + (deps.reconcileWindowMs ?? 3_000);
  let lastError: string | undefined;
  let reads = 0;
  for (;;) {
    try {
      reads++;
      const found = await findOrder(deps.bridge, orderId, since);
      lastError = undefined;
      if (found) {
        await j.note({
          event: 'reconcile',
          order_id: orderId,
          agent: agent.id,
          outcome: 'opened',
          ticket: found.ticket,
          closed_since: found.closed,
          reads,
          why,
        });
        await j.resolve({ outcome: 'opened', ticket: found.ticket, price: found.price, lots: found.lots, reconciled: true });
        return {
          status: 'opened',
          orderId,
          ticket: found.ticket,
          price: found.price,
          lots: found.lots,
          reconciled: true,
          attempts: 1,
          decision,
        };
      }
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      lastError = e.message;
    }
    if (Date.now() >= windowEnd) break;
    await sleep(500);
  }
  await j.note({
    event: 'reconcile',
    order_id: orderId,
    agent: agent.id,
    outcome: 'in_flight',
    reads,
    why,
    ...(lastError ? { error: lastError } : {}),
  });
  const seen =
    lastError !== undefined ? `, and reading it back failed: ${lastError}` : '; the terminal does not show it yet, and it may still open';
  return { status: 'unknown', orderId, reason: `${why}${seen}`, decision };
}

function describe(req: OrderRequest): Record<string, unknown> {
  return { side: req.side, symbol: req.symbol, lots: req.lots ?? null, sizing: req.sizing ?? null, sl: req.sl ?? null, tp: req.tp ?? null };
}

export function backoff(attempt: number): number {
  return Math.min(2000, 100 * 2 ** (attempt - 1)) + Math.floor(Math.random() * 50);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
