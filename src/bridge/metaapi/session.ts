// The HTTP side of the MetaApi transport: one undici pool per agent on MetaApi's address (a
// region's, or mt4.base_url), the `auth-token` header, bounded connect/headers/body timeouts, the
// answer read with a cap and scrubbed of the token before anything else sees it, and MetaApi's
// rate limits: a 429 is waited out until the time MetaApi recommends (`metadata.recommendedRetryTime`,
// an absolute time, or the Retry-After header) when that lies within the request's timeout, and the
// request is sent again — a 429 proves it was not executed, trades included. Past the timeout the
// call fails as rate_limited, nothing executed, and later calls wait for the same time before
// sending anything. Failures become the neutral BridgeError kinds; the trade answers themselves
// (200 or a 4xx TradeError) are the client's to read (client.ts, codes.ts).
import Pool from 'undici/lib/dispatcher/pool.js';
import apiRequest from 'undici/lib/api/api-request.js';
import undiciErrors from 'undici/lib/core/errors.js';
import type { z } from 'zod';
import type { Secret } from '../../config/secret.js';
import { BridgeError } from '../errors.js';
import { redactDeep, redactText } from '../redact.js';
import { MaErrorSchema, type MaError } from './wire.js';

export interface SessionTarget {
  agent: string;
  /** Origin and optional path prefix, no trailing slash (config/transports.ts made it). */
  baseUrl: string;
  accountId: string;
  token: Secret | undefined;
  timeoutMs: number;
  log?: ((line: string) => void) | undefined;
}

/** Answers larger than this are not MetaApi's. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** A 429 without a time to retry at: wait this long. */
const DEFAULT_RETRY_MS = 1_000;
/** At most this many 429s are waited out for one call. */
const MAX_RATE_LIMITED_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface TradeAnswer {
  status: number;
  text: string;
  /** The error body of a 4xx answer, when it has MetaApi's shape. */
  error?: MaError | undefined;
}

class BodyTooLarge extends Error {}

export class MetaApiSession {
  readonly agent: string;
  readonly origin: string;
  readonly accountId: string;
  readonly #prefix: string;
  readonly #pool: InstanceType<typeof Pool>;
  readonly #token: Secret | undefined;
  readonly #timeoutMs: number;
  readonly #log: ((line: string) => void) | undefined;
  /** MetaApi asked us not to send before this time (epoch ms). */
  #blockedUntil = 0;

  constructor(t: SessionTarget) {
    this.agent = t.agent;
    const url = new URL(t.baseUrl);
    this.origin = url.origin;
    this.#prefix = url.pathname.replace(/\/+$/, '');
    this.accountId = t.accountId;
    this.#token = t.token;
    this.#timeoutMs = t.timeoutMs;
    this.#log = t.log;
    this.#pool = new Pool(this.origin, {
      connections: 8,
      pipelining: 1,
      connectTimeout: t.timeoutMs,
      headersTimeout: t.timeoutMs,
      bodyTimeout: t.timeoutMs,
      keepAliveTimeout: 10_000,
    });
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => undefined);
  }

  /** A read of `rel` (below the account), validated by `schema`. */
  async get<T extends z.ZodType>(rel: string, schema: T, endpoint: string, query: Record<string, string> = {}): Promise<z.infer<T>> {
    const { status, text } = await this.#exchange('GET', rel, query, undefined, endpoint);
    if (status !== 200) throw this.#errorAnswer(status, text, endpoint, rel, false);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new BridgeError('protocol', this.agent, endpoint, `answered invalid JSON (${describeText(text)})`, { status });
    }
    const parsed = schema.safeParse(redactDeep(json, this.#secrets()));
    if (!parsed.success) {
      throw new BridgeError('protocol', this.agent, endpoint, `answered outside MetaApi's format: ${describeIssues(parsed.error.issues)}`, {
        status,
      });
    }
    return parsed.data;
  }

  /**
   * POST trade. Answers 200 and the 4xx that carry a trade or validation error are returned for the
   * client to read; every other failure is thrown, maybeExecuted when the request may have executed.
   */
  async trade(body: unknown, endpoint: string): Promise<TradeAnswer> {
    const { status, text } = await this.#exchange('POST', 'trade', {}, body, endpoint);
    if (status === 200) return { status, text };
    if (status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 404) {
      const error = parseError(text);
      if (error) return { status, text, error };
    }
    throw this.#errorAnswer(status, text, endpoint, 'trade', true);
  }

  #secrets(): string[] {
    return this.#token ? [this.#token.reveal()] : [];
  }

  #path(rel: string, query: Record<string, string>): string {
    const qs = new URLSearchParams(query).toString();
    return `${this.#prefix}/users/current/accounts/${encodeURIComponent(this.accountId)}/${rel}${qs ? `?${qs}` : ''}`;
  }

  /** One request, with the 429s waited out within the timeout. */
  async #exchange(
    method: 'GET' | 'POST',
    rel: string,
    query: Record<string, string>,
    body: unknown,
    endpoint: string,
  ): Promise<{ status: number; text: string }> {
    const deadline = Date.now() + this.#timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const wait = this.#blockedUntil - Date.now();
      if (wait > 0) {
        if (this.#blockedUntil > deadline) throw this.#rateLimited(endpoint, this.#blockedUntil, undefined, 'nothing was sent');
        this.#log?.(`${this.agent} ${endpoint}: rate limited; waiting ${wait} ms as MetaApi asked`);
        await sleep(wait);
      }
      const r = await this.#once(method, rel, query, body, endpoint);
      if (r.status !== 429) return r;
      const until = Math.max(retryTime(r.text, r.retryAfter, Date.now()), Date.now() + 20);
      this.#blockedUntil = Math.max(this.#blockedUntil, until);
      const error = parseError(r.text);
      if (until > deadline || attempt >= MAX_RATE_LIMITED_ATTEMPTS)
        throw this.#rateLimited(endpoint, until, error, method === 'POST' ? 'nothing was executed' : undefined);
      this.#log?.(`${this.agent} ${endpoint} -> 429; MetaApi recommends retrying at ${new Date(until).toISOString()}`);
    }
  }

  #rateLimited(endpoint: string, until: number, error: MaError | undefined, note: string | undefined): BridgeError {
    const inS = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    const what = error ? ` (${error.error}${error.message ? `: ${oneLine(redactText(error.message, this.#secrets()))}` : ''})` : '';
    return new BridgeError(
      'rate_limited',
      this.agent,
      endpoint,
      `rate limited by MetaApi (429)${what}: retry at ${new Date(until).toISOString()} (in ${inS} s), past this request's ${this.#timeoutMs} ms${note ? `; ${note}` : ''}`,
      {
        status: 429,
        hint: 'MetaApi limits requests per application, server and account ("CPU credits"): wait, poll less often (watch --interval), or raise mt4.timeout_ms to wait longer.',
      },
    );
  }

  async #once(
    method: 'GET' | 'POST',
    rel: string,
    query: Record<string, string>,
    body: unknown,
    endpoint: string,
  ): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers['auth-token'] = this.#token.reveal();
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    let status: number;
    let text: string;
    let retryAfter: string | undefined;
    try {
      const res = await apiRequest.call(this.#pool, { method, path: this.#path(rel, query), headers, body: payload });
      status = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfter = Array.isArray(ra) ? ra[0] : ra;
      text = await readCapped(res.body);
    } catch (e) {
      throw this.#transportError(e, endpoint, method === 'POST');
    }
    this.#log?.(`${this.agent} ${endpoint} -> ${status} in ${Math.round(performance.now() - started)} ms`);
    // An answer that repeats the token, anywhere, must not reach an output, a message or the journal.
    return { status, text: redactText(text, this.#secrets()), retryAfter };
  }

  #errorAnswer(status: number, text: string, endpoint: string, rel: string, isTrade: boolean): BridgeError {
    const body = parseError(text);
    const what = body ? `${body.error}${body.message ? `: ${oneLine(body.message)}` : ''}` : describeText(text);
    const account = `MetaApi account ${this.accountId}`;
    if (status === 401)
      return new BridgeError('unauthorized', this.agent, endpoint, 'unauthorized (401): MetaApi refused the token', {
        status,
        hint: "Check the agent's mt4.token / token_file: it must hold a MetaApi API token (app.metaapi.cloud → API access).",
      });
    if (status === 403)
      return new BridgeError('unauthorized', this.agent, endpoint, `forbidden (403): ${what}`, {
        status,
        hint: `The token has no access to ${account}: check mt4.account_id and the token's permissions.`,
      });
    if (status === 404) {
      const accountProblem = body?.message !== undefined && body.message !== null && /account|provision|deploy/i.test(body.message);
      if (rel.startsWith('symbols/') && !accountProblem)
        return new BridgeError('unknown_symbol', this.agent, endpoint, `HTTP 404: ${what}`, { status });
      return new BridgeError('not_connected', this.agent, endpoint, `${account} is not found or not deployed (404 ${what})`, {
        status,
        hint: 'Deploy the account in MetaApi (app.metaapi.cloud → Accounts) and wait until it is connected to the broker; check mt4.account_id (MetaApi’s id, not the MT4 login).',
      });
    }
    if (status === 504)
      return new BridgeError('timeout', this.agent, endpoint, `MetaApi timed out reaching the terminal (504): ${what}`, {
        status,
        maybeExecuted: isTrade,
      });
    // A trade's 5xx says nothing about whether it executed.
    return new BridgeError('http', this.agent, endpoint, `HTTP ${status}: ${what}`, { status, maybeExecuted: isTrade && status >= 500 });
  }

  #transportError(e: unknown, endpoint: string, isPost: boolean): BridgeError {
    const code = (e as { code?: string }).code ?? '';
    const t = this.#timeoutMs;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return new BridgeError(
        'unreachable',
        this.agent,
        endpoint,
        `unreachable at ${this.origin} (${code === 'ECONNREFUSED' ? 'connection refused' : code})`,
        { cause: e, hint: "Is the network up, and mt4.region / mt4.base_url MetaApi's address? (`mt4gw status` checks every agent.)" },
      );
    }
    if (e instanceof undiciErrors.ConnectTimeoutError)
      return new BridgeError('timeout', this.agent, endpoint, `timed out connecting to ${this.origin} after ${t} ms`, { cause: e });
    if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
      return new BridgeError('timeout', this.agent, endpoint, `timed out after ${t} ms waiting for the answer`, {
        cause: e,
        maybeExecuted: isPost,
        hint: 'MetaApi did not answer in time; raise mt4.timeout_ms or --timeout (trades through the cloud can take seconds).',
      });
    }
    if (e instanceof BodyTooLarge)
      return new BridgeError('protocol', this.agent, endpoint, `answered more than ${MAX_BODY_BYTES} bytes`, {
        cause: e,
        maybeExecuted: isPost,
      });
    const why =
      code === 'UND_ERR_SOCKET' || code === 'ECONNRESET'
        ? 'the connection was dropped before an answer'
        : `request failed (${code || (e as Error).message})`;
    return new BridgeError('unreachable', this.agent, endpoint, why, { cause: e, maybeExecuted: isPost });
  }
}

/** When MetaApi says to retry: metadata.recommendedRetryTime (either layout), else Retry-After, else a second from now. */
export function retryTime(text: string, retryAfter: string | undefined, now: number): number {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const o = (v: unknown): Record<string, unknown> | undefined =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const root = o(json);
  const candidates = [
    o(root?.metadata)?.recommendedRetryTime,
    o(root?.details)?.recommendedRetryTime,
    o(o(root?.details)?.metadata)?.recommendedRetryTime,
    root?.recommendedRetryTime,
  ];
  for (const c of candidates) {
    const t = typeof c === 'string' ? Date.parse(c) : Number.NaN;
    if (Number.isFinite(t)) return t;
  }
  if (retryAfter !== undefined) {
    const s = retryAfter.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return now + Number(s) * 1000;
    const d = Date.parse(s);
    if (Number.isFinite(d)) return d;
  }
  return now + DEFAULT_RETRY_MS;
}

export function parseError(text: string): MaError | undefined {
  try {
    const r = MaErrorSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

async function readCapped(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy?.();
      throw new BodyTooLarge();
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function oneLine(s: string, max = 160): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function describeText(text: string): string {
  if (text.length === 0) return 'empty body';
  return `body starts ${JSON.stringify(oneLine(text, 60).replace(/[^\x20-\x7e]/g, '?'))}`;
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => `field \`${i.path.length ? i.path.map(String).join('.') : '(root)'}\`: ${i.message}`);
  return shown.join('; ') + (issues.length > 3 ? ` (+${issues.length - 3} more)` : '');
}
