// The journal: append-only JSON Lines in the state directory, one record per step of every order
// (intent, decision, request, response, reconciliation, closes, modifies). Each record is written
// with a single write() on an O_APPEND descriptor; intents and results are fsync'ed before the
// call returns, so an order's intent is on disk before its request is sent, concurrent processes never
// interleave inside a line, and a crash can at worst lose the line being written (readers skip
// a torn last line). No record ever holds a token: callers pass data, never configs or headers.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureDir, stateDir } from './state-dir.js';

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

/** Records flushed to disk before append() returns (see append). */
const DURABLE_EVENTS: ReadonlySet<JournalEvent> = new Set<JournalEvent>([
  'intent',
  'result',
  'reconcile',
  'halt',
  'resume',
  'signal',
  'panic',
]);

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

let cachedUser: string | undefined;
function currentUser(): string {
  if (cachedUser === undefined) {
    try {
      cachedUser = userInfo().username;
    } catch {
      cachedUser = process.env.USER ?? 'unknown';
    }
  }
  return cachedUser;
}

/** A short order id: fits the 31-character MT4 comment as `mt4gw:<id>` with room to spare. */
export function newOrderId(): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  return [...randomBytes(10)].map((b) => alphabet[b & 31]).join('');
}

export const ORDER_TAG = 'mt4gw:';

export function orderComment(orderId: string, userComment?: string): string {
  const tag = `${ORDER_TAG}${orderId}`;
  return (userComment ? `${tag} ${userComment}` : tag).slice(0, 31);
}

/** The order id in a comment that starts with our tag (MT4 may rewrite the rest). */
export function orderIdOf(comment: string): string | undefined {
  const m = /^mt4gw:([0-9a-z]{10})/.exec(comment);
  return m?.[1];
}

export class Journal {
  readonly dir: string;
  readonly file: string;
  constructor(env: NodeJS.ProcessEnv) {
    this.dir = stateDir(env);
    this.file = join(this.dir, 'journal.jsonl');
  }

  #dirReady = false;

  /**
   * Appends one record. The records that promise something — an intent before its request is
   * sent, a result, a reconciliation, a halt — are flushed to disk (fsync) before this returns;
   * the steps in between (request, response, retry, decision) are written the same way but not
   * flushed one by one: a killed process cannot lose them (the kernel has them), and the next
   * flushed record takes them to disk too. One fsync per step made a 200-ticket panic wait ~0.6 s
   * on the disk (docs/performance.md).
   */
  append(input: JournalInput): JournalRecord {
    if (!this.#dirReady) {
      ensureDir(this.dir);
      this.#dirReady = true;
    }
    const record: JournalRecord = { ts: new Date().toISOString(), ...input, user: currentUser(), host: hostname(), pid: process.pid };
    const line = `${JSON.stringify(record)}\n`;
    const fd = openSync(this.file, 'a', 0o600);
    try {
      writeSync(fd, line);
      if (DURABLE_EVENTS.has(input.event)) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return record;
  }

  /** Every complete record, oldest first. A torn last line (a crash mid-write) is skipped. */
  read(): { records: JournalRecord[]; skipped: number } {
    if (!existsSync(this.file)) return { records: [], skipped: 0 };
    const records: JournalRecord[] = [];
    let skipped = 0;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        skipped++;
      }
    }
    return { records, skipped };
  }

  // Pending markers: written before an opening order is sent, removed once its outcome is journaled.
  // A marker left behind means a process died mid-order: the next run reconciles it.

  #pendingDir(agent: string): string {
    return join(this.dir, 'pending', agent);
  }

  markPending(agent: string, orderId: string, data: Record<string, unknown>): void {
    const dir = ensureDir(this.#pendingDir(agent));
    const path = join(dir, `${orderId}.json`);
    writeFileSync(path, JSON.stringify({ order_id: orderId, agent, ...data, pid: process.pid, ts: new Date().toISOString() }), {
      mode: 0o600,
    });
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  clearPending(agent: string, orderId: string): void {
    rmSync(join(this.#pendingDir(agent), `${orderId}.json`), { force: true });
  }

  pending(agent: string): Array<{ order_id: string; agent: string; ts: string; pid: number } & Record<string, unknown>> {
    const dir = this.#pendingDir(agent);
    if (!existsSync(dir)) return [];
    const out = [];
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(dir, name), 'utf8')));
      } catch {
        // A marker torn by a crash still names its order id.
        out.push({ order_id: name.slice(0, -5), agent, ts: '', pid: 0 });
      }
    }
    return out;
  }
}
