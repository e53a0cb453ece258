// One writer per agent: a lock in the state directory that every mt4gw process on the machine
// honours, so two processes can never both pass max_positions. proper-lockfile gives atomic
// acquisition (mkdir) and stale-lock recovery: the holder refreshes the lock's mtime every few
// seconds, and a lock not refreshed for STALE_MS (its process died) is taken over.
import lockfile from 'proper-lockfile';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { ensureDir, stateDir } from './state-dir.js';

// A holder refreshes every second; a lock not refreshed for 5 s belongs to a process that died
// (kill -9, power cut) and is taken over. Five seconds also absorbs a briefly starved event loop.
const STALE_MS = 5_000;
const UPDATE_MS = 1_000;

export interface LockOptions {
  env: NodeJS.ProcessEnv;
  /** Give up after this long (default 30 s). */
  waitMs?: number;
  /** Told once when the lock is held by someone else and we start waiting. */
  onWait?: (message: string) => void;
  /** What the holder is doing, shown to a process that waits. */
  purpose?: string;
}

export async function withAgentLock<T>(agent: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const dir = ensureDir(join(stateDir(options.env), 'locks'));
  const target = join(dir, agent);
  const ownerFile = `${target}.owner`;
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  let told = false;
  let release: (() => Promise<void>) | undefined;
  while (!release) {
    try {
      release = await lockfile.lock(target, {
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // A lock taken over while we hold it (we were frozen for > STALE_MS) must not crash the
        // process in the middle of an order: the journal still records what happens.
        onCompromised: () => undefined,
      });
    } catch (e) {
      if ((e as { code?: string }).code !== 'ELOCKED') throw e;
      if (!told) {
        told = true;
        const owner = readOwner(ownerFile);
        const gone = owner && owner.host === hostname() && !isAlive(owner.pid);
        options.onWait?.(
          gone
            ? `${agent}'s lock was left by pid ${owner.pid}, which is gone; taking it over within ${STALE_MS / 1000} s…`
            : `waiting for ${agent}'s lock, held by ${describeOwner(ownerFile)}…`,
        );
      }
      if (Date.now() >= deadline) {
        throw new UsageError(
          `gave up waiting for ${agent}'s lock after ${Math.round((options.waitMs ?? 30_000) / 1000)} s; nothing was sent`,
          {
            hint: `Another mt4gw process (${describeOwner(ownerFile)}) is trading ${agent}. Try again when it has finished.`,
          },
        );
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  try {
    writeFileSync(
      ownerFile,
      JSON.stringify({ pid: process.pid, host: hostname(), purpose: options.purpose ?? '', since: new Date().toISOString() }),
    );
    return await fn();
  } finally {
    rmSync(ownerFile, { force: true });
    await release().catch(() => undefined);
  }
}

interface Owner {
  pid: number;
  host: string;
  purpose: string;
  since: string;
}

function readOwner(ownerFile: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(ownerFile, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

function describeOwner(ownerFile: string): string {
  const o = readOwner(ownerFile);
  return o ? `pid ${o.pid} on ${o.host}${o.purpose ? ` (${o.purpose})` : ''} since ${o.since}` : 'another process';
}
