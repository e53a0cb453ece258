// A paper terminal behind a node:http server on a loopback address: listening and closing (every
// connection, hung ones included), request bodies, JSON replies, the token check, the /_sim control
// path, and answering on behalf of the request log (status, when, whether the client was still
// there). A protocol front (rest-server.ts; a MetaApi front likewise) extends it with
// serveProtocol() and its token header.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlRequest } from './control-path.js';
import { SimInputError } from './errors.js';
import { echoToken } from './faults.js';
import { PaperTerminal, type TerminalConfig, urlHost } from './terminal.js';
import type { SimRequest } from './types.js';

export const MAX_BODY = 1024 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface ErrorReply {
  error: string;
  message: string;
}

export function errorBody(error: string, message: string): ErrorReply {
  return { error, message };
}

export interface HttpTerminalConfig extends TerminalConfig {
  /** 0: an ephemeral port. */
  port: number;
  /** When set, every request (control path included) must carry it in `tokenHeader`. */
  token: string | undefined;
  /** The request header that carries the token. Default `Authorization` (protocol v1). */
  tokenHeader?: string;
}

/** One protocol request, read in full, and its log entry once the front has made one. */
export interface HttpExchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  url: URL;
  /** url.pathname */
  path: string;
  /** The request body as text ('' when there is none). */
  text: string;
  entry?: SimRequest;
  /** echo_token fired: messages repeat the request's token header. */
  echo: boolean;
}

function sameSecret(got: string, want: string): boolean {
  const a = createHash('sha256').update(got).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

export abstract class HttpTerminal extends PaperTerminal {
  private actualPort: number;
  private readonly token: string | undefined;
  /** As written (for messages), and lower case (for lookups). */
  protected readonly tokenHeader: string;
  private readonly tokenKey: string;
  private readonly server: http.Server;

  constructor(cfg: HttpTerminalConfig) {
    super(cfg);
    this.actualPort = cfg.port;
    this.token = cfg.token === '' ? undefined : cfg.token;
    this.tokenHeader = cfg.tokenHeader ?? 'Authorization';
    this.tokenKey = this.tokenHeader.toLowerCase();
    this.server = http.createServer({ keepAlive: true }, (req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  /** Answers one protocol request (anything outside /_sim). */
  protected abstract serveProtocol(x: HttpExchange): Promise<void>;

  get port(): number {
    return this.actualPort;
  }

  get url(): string {
    return `http://${urlHost(this.host)}:${this.actualPort}`;
  }

  where(): string {
    return `${this.host}:${this.actualPort}`;
  }

  protected bind(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server.off('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        this.actualPort = (this.server.address() as AddressInfo).port;
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(this.actualPort, this.host);
    });
  }

  protected unbind(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // Every connection goes too: idle keep-alive ones, in-flight ones and hung ones.
      this.server.closeAllConnections();
    });
  }

  // ---- requests -------------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.handle(req, res).catch((err: unknown) => {
      this.sendText(res, 500, JSON.stringify(errorBody('internal', `the sim failed: ${(err as Error)?.message ?? String(err)}`)));
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const path = url.pathname;
    const text = await this.readBody(req);
    if (text === undefined) {
      const body = errorBody('payload_too_large', `bodies are limited to ${MAX_BODY} bytes`);
      this.sendText(res, 413, JSON.stringify(body), { connection: 'close' });
      return;
    }
    if (path === '/_sim' || path.startsWith('/_sim/')) {
      this.serveControl(method, path.slice('/_sim'.length), text, req, res);
      return;
    }
    await this.serveProtocol({ req, res, method, url, path, text, echo: false });
  }

  private readBody(req: http.IncomingMessage): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          resolve(undefined);
          req.removeAllListeners('data');
          req.resume();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  /** The value of the request's token header (what an echoing bridge repeats). */
  protected tokenOf(req: http.IncomingMessage): string | undefined {
    const v = req.headers[this.tokenKey];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  protected authorized(req: http.IncomingMessage): boolean {
    if (this.token === undefined) return true;
    const got = req.headers[this.tokenKey];
    return typeof got === 'string' && sameSecret(got, this.token);
  }

  /** Writes the reply unless the client is gone; true when it was written to an open connection. */
  private sendText(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): boolean {
    if (res.headersSent || res.writableEnded || res.destroyed || res.socket === null || res.socket.destroyed) return false;
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
    return true;
  }

  /**
   * Logs the exchange's request. The entry then records when the client goes away before its
   * reply (disconnectedAt), and how the reply went (answer, answerText).
   */
  protected logExchange(x: HttpExchange, fields: Omit<SimRequest, 'seq'>): SimRequest {
    const entry = this.log.add(fields);
    x.entry = entry;
    x.res.once('close', () => {
      if (!x.res.writableFinished && entry.disconnectedAt === undefined) entry.disconnectedAt = this.now();
    });
    return entry;
  }

  /** Answers a protocol request with JSON (echo_token applied); the log entry records it. */
  protected answer(x: HttpExchange, status: number, body: unknown, headers?: Record<string, string>): boolean {
    return this.answerText(x, status, JSON.stringify(this.shaped(x, body)), headers);
  }

  /** Answers with this exact text (a corrupted reply); the log entry records it. */
  protected answerText(x: HttpExchange, status: number, text: string, headers?: Record<string, string>): boolean {
    const delivered = x.entry?.disconnectedAt === undefined && this.sendText(x.res, status, text, headers);
    if (x.entry) {
      x.entry.status = status;
      this.noteAnswer(x.entry, delivered);
    }
    return delivered;
  }

  /** A body as it goes out: with echo_token in force, its message repeats the request's token. */
  protected shaped(x: HttpExchange, body: unknown): unknown {
    return x.echo ? echoToken(body, this.tokenHeader, this.tokenOf(x.req)) : body;
  }

  // ---- the /_sim control path -----------------------------------------------------------------

  private serveControl(method: string, sub: string, text: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      this.sendText(res, status, JSON.stringify(body), headers);
    if (!this.authorized(req)) {
      send(401, errorBody('unauthorized', `missing or wrong ${this.tokenHeader} token`));
      return;
    }
    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        send(400, errorBody('bad_request', 'the body is not valid JSON'));
        return;
      }
    }
    try {
      const r = controlRequest(this, method, sub, body);
      send(r.status, r.body, r.allow ? { allow: r.allow } : {});
      if (r.after) {
        const after = r.after;
        res.once('finish', () => after());
      }
    } catch (err) {
      if (err instanceof SimInputError) {
        send(400, errorBody('bad_request', err.message));
        return;
      }
      throw err;
    }
  }
}
