// The EA Bridge REST client (protocol v1): one undici pool per agent with keep-alive, bounded
// connect/headers/body timeouts, the raw-token Authorization header, and zod validation of every
// response. It never retries: whether a retry is safe is decided by the trading layer, which knows
// what the request was.
// The pool, its request method and the error classes only, not undici's index (undici-lean.d.ts).
import Pool from 'undici/lib/dispatcher/pool.js';
import apiRequest from 'undici/lib/api/api-request.js';
import undiciErrors from 'undici/lib/core/errors.js';
import type { z } from 'zod';
import type { Secret } from '../config/secret.js';
import { commentWithClientId } from './client-id.js';
import { BridgeError } from './errors.js';
import { redactDeep, redactText } from './redact.js';
import {
  AccountSchema,
  ClosedTradeSchema,
  ErrorBodySchema,
  PendingOrderSchema,
  PositionSchema,
  SymbolSpecSchema,
  TickSchema,
  TradeReplySchema,
  type Account,
  type ClosedTrade,
  type PendingOrder,
  type Position,
  type SymbolSpec,
  type Tick,
  type TradeReply,
  type TradeRequest,
} from './schemas.js';
import { ALL_CAPABILITIES, type Bridge, type BridgeCapabilities } from './transport.js';

export interface BridgeTarget {
  id: string;
  host: string;
  port: number;
  timeoutMs: number;
  token?: Secret | undefined;
}

export interface ClientOptions {
  /** Debug lines (`--verbose`). Never receives a header or a token. */
  log?: ((line: string) => void) | undefined;
}

/** Answers larger than this are a protocol violation, not something to buffer. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export class BridgeClient implements Bridge {
  readonly agent: string;
  readonly transport = 'rest' as const;
  /** Protocol v1 offers everything; a bridge without /symbol still answers symbol() with undefined. */
  readonly capabilities: Readonly<BridgeCapabilities> = ALL_CAPABILITIES;
  readonly origin: string;
  readonly #pool: InstanceType<typeof Pool>;
  readonly #token: Secret | undefined;
  readonly #log: ((line: string) => void) | undefined;
  readonly #timeoutMs: number;

  constructor(target: BridgeTarget, options: ClientOptions = {}) {
    this.agent = target.id;
    const host = target.host.includes(':') && !target.host.startsWith('[') ? `[${target.host}]` : target.host;
    this.origin = `http://${host}:${target.port}`;
    this.#token = target.token;
    this.#log = options.log;
    this.#timeoutMs = target.timeoutMs;
    this.#pool = new Pool(this.origin, {
      connections: 8,
      pipelining: 1,
      connectTimeout: target.timeoutMs,
      headersTimeout: target.timeoutMs,
      bodyTimeout: target.timeoutMs,
      keepAliveTimeout: 10_000,
    });
  }

  account(): Promise<Account> {
    return this.#get('/account', AccountSchema);
  }

  tick(symbol: string): Promise<Tick> {
    return this.#get(`/tick/${encodeURIComponent(symbol)}`, TickSchema);
  }

  /** The terminal's MarketInfo, or undefined when the bridge does not offer /symbol. */
  async symbol(symbol: string): Promise<SymbolSpec | undefined> {
    try {
      return await this.#get(`/symbol/${encodeURIComponent(symbol)}`, SymbolSpecSchema);
    } catch (e) {
      if (e instanceof BridgeError && e.kind === 'not_supported') return undefined;
      throw e;
    }
  }

  positions(): Promise<Position[]> {
    return this.#get('/positions', PositionSchema.array());
  }

  orders(): Promise<PendingOrder[]> {
    return this.#get('/orders', PendingOrderSchema.array());
  }

  history(range: { from?: Date; to?: Date } = {}): Promise<ClosedTrade[]> {
    const q = new URLSearchParams();
    if (range.from) q.set('from', range.from.toISOString());
    if (range.to) q.set('to', range.to.toISOString());
    const qs = q.toString();
    return this.#get(qs ? `/history?${qs}` : '/history', ClosedTradeSchema.array());
  }

  /**
   * POST /trade. A BridgeError with maybeExecuted=true means the request may have reached the
   * terminal (timeout or dropped connection after sending): the caller must read back before
   * deciding anything.
   */
  trade(request: TradeRequest): Promise<TradeReply> {
    return this.#call('POST', '/trade', TradeReplySchema, toWire(request), `POST /trade (${request.action})`);
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => undefined);
  }

  #get<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>> {
    return this.#call('GET', path, schema, undefined, `GET ${path.split('?')[0]}`);
  }

  async #call<T extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: T, body: unknown, endpoint: string): Promise<z.infer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = this.#token.reveal();
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    let status: number;
    let text: string;
    try {
      const res = await apiRequest.call(this.#pool, { method, path, headers, body: payload });
      status = res.statusCode;
      text = await readCapped(res.body);
    } catch (e) {
      throw this.#transportError(e, endpoint, method === 'POST');
    }
    const ms = Math.round(performance.now() - started);
    this.#log?.(`${this.agent} ${endpoint} -> ${status} in ${ms} ms`);

    // A bridge that echoes the Authorization header back, in any text of any answer, must not make us
    // print, return or journal it.
    const secrets = this.#token ? [this.#token.reveal()] : [];
    try {
      return redactDeep(decodeAnswer(this.agent, endpoint, status, text, schema, method === 'POST'), secrets);
    } catch (e) {
      if (e instanceof Error) e.message = redactText(e.message, secrets);
      throw e;
    }
  }

  #transportError(e: unknown, endpoint: string, isPost: boolean): BridgeError {
    const code = (e as { code?: string }).code ?? '';
    const t = this.#timeoutMs;
    // Not delivered: nothing reached the terminal.
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return new BridgeError(
        'unreachable',
        this.agent,
        endpoint,
        `unreachable at ${this.origin} (${code === 'ECONNREFUSED' ? 'connection refused' : code})`,
        { cause: e },
      );
    }
    if (e instanceof undiciErrors.ConnectTimeoutError) {
      return new BridgeError('timeout', this.agent, endpoint, `timed out connecting to ${this.origin} after ${t} ms`, { cause: e });
    }
    // Delivered, or possibly delivered: the effect of a POST is unknown.
    if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
      return new BridgeError('timeout', this.agent, endpoint, `timed out after ${t} ms waiting for the answer`, {
        cause: e,
        maybeExecuted: isPost,
      });
    }
    if (e instanceof BodyTooLarge) {
      return new BridgeError('protocol', this.agent, endpoint, `answered more than ${MAX_BODY_BYTES} bytes`, { cause: e });
    }
    const why =
      code === 'UND_ERR_SOCKET' || code === 'ECONNRESET'
        ? 'the connection was dropped before an answer'
        : `request failed (${code || (e as Error).message})`;
    return new BridgeError('unreachable', this.agent, endpoint, why, { cause: e, maybeExecuted: isPost });
  }
}

/** The protocol's trade body: mt4gw's order id travels as the comment's tag (client-id.ts). */
function toWire(request: TradeRequest): Record<string, unknown> {
  if (request.action !== 'buy' && request.action !== 'sell') return request;
  const { client_id, comment, ...rest } = request;
  const wireComment = commentWithClientId(client_id, comment);
  return wireComment === '' ? rest : { ...rest, comment: wireComment };
}

/**
 * Turns a bridge's answer into the validated value, or a BridgeError naming the agent, the
 * endpoint and the bad field. Pure, so the fuzz tests can hammer it; never throws anything else.
 */
export function decodeAnswer<T extends z.ZodType>(
  agent: string,
  endpoint: string,
  status: number,
  text: string,
  schema: T,
  isTrade = false,
): z.infer<T> {
  // For a trade, a 200 we cannot read, or a server error, says nothing about whether it executed.
  const maybeExecuted = isTrade && (status === 200 || (status >= 500 && status !== 503));
  if (status === 200) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new BridgeError('protocol', agent, endpoint, `answered invalid JSON (${describeText(text)})`, { status, maybeExecuted });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new BridgeError('protocol', agent, endpoint, `answered outside protocol v1: ${describeIssues(parsed.error.issues)}`, {
        status,
        maybeExecuted,
      });
    }
    return parsed.data;
  }

  const errBody = parseErrorBody(text);
  const what = errBody ? `${errBody.error}${errBody.message ? `: ${oneLine(errBody.message)}` : ''}` : describeText(text);
  let err: BridgeError;
  if (status === 401)
    err = new BridgeError('unauthorized', agent, endpoint, `unauthorized (401): the bridge refused the token`, { status });
  else if (status === 503) err = new BridgeError('busy', agent, endpoint, `terminal busy (503): ${what}`, { status });
  else if (status === 404 && errBody?.error === 'unknown_symbol')
    err = new BridgeError('unknown_symbol', agent, endpoint, `HTTP 404: ${what}`, { status });
  else if (status === 404 && errBody?.error === 'not_supported')
    err = new BridgeError('not_supported', agent, endpoint, `HTTP 404: ${what}`, { status });
  else err = new BridgeError('http', agent, endpoint, `HTTP ${status}: ${what}`, { status, maybeExecuted });
  throw err;
}

class BodyTooLarge extends Error {}

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

function parseErrorBody(text: string): { error: string; message?: string | undefined } | undefined {
  try {
    const r = ErrorBodySchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function oneLine(s: string, max = 160): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function describeText(text: string): string {
  if (text.length === 0) return 'empty body';
  // Only printable characters: a garbage answer must not mess up the terminal.
  return `body starts ${JSON.stringify(oneLine(text, 60).replace(/[^\x20-\x7e]/g, '?'))}`;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(root)';
    return `field \`${path}\`: ${i.message}`;
  });
  const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}
