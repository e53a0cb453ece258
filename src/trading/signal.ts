// Signal orchestration: one trading signal in (XAUUSD long, SL 2648.27, 78% confidence), and every
// agent decides for itself — skip it (disabled, halted, not its pair, not confident enough), size it
// from its own balance × max_risk_per_trade and the stop distance, check every risk rule, and place
// it through the one order path (place.ts: lock, journal, reconciliation).
//
// Idempotency: a signal id is acted on at most once per agent. Each agent's handling ends with a
// `signal` journal record; every record but "could not reach the agent" is final, and an order
// intent carrying the signal id counts as handled even when its process died before the record.
// The check and the record happen under a per-agent signal lock, so two deliveries of the same
// signal at the same moment are serialized: the second finds the first's record.
import { BridgeError } from '../bridge/errors.js';
import { mt4Code } from '../bridge/mt4codes.js';
import type { AgentConfig, SymbolOverride } from '../config/types.js';
import { EXIT, MtError, type ExitCode } from '../errors.js';
import { formatViolation } from '../risk/index.js';
import type { OrderDecision } from '../risk/index.js';
import type { Bridges } from '../bridge/registry.js';
import { effectiveState, provenNotOpened, type TradingStateDoc } from '../state/model.js';
import type { DeskStore } from '../state/store.js';
import { withLock } from '../state/store.js';
import { reconcileInFlight } from './inflight.js';
import { executeOrder, prepareOrder, type OrderOutcome, type OrderRequest, type TradeDeps } from './place.js';
import { signalContentHash, type Signal } from './signal-schema.js';

// The signal itself (its schema and parsing) is in signal-schema.ts, re-exported here for existing
// callers; where it comes from (stdin, --file, --from-url) is in signal-sources.ts.
export { MAX_PRICE, MAX_SIGNALS, SIGNAL_KEYS, parseSignals, signalContentHash, validateSignals, type Signal } from './signal-schema.js';

// --- Per-agent decisions ----------------------------------------------------------------------------

export type AgentStatus =
  | 'opened'
  | 'would_open'
  | 'skipped'
  | 'denied'
  | 'duplicate'
  | 'unresolved'
  | 'failed'
  | 'unknown'
  | 'unreachable'
  | 'error';

/** How an agent handled the signal before (a re-delivery). */
export interface PreviousHandling {
  at: string;
  outcome: string;
  order_id: string | null;
  ticket: number | null;
  reason: string | null;
  /** False when the id came before with other levels; null when unknown. */
  same_content: boolean | null;
}

export interface AgentResult {
  agent_id: string;
  name: string;
  status: AgentStatus;
  /** Why it was skipped, denied, failed…; null when it opened. */
  reason: string | null;
  lots: number | null;
  ticket: number | null;
  price: number | null;
  order_id: string | null;
  risk_money: number | null;
  /** Of the balance, 1 = 1 %. */
  risk_percent: number | null;
  currency: string | null;
  /** Risk codes of a denial. */
  codes: string[];
  /** MT4 error code of a rejection. */
  mt4_code: number | null;
  reconciled: boolean;
  previous: PreviousHandling | null;
  /** What this row alone would make the command exit with. */
  exit_code: ExitCode;
}

export interface SignalDeps {
  store: DeskStore;
  bridges: Bridges;
  symbols: Record<string, SymbolOverride>;
  notify?: ((message: string) => void) | undefined;
  lockWaitMs?: number | undefined;
  /** place.ts tuning, for tests. */
  retryDeadlineMs?: number | undefined;
  reconcileWindowMs?: number | undefined;
}

const pct = (x: number) => `${+(x * 100).toFixed(2)}%`;

/** Whether the agent would look at the signal at all (enabled, its pair): only those need a bridge. */
export function concerns(signal: Pick<Signal, 'symbol'>, agent: AgentConfig): boolean {
  return agent.enabled && agent.strategy.pairs.includes(signal.symbol);
}

/** Why the agent skips the signal, or undefined when it acts on it. */
export function skipReason(signal: Signal, agent: AgentConfig, trading: TradingStateDoc): string | undefined {
  if (!agent.enabled) return 'the agent is disabled (enabled: false)';
  const state = effectiveState(trading, agent.id);
  if (state.state !== 'active') return `trading is ${state.state === 'halted' ? 'halted' : 'reducing-only'} (${state.reason})`;
  if (!agent.strategy.pairs.includes(signal.symbol)) {
    return `${signal.symbol} is not in its pairs (${agent.strategy.pairs.join(', ') || 'none: strategy.pairs is empty'})`;
  }
  const min = agent.strategy.min_confidence;
  if (min !== undefined) {
    if (signal.confidence === undefined)
      return `the signal carries no confidence and the agent acts only from ${pct(min)} (strategy.min_confidence)`;
    if (signal.confidence < min) return `confidence ${pct(signal.confidence)} is below its min_confidence ${pct(min)}`;
  }
  return undefined;
}

/** An earlier attempt at this signal on the agent, and whether it is finished. */
export type Previous = { kind: 'handled'; handled: PreviousHandling } | { kind: 'unresolved'; order_id: string; at: string };

/**
 * The agent's earlier handling of this signal id, from the journal. Its orders come first: one that
 * opened makes the signal handled; one whose outcome is not known yet makes it unresolved (never
 * sent again while it may still open); one proven not opened lets a re-delivery act again. Then a
 * final `signal` record (skipped, denied, rejected…) makes it handled.
 */
export async function previousHandling(store: DeskStore, signal: Signal, agentId: string): Promise<Previous | undefined> {
  const { records } = await store.query({ agent: agentId, signal_id: signal.id });
  const content = signalContentHash(signal);
  const intents = records.filter((r) => r.event === 'intent' && typeof r.order_id === 'string');
  for (const intent of intents) {
    const results = (await store.query({ agent: agentId, order_id: intent.order_id, events: ['result'] })).records;
    const result = results[results.length - 1];
    if (!result) return { kind: 'unresolved', order_id: intent.order_id!, at: intent.ts };
    if (result.outcome === 'opened') {
      return {
        kind: 'handled',
        handled: {
          at: result.ts,
          outcome: 'opened',
          order_id: intent.order_id ?? null,
          ticket: typeof result.ticket === 'number' ? result.ticket : null,
          reason: null,
          same_content: null,
        },
      };
    }
    if (!provenNotOpened(result)) {
      return {
        kind: 'handled',
        handled: {
          at: result.ts,
          outcome: String(result.outcome),
          order_id: intent.order_id ?? null,
          ticket: null,
          reason: typeof result.searched === 'string' ? result.searched : null,
          same_content: null,
        },
      };
    }
  }
  const final = records.find((r) => r.event === 'signal' && r.final === true && r.outcome !== 'unknown');
  if (!final) return undefined;
  return {
    kind: 'handled',
    handled: {
      at: final.ts,
      outcome: String(final.outcome),
      order_id: typeof final.order_id === 'string' ? final.order_id : null,
      ticket: typeof final.ticket === 'number' ? final.ticket : null,
      reason: typeof final.reason === 'string' ? final.reason : null,
      same_content: typeof final.content === 'string' ? final.content === content : null,
    },
  };
}

function previousRow(agent: AgentConfig, prev: Previous): AgentResult {
  if (prev.kind === 'handled') return duplicateRow(agent, prev.handled);
  return row(agent, 'unresolved', {
    order_id: prev.order_id,
    reason: `an earlier attempt, order ${prev.order_id} (${prev.at}), has no known outcome yet and may still open; not sent again`,
    exit_code: EXIT.UNKNOWN,
  });
}

function row(agent: AgentConfig, status: AgentStatus, extra: Partial<AgentResult> = {}): AgentResult {
  return {
    agent_id: agent.id,
    name: agent.name,
    status,
    reason: null,
    lots: null,
    ticket: null,
    price: null,
    order_id: null,
    risk_money: null,
    risk_percent: null,
    currency: null,
    codes: [],
    mt4_code: null,
    reconciled: false,
    previous: null,
    exit_code: EXIT.OK,
    ...extra,
  };
}

function duplicateRow(agent: AgentConfig, prev: PreviousHandling): AgentResult {
  const what = prev.ticket !== null ? `${prev.outcome} ticket ${prev.ticket}` : prev.outcome;
  const why = prev.reason ? ` (${prev.reason})` : '';
  const other = prev.same_content === false ? '; note: that id came with other levels then — give a new signal a new id' : '';
  return row(agent, 'duplicate', {
    reason: `already handled at ${prev.at}: ${what}${why}${other}`,
    previous: prev,
    order_id: prev.order_id,
    ticket: prev.ticket,
  });
}

function figuresOf(d: OrderDecision): Partial<AgentResult> {
  const f = d.figures;
  return { lots: f.lots, risk_money: f.riskMoney, risk_percent: f.riskPercent, currency: f.currency, price: f.entryPrice };
}

function deniedRow(agent: AgentConfig, d: OrderDecision): AgentResult {
  return row(agent, 'denied', {
    ...figuresOf(d),
    codes: d.violations.map((v) => v.code),
    reason: d.violations.map((v) => formatViolation(v, d.figures)).join('; '),
  });
}

function errorRow(agent: AgentConfig, e: unknown): AgentResult {
  if (e instanceof BridgeError) return row(agent, 'unreachable', { reason: e.message, exit_code: EXIT.BRIDGE });
  if (e instanceof MtError) return row(agent, 'error', { reason: `${e.message}${e.hint ? ` (${e.hint})` : ''}`, exit_code: e.exitCode });
  const err = e instanceof Error ? e : new Error(String(e));
  return row(agent, 'error', { reason: `internal error: ${err.message}`, exit_code: EXIT.INTERNAL });
}

/** The request every agent sends: the signal's side and levels, sized by the agent's own risk. */
export function orderFor(signal: Signal, agent: AgentConfig): OrderRequest {
  return {
    side: signal.side,
    symbol: signal.symbol,
    sizing: { kind: 'percent', fraction: agent.risk.max_risk_per_trade },
    sl: signal.sl,
    tp: signal.tp,
    signalId: signal.id,
  };
}

/** An earlier attempt that the terminal now shows is journaled opened before the signal is judged. */
async function lookUpInFlight(agent: AgentConfig, deps: SignalDeps): Promise<void> {
  if ((await deps.store.pending(agent.id)).length === 0) return;
  await reconcileInFlight({ store: deps.store, agent, bridge: deps.bridges.get(agent.id), notify: deps.notify }, { underLock: false });
}

function tradeDeps(agent: AgentConfig, deps: SignalDeps): TradeDeps {
  return {
    store: deps.store,
    agent,
    bridge: deps.bridges.get(agent.id),
    symbols: deps.symbols,
    notify: deps.notify,
    lockWaitMs: deps.lockWaitMs,
    ...(deps.retryDeadlineMs !== undefined ? { retryDeadlineMs: deps.retryDeadlineMs } : {}),
    ...(deps.reconcileWindowMs !== undefined ? { reconcileWindowMs: deps.reconcileWindowMs } : {}),
  };
}

/** What each agent would do, without sending or journaling anything (--dry-run and the preview). */
export async function planSignal(signal: Signal, agents: AgentConfig[], deps: SignalDeps): Promise<AgentResult[]> {
  const trading = await deps.store.readState();
  return Promise.all(
    agents.map(async (agent) => {
      try {
        await lookUpInFlight(agent, deps);
        const prev = await previousHandling(deps.store, signal, agent.id);
        if (prev) return previousRow(agent, prev);
        const skip = skipReason(signal, agent, trading);
        if (skip !== undefined) return row(agent, 'skipped', { reason: skip });
        const { decision } = await prepareOrder(tradeDeps(agent, deps), orderFor(signal, agent));
        return decision.allowed ? row(agent, 'would_open', figuresOf(decision)) : deniedRow(agent, decision);
      } catch (e) {
        return errorRow(agent, e);
      }
    }),
  );
}

/** Maps place.ts's outcome to a row, and says whether the agent's handling is final. */
function fromOutcome(agent: AgentConfig, o: OrderOutcome): { result: AgentResult; final: boolean } {
  switch (o.status) {
    case 'opened':
      return {
        result: row(agent, 'opened', {
          ...figuresOf(o.decision),
          lots: o.lots,
          price: o.price,
          ticket: o.ticket,
          order_id: o.orderId,
          reconciled: o.reconciled,
        }),
        final: true,
      };
    case 'denied':
      return { result: deniedRow(agent, o.decision), final: true };
    case 'changed':
      // Only after an interactive preview: the person confirmed other lots. Nothing was sent.
      return {
        result: row(agent, 'skipped', {
          ...figuresOf(o.decision),
          reason: `the size changed after the preview (${o.previewLots} → ${o.decision.figures.lots} lots); nothing was sent — run again to see the new plan`,
        }),
        final: false,
      };
    case 'rejected': {
      const info = mt4Code(o.code);
      const reason = `MT4 rejected it: error ${o.code}, ${info.meaning}${o.message && o.message !== info.meaning ? ` (${o.message})` : ''}`;
      return {
        result: row(agent, 'failed', { ...figuresOf(o.decision), order_id: o.orderId, mt4_code: o.code, reason, exit_code: EXIT.REJECTED }),
        final: true,
      };
    }
    case 'not_sent':
      return {
        result: row(agent, 'unreachable', {
          ...figuresOf(o.decision),
          order_id: o.orderId,
          reason: `not sent: ${o.error.message}`,
          exit_code: EXIT.BRIDGE,
        }),
        final: false,
      };
    case 'unknown':
      return {
        result: row(agent, 'unknown', {
          ...figuresOf(o.decision),
          order_id: o.orderId,
          reason: `${o.reason} — it stays in flight and is never sent again; a re-delivery reports it unresolved until its outcome is known`,
          exit_code: EXIT.UNKNOWN,
        }),
        // Whether the signal is done is the order's to say (previousHandling).
        final: false,
      };
  }
}

/**
 * Acts on the signal on every agent at once. `previewLots`: the lots a person confirmed per agent
 * (interactive use); without it the decision under the agent's lock is final.
 */
export async function executeSignal(
  signal: Signal,
  agents: AgentConfig[],
  deps: SignalDeps,
  previewLots?: Map<string, number>,
): Promise<AgentResult[]> {
  return Promise.all(agents.map((agent) => executeOnAgent(signal, agent, deps, previewLots?.get(agent.id) ?? null)));
}

async function executeOnAgent(signal: Signal, agent: AgentConfig, deps: SignalDeps, previewLots: number | null): Promise<AgentResult> {
  const { store } = deps;
  const content = signalContentHash(signal);
  const record = (result: AgentResult, final: boolean) =>
    store.append({
      event: 'signal',
      agent: agent.id,
      signal_id: signal.id,
      content,
      outcome: result.status,
      final,
      ...(result.order_id !== null ? { order_id: result.order_id } : {}),
      ...(result.ticket !== null ? { ticket: result.ticket, lots: result.lots } : {}),
      ...(result.reason !== null ? { reason: result.reason } : {}),
      ...(result.codes.length > 0 ? { codes: result.codes } : {}),
      ...(result.mt4_code !== null ? { mt4_code: result.mt4_code } : {}),
      signal: {
        symbol: signal.symbol,
        side: signal.side,
        sl: signal.sl,
        tp: signal.tp ?? null,
        entry: signal.entry ?? null,
        confidence: signal.confidence ?? null,
        created_at: signal.created_at ?? null,
      },
    });
  try {
    // A lock of its own (not the agent's order lock, which executeOrder takes inside it and which
    // is not re-entrant): check, act and record happen as one step per agent and signal. Always
    // taken before the order lock, never after, so the two cannot deadlock.
    return await withLock(
      store,
      `${agent.id}.signal`,
      { waitMs: deps.lockWaitMs, onWait: deps.notify, purpose: `signal ${signal.id}` },
      async () => {
        await lookUpInFlight(agent, deps);
        const prev = await previousHandling(store, signal, agent.id);
        if (prev) return previousRow(agent, prev);
        const skip = skipReason(signal, agent, await store.readState());
        if (skip !== undefined) {
          const result = row(agent, 'skipped', { reason: skip });
          await record(result, true);
          return result;
        }
        let outcome: OrderOutcome;
        try {
          outcome = await executeOrder(tradeDeps(agent, deps), orderFor(signal, agent), previewLots);
        } catch (e) {
          if (!(e instanceof BridgeError)) throw e;
          // Nothing was sent (a read before the order failed): a re-delivery tries again.
          const result = errorRow(agent, e);
          await record(result, false);
          return result;
        }
        const { result, final } = fromOutcome(agent, outcome);
        await record(result, final);
        return result;
      },
    );
  } catch (e) {
    return errorRow(agent, e);
  }
}

// Which exit code wins when agents end differently: an unknown outcome first (someone must look),
// then a rejection, then an unreachable agent, then a bug, then a local refusal.
const EXIT_RANK: ExitCode[] = [EXIT.UNKNOWN, EXIT.REJECTED, EXIT.BRIDGE, EXIT.INTERNAL, EXIT.USAGE];

/** 0 when every agent opened or was legitimately skipped, denied or already done; else the worst. */
export function exitCodeOf(results: AgentResult[]): ExitCode {
  for (const code of EXIT_RANK) if (results.some((r) => r.exit_code === code)) return code;
  return EXIT.OK;
}
