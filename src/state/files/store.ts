// The desk store on local files, in the state directory (src/state/dir.ts):
//   journal.jsonl            append-only JSON Lines, one record per step of every order
//   pending/<agent>/<id>.json an opening order in flight, until its outcome is journaled
//   trading-state.json       the desk's and each agent's trading state
//   locks/<name>.lock/       named locks (files/lock.ts)
// Each journal record is one write() on an O_APPEND descriptor, so concurrent processes never
// interleave inside a line and a crash can at worst tear the line being written (readers skip it).
// What promises something — an intent, a result, a halt — is fsync'ed before the call returns.
// Every write failure becomes StoreUnavailableError; no temporary file is ever left behind.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { initialState, parseStateDoc, type StateChange, type TradingStateDoc, unknownState } from '../model.js';
import type {
  AppendOptions,
  DeskStore,
  HeldLock,
  JournalEvent,
  JournalFilter,
  JournalInput,
  JournalQueryResult,
  JournalRecord,
  LockHolder,
  LockOptions,
  PendingOrder,
} from '../store.js';
import { LockBusyError, StoreUnavailableError } from '../store.js';
import { currentUser, who } from '../who.js';
import { appendLine, ensureDir, storageFailure, writeAtomic, writeDurable } from './io.js';
import { FileLocks } from './lock.js';
import { isAlive } from '../proc.js';

/** Records flushed to disk before append() returns, whatever the caller asks. */
const DURABLE: ReadonlySet<JournalEvent> = new Set<JournalEvent>(['intent', 'result', 'reconcile', 'halt', 'resume', 'signal', 'panic']);

/** How long a state change waits for another one before writing anyway: a halt never waits on a stuck process. */
const STATE_LOCK_WAIT_MS = 3_000;

export function journalRecord(input: JournalInput): JournalRecord {
  return { ts: new Date().toISOString(), ...input, user: currentUser(), host: hostname(), pid: process.pid };
}

export function matches(r: JournalRecord, f: JournalFilter): boolean {
  return (
    (f.agent === undefined || r.agent === f.agent) &&
    (f.order_id === undefined || r.order_id === f.order_id) &&
    (f.signal_id === undefined || r.signal_id === f.signal_id) &&
    (f.events === undefined || f.events.includes(r.event)) &&
    (f.since === undefined || Date.parse(r.ts) >= f.since)
  );
}

export class FilesStore implements DeskStore {
  readonly backend = 'files' as const;
  readonly where: string;
  readonly #journal: string;
  readonly #locks: FileLocks;
  #dirReady = false;

  constructor(dir: string) {
    this.where = dir;
    this.#journal = join(dir, 'journal.jsonl');
    this.#locks = new FileLocks(dir);
  }

  #ready(): void {
    if (this.#dirReady) return;
    try {
      ensureDir(this.where);
    } catch (e) {
      storageFailure(e, 'created', this.where);
    }
    this.#dirReady = true;
  }

  async append(input: JournalInput, options: AppendOptions = {}): Promise<JournalRecord> {
    this.#ready();
    const record = journalRecord(input);
    try {
      appendLine(this.#journal, `${JSON.stringify(record)}\n`, options.durable === true || DURABLE.has(input.event));
    } catch (e) {
      storageFailure(e, `written (journal: ${input.event})`, this.where);
    }
    return record;
  }

  async query(filter: JournalFilter = {}): Promise<JournalQueryResult> {
    let text: string;
    try {
      text = readFileSync(this.#journal, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: 0 };
      return storageFailure(e, 'read (journal)', this.where);
    }
    const records: JournalRecord[] = [];
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      let r: JournalRecord;
      try {
        r = JSON.parse(line) as JournalRecord;
      } catch {
        skipped++;
        continue;
      }
      if (matches(r, filter)) records.push(r);
    }
    return { records: filter.limit !== undefined ? records.slice(-filter.limit) : records, skipped };
  }

  // --- orders in flight ---------------------------------------------------------------------

  #pendingDir(agent: string): string {
    return join(this.where, 'pending', agent);
  }

  async beginOrder(
    intent: JournalInput & { order_id: string; agent: string },
    marker: Omit<PendingOrder, 'ts' | 'pid' | 'host'>,
  ): Promise<void> {
    await this.append(intent, { durable: true });
    const full: PendingOrder = { ...marker, ts: new Date().toISOString(), pid: process.pid, host: hostname() };
    try {
      const dir = ensureDir(this.#pendingDir(intent.agent));
      writeDurable(join(dir, `${intent.order_id}.json`), JSON.stringify(full));
    } catch (e) {
      storageFailure(e, 'written (pending order)', this.where);
    }
  }

  async resolveOrder(agent: string, orderId: string, result: JournalInput, before?: JournalInput): Promise<boolean> {
    const dir = this.#pendingDir(agent);
    const claim = join(dir, `${orderId}.resolving-${process.pid}-${randomBytes(3).toString('hex')}`);
    // The claim (an atomic rename) makes one process the resolver; a crash after it leaves the claim,
    // which pending() still lists as in flight until a result is journaled.
    try {
      renameSync(join(dir, `${orderId}.json`), claim);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.#claimLeftByDeadProcess(agent, orderId, claim, result, before);
      storageFailure(e, 'written (resolving a pending order)', this.where);
    }
    await this.#writeResolution(agent, orderId, claim, result, before);
    return true;
  }

  async #writeResolution(
    agent: string,
    orderId: string,
    claim: string,
    result: JournalInput,
    before: JournalInput | undefined,
  ): Promise<void> {
    if (before) await this.append({ ...before, order_id: orderId, agent });
    await this.append({ ...result, order_id: orderId, agent }, { durable: true });
    rmSync(claim, { force: true });
  }

  /** A claim whose resolver died before journaling the result: take it over. */
  async #claimLeftByDeadProcess(
    agent: string,
    orderId: string,
    claim: string,
    result: JournalInput,
    before: JournalInput | undefined,
  ): Promise<boolean> {
    const dir = this.#pendingDir(agent);
    for (const name of this.#names(dir)) {
      const m = /^(.+)\.resolving-(\d+)-[0-9a-f]+$/.exec(name);
      if (!m || m[1] !== orderId || isAlive(Number(m[2]))) continue;
      try {
        renameSync(join(dir, name), claim);
      } catch {
        continue;
      }
      await this.#writeResolution(agent, orderId, claim, result, before);
      return true;
    }
    return false;
  }

  #names(dir: string): string[] {
    try {
      return readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      return storageFailure(e, 'read (pending orders)', this.where);
    }
  }

  async pending(agent?: string): Promise<PendingOrder[]> {
    const agents = agent !== undefined ? [agent] : this.#names(join(this.where, 'pending'));
    const out: PendingOrder[] = [];
    for (const a of agents) {
      const dir = this.#pendingDir(a);
      for (const name of this.#names(dir)) {
        const claimed = /^(.+)\.resolving-(\d+)-[0-9a-f]+$/.exec(name);
        if (claimed && isAlive(Number(claimed[2]))) continue; // being resolved right now
        const orderId = claimed ? claimed[1]! : name.endsWith('.json') ? name.slice(0, -5) : undefined;
        if (orderId === undefined) continue;
        try {
          out.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as PendingOrder);
        } catch {
          // A marker torn by a crash still names its order.
          out.push({ order_id: orderId, agent: a, ts: '', pid: 0, host: '', torn: true });
        }
      }
    }
    return out;
  }

  // --- trading state ------------------------------------------------------------------------

  get #stateFile(): string {
    return join(this.where, 'trading-state.json');
  }

  async readState(): Promise<TradingStateDoc> {
    const path = this.#stateFile;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return initialState();
      return unknownState(
        `the trading state file ${path} cannot be read (${(e as NodeJS.ErrnoException).code}); fix it, then run mt4gw resume`,
      );
    }
    try {
      return parseStateDoc(JSON.parse(text), path);
    } catch (e) {
      return unknownState(
        `the trading state file ${path} is unreadable (${(e as Error).message}); fix or remove it, then run mt4gw resume`,
      );
    }
  }

  async updateState(change: StateChange, reason: string): Promise<TradingStateDoc> {
    this.#ready();
    let lock: HeldLock | undefined;
    try {
      lock = await this.#locks.acquire('trading-state', { waitMs: STATE_LOCK_WAIT_MS });
    } catch (e) {
      // Busy past the wait, or the disk refuses even a lock: write anyway (the write reports a broken disk).
      if (!(e instanceof LockBusyError) && !(e instanceof StoreUnavailableError)) throw e;
    }
    try {
      const doc = existsSync(this.#stateFile) ? await this.readState() : initialState();
      const at = new Date().toISOString();
      const by = who();
      change(doc, (state) => ({ state, reason, by, at }));
      try {
        writeAtomic(this.#stateFile, `${JSON.stringify(doc, null, 2)}\n`, `.trading-state.${process.pid}.tmp`);
      } catch (e) {
        storageFailure(e, 'written (trading state)', this.where);
      }
      return doc;
    } finally {
      await lock?.release();
    }
  }

  // --- locks --------------------------------------------------------------------------------

  lock(name: string, options?: LockOptions): Promise<HeldLock> {
    return this.#locks.acquire(name, options);
  }

  async locks(): Promise<LockHolder[]> {
    return this.#locks.holders().filter((h) => h.name !== 'trading-state');
  }

  async close(): Promise<void> {}
}
