// Waiting on a condition that socket events change (a connection up, a quote arrived), bounded in
// time, for the DWX session and its quotes.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Callers waiting for a condition; notify() makes each look again. close() releases them all. */
export class Waiters {
  readonly #waiting = new Set<() => void>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when `ready()` holds, or `stop()` does, or at `until` (whatever holds then), or at close(). */
  wait(ready: () => boolean, until: number, stop: () => boolean = () => false): Promise<void> {
    if (ready() || stop() || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (!ready() && !stop() && !this.#closed && Date.now() < until) return;
        clearTimeout(timer);
        this.#waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.#waiting.delete(done);
          resolve();
        },
        Math.max(0, until - Date.now()),
      );
      this.#waiting.add(done);
    });
  }

  notify(): void {
    for (const w of [...this.#waiting]) w();
  }

  close(): void {
    this.#closed = true;
    this.notify();
  }
}
