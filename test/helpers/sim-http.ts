// A plain node:http client for the paper bridge's tests: one connection per request unless an
// agent is given, every request bounded in time, the reply's status, headers, text and JSON.
import http from 'node:http';
import { afterEach, expect } from 'vitest';
import { z } from 'zod';
import { AccountSchema, ClosedTradeSchema, PendingOrderSchema, PositionSchema, TradeReplySchema } from '../../src/bridge/schemas.js';
import type { SimHandle } from '../../src/sim/index.js';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
  ms: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  raw?: string;
  /** Default 10 s; the request then fails with `client timeout` (and the socket is closed). */
  timeoutMs?: number;
  agent?: http.Agent;
  onSocket?: (reused: boolean) => void;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

export function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<HttpResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = o.token;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(`${base}${path}`, { method, headers, agent: o.agent ?? false }, (res) => {
      o.onSocket?.(req.reusedSocket);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, ms: performance.now() - started });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error('client timeout')));
    req.end(payload);
  });
}

/** The error a request ends with (fails the test if it gets a reply instead). */
export async function failure(p: Promise<HttpResult>): Promise<NodeJS.ErrnoException> {
  try {
    const r = await p;
    throw new Error(`expected no reply, got HTTP ${r.status} ${r.text}`);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms until it holds; fails after `limitMs` (a bound, not a timing assertion). */
export async function until(cond: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(5);
  }
}

/** What a test needs to talk to agent `id` of a started sim over HTTP, replies validated by the client's schemas. */
export function restAgent(s: SimHandle, token: string | undefined, id?: string) {
  const served = id === undefined ? s.agents[0]! : s.agents.find((x) => x.id === id)!;
  const base = served.url;
  const a = s.agent(served.id);
  const auth = token === undefined ? {} : { token };
  const get = (path: string, o: { timeoutMs?: number } = {}) => call(base, 'GET', path, { ...auth, ...o });
  const post = (body: unknown, o: { timeoutMs?: number } = {}) => call(base, 'POST', '/trade', { ...auth, body, ...o });
  const trade = async (body: unknown) => {
    const r = await post(body);
    expect(r.status).toBe(200);
    return TradeReplySchema.parse(r.json);
  };
  /** token null: send none. */
  const ctl = (method: string, path: string, body?: unknown, tok: string | null | undefined = token) =>
    call(base, method, `/_sim${path}`, {
      ...(tok === null || tok === undefined ? {} : { token: tok }),
      ...(body === undefined ? {} : { body }),
    });
  const positions = async () => z.array(PositionSchema).parse((await get('/positions')).json);
  const orders = async () => z.array(PendingOrderSchema).parse((await get('/orders')).json);
  const history = async (q = '') => z.array(ClosedTradeSchema).parse((await get(`/history${q}`)).json);
  const account = async () => AccountSchema.parse((await get('/account')).json);
  return { s, a, base, get, post, trade, ctl, positions, orders, history, account };
}

/** Sims started by a test file, closed after each test. */
export function simPool(): { track(s: SimHandle): SimHandle } {
  const open: SimHandle[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return {
    track(s) {
      open.push(s);
      return s;
    },
  };
}
