// Named locks in the state directory that every mt4gw process on the machine honours: one writer per
// agent, so two processes can never both pass max_positions.
//
// A lock is a directory (mkdir is atomic) holding owner.json: the holder's fencing token, pid, host
// and purpose. The holder touches owner.json every second (its heartbeat). A lock whose heartbeat is
// older than STALE_MS, or whose holder on this machine is gone, is taken over — by one process at a
// time, through a takeover directory, after checking again that it is still the same stale lock.
//
// A holder that was frozen (SIGSTOP, a VM pause) past STALE_MS may find its lock taken when it wakes
// up. verify() proves ownership immediately before each send: the token in owner.json must still be
// ours. A process that lost its lock sends nothing under it (LockLostError).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { HeldLock, LockHolder, LockOptions } from '../store.js';
import { LockBusyError, LockLostError } from '../store.js';
import { isAlive } from '../proc.js';
import { ensureDir, storageFailure } from './io.js';

/** A heartbeat older than this belongs to a process that died or is frozen. */
export const STALE_MS = 5_000;
const BEAT_MS = 1_000;
/** A takeover directory older than this was left by a taker that died halfway. */
const TAKEOVER_STALE_MS = 10_000;

interface Owner {
  token: string;
  pid: number;
  host: string;
  purpose: string;
  since: string;
}

function readOwner(dir: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as Owner;
    return typeof o.token === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

/** The heartbeat: owner.json's mtime, or the directory's while the owner file is being written. */
function heartbeat(dir: string): number | undefined {
  try {
    return statSync(join(dir, 'owner.json')).mtimeMs;
  } catch {
    try {
      return statSync(dir).mtimeMs;
    } catch {
      return undefined;
    }
  }
}

function describe(o: Owner | undefined): string {
  return o ? `pid ${o.pid} on ${o.host}${o.purpose ? ` (${o.purpose})` : ''} since ${o.since}` : 'another process';
}

/** Why the lock in `dir` may be taken over now, or undefined while its holder is alive and beating. */
function staleness(dir: string, now: number): { owner: Owner | undefined; why: string } | undefined {
  const beat = heartbeat(dir);
  if (beat === undefined) return undefined; // gone meanwhile: the next mkdir will tell
  const owner = readOwner(dir);
  if (owner && owner.host === hostname() && owner.pid !== process.pid && !isAlive(owner.pid)) {
    return { owner, why: `pid ${owner.pid}, which is gone` };
  }
  if (now - beat > STALE_MS) return { owner, why: `${describe(owner)}, silent for ${Math.round((now - beat) / 1000)} s` };
  return undefined;
}

export class FileLocks {
  readonly #dir: string;
  readonly #where: string;
  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'locks');
    this.#where = stateDir;
  }

  #path(name: string): string {
    return join(this.#dir, `${name}.lock`);
  }

  async acquire(name: string, options: LockOptions = {}): Promise<HeldLock> {
    const dir = this.#path(name);
    const waitMs = options.waitMs ?? 30_000;
    const deadline = Date.now() + waitMs;
    let told = false;
    try {
      ensureDir(this.#dir);
    } catch (e) {
      storageFailure(e, 'locked (creating the locks directory)', this.#where);
    }
    for (;;) {
      try {
        mkdirSync(dir, { mode: 0o700 });
        return this.#own(name, dir, options.purpose ?? '');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') storageFailure(e, `locked (${name})`, this.#where);
      }
      const stale = staleness(dir, Date.now());
      if (stale) {
        if (!told) options.onWait?.(`${name}'s lock was left by ${stale.why}; taking it over…`);
        told = true;
        this.#takeOver(dir, stale.owner?.token);
        continue;
      }
      if (!told) {
        told = true;
        options.onWait?.(`waiting for ${name}'s lock, held by ${describe(readOwner(dir))}…`);
      }
      if (Date.now() >= deadline) {
        throw new LockBusyError(`gave up waiting for ${name}'s lock after ${Math.round(waitMs / 1000)} s; nothing was sent`, {
          hint: `Another mt4gw process (${describe(readOwner(dir))}) is working on ${name}. Try again when it has finished.`,
        });
      }
      await new Promise((r) => setTimeout(r, 40 + Math.random() * 80));
    }
  }

  /** Removes a stale lock — only if it is still the one found stale, and one taker at a time. */
  #takeOver(dir: string, staleToken: string | undefined): void {
    const guard = `${dir}.takeover`;
    try {
      mkdirSync(guard, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') storageFailure(e, 'locked (taking over a stale lock)', this.#where);
      // Another process is taking it over; a guard left by a taker that died is cleared.
      try {
        if (Date.now() - statSync(guard).mtimeMs > TAKEOVER_STALE_MS) rmSync(guard, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      return;
    }
    try {
      const still = staleness(dir, Date.now());
      if (still && still.owner?.token === staleToken) {
        const aside = `${dir}.stale-${randomBytes(4).toString('hex')}`;
        renameSync(dir, aside);
        rmSync(aside, { recursive: true, force: true });
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') storageFailure(e, 'locked (taking over a stale lock)', this.#where);
    } finally {
      rmSync(guard, { recursive: true, force: true });
    }
  }

  #own(name: string, dir: string, purpose: string): HeldLock {
    const token = `${Date.now().toString(36)}-${process.pid}-${randomBytes(8).toString('hex')}`;
    const ownerFile = join(dir, 'owner.json');
    const owner: Owner = { token, pid: process.pid, host: hostname(), purpose, since: new Date().toISOString() };
    try {
      writeFileSync(ownerFile, JSON.stringify(owner), { mode: 0o600 });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      storageFailure(e, `locked (${name})`, this.#where);
    }
    const ours = () => readOwner(dir)?.token === token;
    let lost = false;
    let released = false;
    const beat = setInterval(() => {
      if (lost || released) return;
      if (!ours()) {
        lost = true;
        return;
      }
      try {
        const t = new Date();
        utimesSync(ownerFile, t, t);
      } catch {
        // A failed heartbeat only makes the lock look stale sooner; verify() still decides.
      }
    }, BEAT_MS);
    beat.unref();
    return {
      name,
      token,
      verify: async () => {
        if (lost || !ours()) {
          lost = true;
          const now = readOwner(dir);
          throw new LockLostError(
            `${name}'s lock was taken over by ${describe(now)} while this process was not running; nothing was sent under it`,
            {
              hint: 'This process was frozen (suspended, or the machine paused) for longer than the lock allows.',
            },
          );
        }
        // Frozen but nobody took it: still ours; beat now so it does not look stale.
        try {
          const t = new Date();
          utimesSync(ownerFile, t, t);
        } catch {
          // see the heartbeat
        }
      },
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(beat);
        if (!ours()) return; // someone else's now: not ours to remove
        try {
          const aside = `${dir}.released-${randomBytes(4).toString('hex')}`;
          renameSync(dir, aside);
          rmSync(aside, { recursive: true, force: true });
        } catch {
          // Removed or taken meanwhile; a lock we could not remove goes stale within STALE_MS.
        }
      },
    };
  }

  /** Who holds which lock now. */
  holders(): LockHolder[] {
    let names: string[];
    try {
      names = readdirSync(this.#dir).filter((n) => n.endsWith('.lock'));
    } catch {
      return [];
    }
    const out: LockHolder[] = [];
    for (const n of names) {
      const o = readOwner(join(this.#dir, n));
      if (o) out.push({ name: n.slice(0, -'.lock'.length), pid: o.pid, host: o.host, purpose: o.purpose, since: o.since });
    }
    return out;
  }
}
