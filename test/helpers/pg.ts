// A database of its own for a test file or a desk, on the run's PostgreSQL server
// (test/setup/postgres.ts), dropped at the end: tests run in parallel and share nothing.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  name: string;
  /** The URL mt4gw is given (MT4GW_STATE_URL): with the password, as a desk's would be. */
  url: string;
  /** A query as the superuser, on this database. */
  sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('pgAdminUrl');
}

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = adminUrl()): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `mt4gw_${prefix}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = withDb(adminUrl(), name);
  return {
    name,
    url,
    sql: async (text, values) => (await admin((c) => c.query(text, values), url)).rows as never,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
