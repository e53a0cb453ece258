// The desk store: what must outlive a process and bind every mt4gw process of a desk — the journal,
// the orders in flight (pending markers), the trading state and the per-agent locks. One interface,
// built once per process (openStore) and passed to the flows; local files by default (files/),
// PostgreSQL when a desk spans several machines. Every method is async so a network database fits
// behind it; none ever receives or returns a secret.
import { EXIT, MtError, type MtErrorOptions } from '../errors.js';
import type { StateChange, TradingStateDoc } from './model.js';

export type JournalEvent =
  | 'intent'
  | 'decision'
  | 'request'
  | 'response'
  | 'retry'
  | 'reconcile'
  | 'result'
  | 'halt'
  | 'resume'
  | 'panic'
  | 'signal';

export interface JournalRecord {
  ts: string;
  event: JournalEvent;
  order_id?: string;
  agent?: string;
  user: string;
  host: string;
  pid: number;
  [key: string]: unknown;
}

export type JournalInput = { event: JournalEvent; order_id?: string | undefined; agent?: string | undefined } & Record<string, unknown>;

export interface JournalFilter {
  agent?: string | undefined;
  order_id?: string | undefined;
  signal_id?: string | undefined;
  events?: readonly JournalEvent[] | undefined;
  /** Epoch ms: records at or after it. */
  since?: number | undefined;
  /** The last N matching records. */
  limit?: number | undefined;
}

export interface JournalQueryResult {
  /** Oldest first. */
  records: JournalRecord[];
  /** Records that could not be read (a line torn by a crash). */
  skipped: number;
}

export interface AppendOptions {
  /**
   * Durable before the call returns (fsync, or a committed transaction). Intents, results,
   * reconciliations, halts and the requests of opening orders always are; steps in between are
   * not flushed one by one (a killed process cannot lose them; a power cut can).
   */
  durable?: boolean;
}

/** An opening order whose outcome is not known yet: written before it is sent, removed once resolved. */
export interface PendingOrder {
  order_id: string;
  agent: string;
  /** When the marker was written (ISO, this machine's clock). */
  ts: string;
  pid: number;
  host: string;
  /** The trade body as sent (symbol, lots, side, client id…). */
  request?: Record<string, unknown> | undefined;
  signal_id?: string | undefined;
  /** The terminal's clock minus ours when the order was decided (ms), to age it on the terminal's clock. */
  terminal_offset_ms?: number | undefined;
  /** True when the marker could not be read whole (a crash mid-write): only its order id is known. */
  torn?: boolean | undefined;
}

export interface LockOptions {
  /** Give up after this long (default 30 s). */
  waitMs?: number | undefined;
  /** Told once when another process holds the lock and we start waiting. */
  onWait?: ((message: string) => void) | undefined;
  /** What the holder is doing, shown to a process that waits. */
  purpose?: string | undefined;
}

/** A lock held by this process. */
export interface HeldLock {
  readonly name: string;
  /** This acquisition's fencing token: a later holder never has the same one. */
  readonly token: string;
  /**
   * Proves the lock is still ours, immediately before something is sent under it: throws
   * LockLostError when another process has taken it (we were frozen past the stale limit).
   */
  verify(): Promise<void>;
  release(): Promise<void>;
}

/** Who holds a lock now (mt4gw state status). */
export interface LockHolder {
  name: string;
  pid: number;
  host: string;
  purpose: string;
  since: string;
}

export interface DeskStore {
  readonly backend: 'files' | 'postgres';
  /** Where the state lives, for messages: a directory, or a database without its credentials. */
  readonly where: string;

  append(input: JournalInput, options?: AppendOptions): Promise<JournalRecord>;
  query(filter?: JournalFilter): Promise<JournalQueryResult>;

  /** The intent and its pending marker, both durable, before an opening order is sent. */
  beginOrder(intent: JournalInput & { order_id: string; agent: string }, marker: Omit<PendingOrder, 'ts' | 'pid' | 'host'>): Promise<void>;
  /**
   * Journals the order's result (after `before`, e.g. the reconciliation that found it) and removes
   * its marker, exactly once across processes: false when another process resolved it first
   * (nothing is written then).
   */
  resolveOrder(agent: string, orderId: string, result: JournalInput, before?: JournalInput): Promise<boolean>;
  /** Orders in flight: of one agent, or of every agent. */
  pending(agent?: string): Promise<PendingOrder[]>;

  /** The state now. A store that cannot tell says HALTED, with why (model.unknownState). */
  readState(): Promise<TradingStateDoc>;
  /** Read, change and write the state as one step against concurrent changes; durable on return. */
  updateState(change: StateChange, reason: string): Promise<TradingStateDoc>;

  /** Takes a named lock (an agent id, `<agent>.signal`), waiting up to waitMs: LockBusyError then. */
  lock(name: string, options?: LockOptions): Promise<HeldLock>;
  locks(): Promise<LockHolder[]>;

  close(): Promise<void>;
}

/** The store could not be read or written (a full or read-only disk, a database down). Exit 3. */
export class StoreUnavailableError extends MtError {
  constructor(message: string, options: MtErrorOptions = {}) {
    super(message, EXIT.BRIDGE, {
      hint: options.hint ?? 'Check the state directory (MT4GW_STATE_DIR): free space, permissions.',
      ...options,
    });
  }
}

/** Another process kept the lock past the wait. Exit 2: nothing was sent. */
export class LockBusyError extends MtError {
  constructor(message: string, options: MtErrorOptions = {}) {
    super(message, EXIT.USAGE, options);
  }
}

/** The lock was taken by another process while we held it (we were frozen). Nothing may be sent under it. */
export class LockLostError extends MtError {
  constructor(message: string, options: MtErrorOptions = {}) {
    super(message, EXIT.USAGE, options);
  }
}

/** Runs fn under a named lock, released after (also on error). */
export async function withLock<T>(store: DeskStore, name: string, options: LockOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const lock = await store.lock(name, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
