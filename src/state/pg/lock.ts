// Named locks of a shared desk: a PostgreSQL session advisory lock, held on a connection of its own
// for as long as the lock is held. The server releases it the moment that session ends — the
// process died, its machine went away (TCP keepalive and tcp_user_timeout: seconds), or it stopped
// talking: the holder runs a heartbeat every second, and the session's idle_session_timeout ends a
// session silent for LOCK_IDLE_MS (a process frozen by SIGSTOP or a paused VM). Who holds it is in
// mt4gw.lock_holders, with a fencing token from a sequence.
//
// verify() proves the lock before each send, in the holder's own session: that session still holds
// the advisory lock and the holder row still carries our token. A session that has ended cannot
// answer, and a holder that cannot get an answer within VERIFY_TIMEOUT_MS sends nothing
// (LockLostError): a frozen or partitioned holder never sends after losing its lock.
import { hostname } from 'node:os';
import pg from 'pg';
import type { Secret } from '../../config/secret.js';
import type { HeldLock, LockOptions } from '../store.js';
import { LockBusyError, LockLostError } from '../store.js';
import { clientConfig, sessionSettings, unavailable } from './connect.js';

/** A lock session silent this long is ended by the server, and its lock released (as STALE_MS of the files store). */
export const LOCK_IDLE_MS = 5_000;
const BEAT_MS = 1_000;
/** verify() and the heartbeat give up on an answer after this long. */
const VERIFY_TIMEOUT_MS = 3_000;

export const lockKey = (param: string) => `hashtextextended('mt4gw:lock:' || ${param}, 0)`;

/** Whether session `pid` holds the advisory lock of the name in ${name}, as SQL. */
export const holdsAdvisory = (pidExpr: string, nameParam: string) => `EXISTS (
  SELECT 1 FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid = ${pidExpr}
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND ((l.classid::bigint << 32) | l.objid::bigint) = ${lockKey(nameParam)})`;

interface HolderRow {
  pid: number;
  host: string;
  purpose: string;
  since: Date;
}

function describe(h: HolderRow | undefined): string {
  return h ? `pid ${h.pid} on ${h.host}${h.purpose ? ` (${h.purpose})` : ''} since ${new Date(h.since).toISOString()}` : 'another process';
}

export class PgLocks {
  readonly #open = new Set<pg.Client>();
  constructor(
    readonly url: Secret,
    readonly where: string,
    readonly ready: () => Promise<void>,
  ) {}

  async #holder(c: pg.Client, name: string): Promise<HolderRow | undefined> {
    const r = await c.query<HolderRow & { live: boolean }>(
      `SELECT h.pid, h.host, h.purpose, h.since FROM mt4gw.lock_holders h WHERE h.name = $1 AND ${holdsAdvisory('h.backend_pid', '$1')}`,
      [name],
    );
    return r.rows[0];
  }

  async acquire(name: string, options: LockOptions = {}): Promise<HeldLock> {
    await this.ready();
    const waitMs = options.waitMs ?? 30_000;
    const c = new pg.Client(clientConfig(this.url));
    let lost = false;
    c.on('error', () => {
      lost = true;
    });
    const fail = (e: unknown, doing: string): never => {
      this.#open.delete(c);
      c.end().catch(() => undefined);
      return unavailable(e, doing, this.where, this.url);
    };
    try {
      await c.connect();
      this.#open.add(c);
      await c.query(sessionSettings({ idle_session_timeout: `${LOCK_IDLE_MS}`, statement_timeout: '0' }));
    } catch (e) {
      fail(e, `locked (${name}: connecting)`);
    }
    try {
      const got = await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${lockKey('$1')}) AS ok`, [name]);
      if (!got.rows[0]?.ok) {
        const holder = await this.#holder(c, name);
        options.onWait?.(`waiting for ${name}'s lock, held by ${describe(holder)}…`);
        if (waitMs < 1) throw busy(name, waitMs, holder);
        try {
          await c.query(`SET lock_timeout = '${Math.ceil(waitMs)}'`);
          await c.query({
            text: `SELECT pg_advisory_lock(${lockKey('$1')})`,
            values: [name],
            query_timeout: waitMs + 5_000,
          } as pg.QueryConfig);
          await c.query('SET lock_timeout = 0');
        } catch (e) {
          if ((e as { code?: string }).code === '55P03') throw busy(name, waitMs, await this.#holder(c, name).catch(() => holder));
          throw e;
        }
      }
      const claimed = await c.query<{ token: string }>(
        `INSERT INTO mt4gw.lock_holders (name, token, backend_pid, pid, host, purpose, since)
         VALUES ($1, nextval('mt4gw.lock_token')::text, pg_backend_pid(), $2, $3, $4, now())
         ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token, backend_pid = EXCLUDED.backend_pid, pid = EXCLUDED.pid,
           host = EXCLUDED.host, purpose = EXCLUDED.purpose, since = EXCLUDED.since
         RETURNING token`,
        [name, process.pid, hostname(), options.purpose ?? ''],
      );
      return this.#held(c, name, claimed.rows[0]!.token, () => lost);
    } catch (e) {
      if (e instanceof LockBusyError) {
        this.#open.delete(c);
        await c.end().catch(() => undefined);
        throw e;
      }
      return fail(e, `locked (${name})`);
    }
  }

  #held(c: pg.Client, name: string, token: string, dropped: () => boolean): HeldLock {
    let lost = false;
    let released = false;
    const ask = <T extends pg.QueryResultRow>(text: string, values: unknown[]) =>
      c.query<T>({ text, values, query_timeout: VERIFY_TIMEOUT_MS } as pg.QueryConfig);
    const beat = setInterval(() => {
      if (lost || released) return;
      if (dropped()) {
        lost = true;
        return;
      }
      ask('SELECT 1', []).catch(() => {
        lost = true;
      });
    }, BEAT_MS);
    beat.unref();
    const lostError = (why: string) =>
      new LockLostError(`${name}'s lock was lost (${why}); nothing was sent under it`, {
        hint: 'This process was frozen (suspended, or the machine paused) or cut off from the desk database for longer than the lock allows; another process may hold the lock now.',
      });
    return {
      name,
      token,
      verify: async () => {
        if (lost || dropped()) {
          lost = true;
          throw lostError('its database session ended');
        }
        let ok: boolean;
        try {
          const r = await ask<{ ok: boolean }>(
            `SELECT ${holdsAdvisory('pg_backend_pid()', '$1')} AND EXISTS (SELECT 1 FROM mt4gw.lock_holders WHERE name = $1 AND token = $2) AS ok`,
            [name, token],
          );
          ok = r.rows[0]?.ok === true;
        } catch (e) {
          lost = true;
          throw lostError(`its database session did not answer: ${(e as Error).message}`);
        }
        if (!ok) {
          lost = true;
          throw lostError('another process holds it now');
        }
      },
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(beat);
        try {
          if (!lost && !dropped()) {
            await ask('DELETE FROM mt4gw.lock_holders WHERE name = $1 AND token = $2', [name, token]);
            await ask(`SELECT pg_advisory_unlock(${lockKey('$1')})`, [name]);
          }
        } catch {
          // Ending the session below releases the lock all the same.
        } finally {
          this.#open.delete(c);
          await c.end().catch(() => undefined);
        }
      },
    };
  }

  /** Ends every lock session still open (the store is closing): the server releases their locks. */
  async closeAll(): Promise<void> {
    const all = [...this.#open];
    this.#open.clear();
    await Promise.all(all.map((c) => c.end().catch(() => undefined)));
  }
}

function busy(name: string, waitMs: number, holder: HolderRow | undefined): LockBusyError {
  return new LockBusyError(`gave up waiting for ${name}'s lock after ${Math.round(waitMs / 1000)} s; nothing was sent`, {
    hint: `Another mt4gw process (${describe(holder)}) is working on ${name}. Try again when it has finished.`,
  });
}
