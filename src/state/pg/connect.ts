// Connections to the desk database: where it is (for messages, never with its credentials), the
// client settings that make a dead peer visible in seconds, and one translation of every database
// failure into StoreUnavailableError. The URL is held in a Secret and revealed only to pg.
import type { ClientConfig } from 'pg';
import { parse } from 'pg-connection-string';
import type { Secret } from '../../config/secret.js';
import { MtError } from '../../errors.js';
import { StoreUnavailableError } from '../store.js';

/** Where the desk database URL came from, for messages: `MT4GW_STATE_URL`, `agents.yml state.url (${DESK_DB})`… */
export interface StateTarget {
  /** The URL, or why it cannot be had (agents.yml unreadable, the variable unset…). */
  url: Secret | { unavailable: string };
  origin: string;
}

/** Connecting gives up after this long: a panic with the database unreachable must not wait long. */
export const CONNECT_TIMEOUT_MS = 3_000;
/** Any statement: the server cancels it after this long (a stuck database never holds an order). */
export const STATEMENT_TIMEOUT_MS = 10_000;
/** The client gives up on an answer after this long (a partitioned server never answers). */
export const QUERY_TIMEOUT_MS = 12_000;
/** A transaction left open by a frozen process is ended by the server after this long. */
export const IDLE_IN_TRANSACTION_MS = 5_000;

/** `127.0.0.1:5432/desk`: host, port and database, never the user or the password. */
export function describeTarget(url: string): string {
  try {
    const c = parse(url);
    const host = c.host ?? 'localhost';
    const where = host.startsWith('/') ? `socket ${host}` : `${host.includes(':') ? `[${host}]` : host}:${c.port ?? 5432}`;
    return `postgres ${where}/${c.database ?? ''}`;
  } catch {
    return 'postgres (an unreadable URL)';
  }
}

/**
 * The settings of every session, sent as SET statements after connecting (PgBouncer in session mode
 * refuses most of them as startup parameters): the server notices a dead client within seconds
 * (TCP keepalive, tcp_user_timeout) and ends what a frozen one left open.
 */
export function sessionSettings(extra: Record<string, string> = {}): string {
  const s: Record<string, string> = {
    statement_timeout: `${STATEMENT_TIMEOUT_MS}`,
    idle_in_transaction_session_timeout: `${IDLE_IN_TRANSACTION_MS}`,
    tcp_keepalives_idle: '2',
    tcp_keepalives_interval: '1',
    tcp_keepalives_count: '3',
    tcp_user_timeout: '5000',
    ...extra,
  };
  return Object.entries(s)
    .map(([k, v]) => `SET ${k} = '${v}'`)
    .join('; ');
}

export function clientConfig(url: Secret, extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    connectionString: url.reveal(),
    application_name: 'mt4gw',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1_000,
    ...extra,
  };
}

/** SQLSTATE classes that say the database cannot be used now (as opposed to refusing one row). */
const HINTS: Array<[RegExp, string]> = [
  [/^28/, 'The database refused the role or its password: check the URL in MT4GW_STATE_URL or the state: block.'],
  [/^3D000$/, 'The database does not exist: create it (docs/shared-desk.md, "Set-up"), then run `mt4gw state migrate`.'],
  [/^42501$/, 'The role lacks a privilege: grant it (docs/shared-desk.md, "Roles"), or run `mt4gw state migrate` as the owner.'],
  [/^53/, 'The server is out of resources (connections, disk or memory).'],
];

/** Any failure of the database, as StoreUnavailableError naming what was being done; mt4gw's own errors as they are. */
export function unavailable(e: unknown, doing: string, where: string, secret?: Secret | undefined): never {
  if (e instanceof MtError) throw e;
  const err = e as { message?: string; code?: string };
  let message = typeof err?.message === 'string' && err.message ? err.message : String(e);
  // pg never puts the password in a message; be sure of it all the same.
  if (secret) {
    const raw = secret.reveal();
    message = message.split(raw).join('[redacted]');
    try {
      const pw = parse(raw).password;
      if (pw) message = message.split(pw).join('[redacted]');
    } catch {
      // the URL did not parse: the connection failed before any message could hold it
    }
  }
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const hint =
    HINTS.find(([re]) => code !== undefined && re.test(code))?.[1] ??
    'Check that the desk database is up and reachable from this machine (`mt4gw state status`); MT4GW_STATE_URL or the state: block in agents.yml says where it is.';
  throw new StoreUnavailableError(`the desk state in ${where} could not be ${doing}: ${message}${code ? ` [${code}]` : ''}`, {
    cause: e,
    hint,
  });
}
