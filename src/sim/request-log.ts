// The request log of one paper terminal: every protocol request it received, oldest first, with
// what became of it. Bounded, so a long-running sim does not grow without end.
import type { SimRequest } from './types.js';

/** The log keeps the latest entries only; `seq` keeps counting. */
export const MAX_LOG = 10_000;

export class RequestLog {
  private entries: SimRequest[] = [];
  private seq = 0;
  private executions = 0;

  /** Logs a request and returns its live entry, for the front to fill in as it goes. */
  add(entry: Omit<SimRequest, 'seq'>): SimRequest {
    const e: SimRequest = { seq: ++this.seq, ...entry };
    this.entries.push(e);
    if (this.entries.length > MAX_LOG) this.entries.splice(0, this.entries.length - MAX_LOG);
    return e;
  }

  /** Marks the entry's trade as executed now (agent clock `at`), numbering executions per agent. */
  executed(entry: SimRequest, at: number): void {
    if (entry.executedAt !== undefined) return;
    entry.executedAt = at;
    entry.executionSeq = ++this.executions;
  }

  list(): SimRequest[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}
