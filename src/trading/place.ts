// Opening a market position: decide, then under the agent's lock read again, decide again,
// journal the intent, send once, journal the result. An order whose answer was lost is never sent
// again: it is looked up by the order id in its comment, and reported opened, not opened, or
// unknown. Only answers that prove nothing was executed are retried, within a deadline.
import { BridgeError } from '../bridge/errors.js';
import { isSafeToRetry, mt4Code } from '../bridge/mt4codes.js';
import type { ClosedTrade, Position, TradeReply } from '../bridge/schemas.js';
import { COMMON_SYMBOLS } from '../bridge/symbols.js';
import { closest } from '../config/suggest.js';
import { UsageError } from '../errors.js';
import { missing, type Bridge } from '../bridge/transport.js';
import type { AgentConfig, SymbolOverride } from '../config/types.js';
import { evaluateOrder, limitsFromAgent } from '../risk/index.js';
import type { OrderDecision, SizingRequest } from '../risk/index.js';
import { armCritical, criticalSection, interruptRequested } from '../interrupt.js';
import { effectiveState, readTradingState } from './halt.js';
import { type Journal, newOrderId, orderComment, orderIdOf } from './journal.js';
import { crashPoint } from './crash.js';
import { withAgentLock } from './lock.js';
import { readMarket, type MarketSnapshot } from './market.js';

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
  env: NodeJS.ProcessEnv;
  agent: AgentConfig;
  bridge: Bridge;
  symbols: Record<string, SymbolOverride>;
  journal: Journal;
  /** Told about waits, retries and reconciliations (stderr). */
  notify?: (message: string) => void;
  now?: () => number;
  /** How long to keep retrying provably-unexecuted failures (default 10 s). */
  retryDeadlineMs?: number;
  /** How long to keep reading back an order whose answer was lost (default 3 s). */
  reconcileWindowMs?: number;
  lockWaitMs?: number;
}

export interface Prepared {
  decision: OrderDecision;
  snapshot: MarketSnapshot;
}

function decide(deps: TradeDeps, req: OrderRequest, snap: MarketSnapshot): OrderDecision {
  const trading = effectiveState(readTradingState(deps.env), deps.agent.id);
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
    now: (deps.now ?? Date.now)(),
  });
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
export async function prepareOrder(deps: TradeDeps, req: OrderRequest): Promise<Prepared> {
  checkKnownSymbol(deps.agent, deps.symbols, req.symbol);
  // An order a killed process left unresolved changes what this one may do: resolve it first.
  if (deps.journal.pending(deps.agent.id).length > 0) {
    await withAgentLock(deps.agent.id, { env: deps.env, waitMs: deps.lockWaitMs, onWait: deps.notify, purpose: 'reconcile' }, () =>
      reconcileOrphans(deps),
    );
  }
  const snapshot = await readMarket(deps.bridge, req.symbol, deps.symbols);
  return { decision: decide(deps, req, snapshot), snapshot };
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
  | { status: 'denied'; decision: OrderDecision }
  | { status: 'changed'; decision: OrderDecision; previewLots: number | null }
  | { status: 'rejected'; orderId: string; code: number; message: string; attempts: number; decision: OrderDecision }
  | { status: 'not_opened'; orderId: string; reason: string; cause: 'mt4' | 'bridge'; decision: OrderDecision }
  | { status: 'not_sent'; orderId: string; error: BridgeError; decision: OrderDecision }
  | { status: 'unknown'; orderId: string; reason: string; decision: OrderDecision };

/**
 * Places the order. `previewLots` is what the person confirmed: if the re-decision under the lock
 * arrives at other lots (risk sizing on a moved balance), nothing is sent.
 */
export async function executeOrder(deps: TradeDeps, req: OrderRequest, previewLots: number | null): Promise<OrderOutcome> {
  const { agent, journal } = deps;
  return withAgentLock(
    agent.id,
    { env: deps.env, waitMs: deps.lockWaitMs, onWait: deps.notify, purpose: `${req.side} ${req.symbol}` },
    () =>
      criticalSection({ what: 'the order', armed: false }, async () => {
        await reconcileOrphans(deps);
        // Things change while a person reads the preview: read and decide again under the lock.
        const snapshot = await readMarket(deps.bridge, req.symbol, deps.symbols);
        const decision = decide(deps, req, snapshot);
        if (!decision.allowed) {
          journal.append({
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
          journal.append({
            event: 'decision',
            agent: agent.id,
            allowed: false,
            changed: { from: previewLots, to: lots },
            request: describe(req),
          });
          return { status: 'changed', decision, previewLots };
        }
        const orderId = newOrderId();
        const comment = orderComment(orderId, req.comment);
        const body = {
          action: req.side,
          symbol: req.symbol,
          lots,
          ...(req.sl ? { sl: req.sl } : {}),
          ...(req.tp ? { tp: req.tp } : {}),
          comment,
        };
        const intentAt = Date.now();
        journal.append({
          event: 'intent',
          order_id: orderId,
          agent: agent.id,
          request: body,
          ...(req.signalId ? { signal_id: req.signalId } : {}),
          figures: {
            risk_money: decision.figures.riskMoney,
            risk_percent: decision.figures.riskPercent,
            margin: decision.figures.marginNeeded,
            entry: decision.figures.entryPrice,
          },
        });
        journal.markPending(agent.id, orderId, { request: body, ...(req.signalId ? { signal_id: req.signalId } : {}) });

        // From here on a first Ctrl-C lets the order finish and be journaled (src/interrupt.ts).
        armCritical();
        const deadline = Date.now() + (deps.retryDeadlineMs ?? 10_000);
        let attempts = 0;
        for (;;) {
          attempts++;
          journal.append({ event: 'request', order_id: orderId, agent: agent.id, attempt: attempts, body });
          const started = performance.now();
          let reply: TradeReply;
          try {
            crashPoint(deps.env, 'before_send');
            reply = await deps.bridge.trade(body);
            crashPoint(deps.env, 'after_reply');
          } catch (e) {
            if (!(e instanceof BridgeError)) throw e;
            const latency_ms = Math.round(performance.now() - started);
            journal.append({
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
              journal.append({ event: 'result', order_id: orderId, agent: agent.id, outcome: 'not_sent' });
              journal.clearPending(agent.id, orderId);
              return { status: 'not_sent', orderId, error: e, decision };
            }
            deps.notify?.(
              `${agent.id}: the answer to order ${orderId} was lost (${e.endpoint}: ${e.reason}); looking it up — it will not be sent again`,
            );
            return finishByLookup(deps, orderId, intentAt, decision, `the answer was lost (${e.endpoint}: ${e.reason})`, 'bridge');
          }
          const latency_ms = Math.round(performance.now() - started);
          journal.append({ event: 'response', order_id: orderId, agent: agent.id, attempt: attempts, ...reply, latency_ms });

          if (reply.success) {
            if (reply.ticket === null)
              return finishByLookup(deps, orderId, intentAt, decision, 'the bridge reported success without a ticket', 'bridge');
            journal.append({
              event: 'result',
              order_id: orderId,
              agent: agent.id,
              outcome: 'opened',
              ticket: reply.ticket,
              price: reply.price,
              lots,
            });
            journal.clearPending(agent.id, orderId);
            return { status: 'opened', orderId, ticket: reply.ticket, price: reply.price, lots, reconciled: false, attempts, decision };
          }
          if (mt4Code(reply.error_code).retry === 'lookup') {
            deps.notify?.(
              `${agent.id}: MT4 answered ${reply.error_code} (${mt4Code(reply.error_code).meaning}) for order ${orderId}; looking it up — it will not be sent again`,
            );
            return finishByLookup(
              deps,
              orderId,
              intentAt,
              decision,
              `MT4 error ${reply.error_code} (${mt4Code(reply.error_code).meaning})`,
              'mt4',
            );
          }
          if (isSafeToRetry(reply.error_code) && Date.now() < deadline && !interruptRequested()) {
            const pause = backoff(attempts);
            deps.notify?.(
              `${agent.id}: MT4 ${reply.error_code} (${mt4Code(reply.error_code).meaning}); nothing was executed, retrying in ${pause} ms`,
            );
            journal.append({ event: 'retry', order_id: orderId, agent: agent.id, code: reply.error_code, pause_ms: pause });
            await sleep(pause);
            if (mt4Code(reply.error_code).retry === 'requote') {
              // A requote: decide again on a fresh quote before sending again. Every answer so far
              // proved nothing was executed, so a failed re-read ends the order as not sent.
              let market: MarketSnapshot;
              try {
                market = await readMarket(deps.bridge, req.symbol, deps.symbols);
              } catch (e) {
                if (!(e instanceof BridgeError)) throw e;
                journal.append({
                  event: 'result',
                  order_id: orderId,
                  agent: agent.id,
                  outcome: 'not_sent',
                  after: 'requote',
                  error: e.message,
                });
                journal.clearPending(agent.id, orderId);
                return { status: 'not_sent', orderId, error: e, decision };
              }
              const fresh = decide(deps, req, market);
              if (!fresh.allowed || fresh.figures.lots !== lots) {
                journal.append({
                  event: 'result',
                  order_id: orderId,
                  agent: agent.id,
                  outcome: 'denied_on_requote',
                  violations: fresh.violations.map((v) => v.code),
                });
                journal.clearPending(agent.id, orderId);
                return fresh.allowed ? { status: 'changed', decision: fresh, previewLots: lots } : { status: 'denied', decision: fresh };
              }
            }
            continue;
          }
          journal.append({
            event: 'result',
            order_id: orderId,
            agent: agent.id,
            outcome: 'rejected',
            code: reply.error_code,
            message: reply.message,
          });
          journal.clearPending(agent.id, orderId);
          return { status: 'rejected', orderId, code: reply.error_code, message: reply.message, attempts, decision };
        }
      }),
  );
}

/**
 * Finds an order by the id in its comment among open positions and trades closed since `since`.
 * Without trade history (dwx) only open positions can be searched.
 */
export async function findOrder(
  bridge: Bridge,
  orderId: string,
  since: number,
): Promise<{ ticket: number; price: number; lots: number; closed: boolean } | undefined> {
  const [positions, history] = await Promise.all([bridge.positions(), bridge.history({ from: new Date(since - 5 * 60_000) })]);
  const match = (t: Position | ClosedTrade) => orderIdOf(t.comment) === orderId;
  const open = positions.find(match);
  if (open) return { ticket: open.ticket, price: open.open_price, lots: open.lots, closed: false };
  const closed = history?.find(match);
  if (closed) return { ticket: closed.ticket, price: closed.open_price, lots: closed.lots, closed: true };
  return undefined;
}

async function finishByLookup(
  deps: TradeDeps,
  orderId: string,
  since: number,
  decision: OrderDecision,
  why: string,
  cause: 'mt4' | 'bridge',
): Promise<OrderOutcome> {
  const { agent, journal } = deps;
  const windowEnd = Date.now() + (deps.reconcileWindowMs ?? 3_000);
  let lastError: string | undefined;
  let reads = 0;
  for (;;) {
    try {
      reads++;
      const found = await findOrder(deps.bridge, orderId, since);
      lastError = undefined;
      if (found) {
        journal.append({
          event: 'reconcile',
          order_id: orderId,
          agent: agent.id,
          outcome: 'opened',
          ticket: found.ticket,
          closed_since: found.closed,
          reads,
          why,
        });
        journal.append({
          event: 'result',
          order_id: orderId,
          agent: agent.id,
          outcome: 'opened',
          ticket: found.ticket,
          price: found.price,
          lots: found.lots,
          reconciled: true,
        });
        journal.clearPending(agent.id, orderId);
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
  if (lastError !== undefined) {
    // The pending marker stays: the next run on this agent looks the order up again.
    journal.append({ event: 'reconcile', order_id: orderId, agent: agent.id, outcome: 'unknown', error: lastError, reads, why });
    return { status: 'unknown', orderId, reason: `${why}, and reading it back failed: ${lastError}`, decision };
  }
  journal.append({ event: 'reconcile', order_id: orderId, agent: agent.id, outcome: 'not_opened', reads, why });
  journal.append({ event: 'result', order_id: orderId, agent: agent.id, outcome: 'not_opened' });
  journal.clearPending(agent.id, orderId);
  const searched = deps.bridge.capabilities.history
    ? 'no position or closed trade'
    : `no open position (closed trades cannot be searched: ${missing(deps.bridge, 'history')})`;
  return { status: 'not_opened', orderId, reason: `${why}; ${searched} carries mt4gw:${orderId}`, cause, decision };
}

/**
 * Orders a killed process left without a result (pending markers). Called under the agent's lock,
 * so every marker found belongs to a process that is gone.
 */
export async function reconcileOrphans(deps: Pick<TradeDeps, 'agent' | 'bridge' | 'journal' | 'notify'>): Promise<void> {
  const { agent, journal } = deps;
  for (const p of journal.pending(agent.id)) {
    const since = p.ts ? Date.parse(p.ts) : Date.now() - 7 * 86_400_000;
    let found;
    try {
      found = await findOrder(deps.bridge, p.order_id, since);
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      deps.notify?.(`${agent.id}: order ${p.order_id} from an interrupted run (pid ${p.pid}, ${p.ts}) is still unresolved: ${e.reason}`);
      continue;
    }
    const outcome = found ? 'opened' : 'not_opened';
    journal.append({
      event: 'reconcile',
      order_id: p.order_id,
      agent: agent.id,
      outcome,
      orphan: true,
      ...(found ? { ticket: found.ticket } : {}),
    });
    journal.append({
      event: 'result',
      order_id: p.order_id,
      agent: agent.id,
      outcome,
      orphan: true,
      ...(found ? { ticket: found.ticket, price: found.price, lots: found.lots } : {}),
    });
    journal.clearPending(agent.id, p.order_id);
    deps.notify?.(
      found
        ? `${agent.id}: order ${p.order_id} from an interrupted run (pid ${p.pid}) was opened as ticket ${found.ticket}${found.closed ? ' (since closed)' : ''}; journaled`
        : `${agent.id}: order ${p.order_id} from an interrupted run (pid ${p.pid}) was not opened; journaled`,
    );
  }
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
