// The command channel to one DWX server EA: a PUSH socket to its PUSH_PORT for commands and a PULL
// socket from its PULL_PORT for replies. Replies carry no request id, so:
//   - one command is in flight at a time (a queue), each with the agent's timeout, and only a reply
//     of the right shape (`accept`: its `_action`, and its ticket where there is one) is taken as
//     the answer; anything else, and the EA's empty messages, are skipped;
//   - after a timeout, the next command is preceded by a HEARTBEAT, and everything before its
//     answer is dropped: the EA answers in order, so a late reply cannot be taken for a new one;
//   - a command is sent only once both sockets are connected: a terminal that is down is
//     "unreachable, nothing sent", never "maybe executed".
//
// zeromq is a native module: it is imported (loadZmq) when the first command is sent, never before.
import type * as Zmq from 'zeromq';
import { BridgeError, type BridgeErrorKind } from '../errors.js';
import { DwxParseError, asDict, asString, parseDwx, type DwxDict } from './parser.js';
import { ABORTED, HEARTBEAT, abortedMessage, abortedReason, isStopped } from './protocol.js';
import { Waiters, sleep } from './wait.js';

export interface SessionTarget {
  id: string;
  host: string;
  /** The EA's PUSH_PORT: where commands go (the EA's PULL socket). */
  pushPort: number;
  /** The EA's PULL_PORT: where replies come from (the EA's PUSH socket). */
  pullPort: number;
  timeoutMs: number;
}

/** Whether a reply is the answer to the command in flight. */
export type Accept = (d: DwxDict) => boolean;

interface Waiter {
  accept: Accept;
  resolve: (d: DwxDict) => void;
  reject: (e: Error) => void;
}

interface Sockets {
  push: Zmq.Push;
  pull: Zmq.Pull;
}

/** Reads answered TRADE_CONTEXT_BUSY / TRADING_IS_NOT_ALLOWED are tried this many times. */
const READ_ATTEMPTS = 3;
/**
 * The least time between an answer and the next command. The EA sends without blocking through a
 * high-water mark of 1: a reply it sends within about a millisecond of the previous message is
 * dropped (ZeroMQ has not yet seen the pipe drained). A terminal's timer spaces commands anyway.
 */
const PACE_MS = 5;

/** `tcp://host:port`, bracketing IPv6 literals. */
export function zmqEndpoint(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `tcp://${h}:${port}`;
}

/** The zeromq module, or an unreachable BridgeError saying it could not be loaded. */
export async function loadZmq(agent: string, what: string): Promise<typeof Zmq> {
  try {
    return await import('zeromq');
  } catch (e) {
    throw new BridgeError('unreachable', agent, what, `the zeromq module could not be loaded (${(e as Error).message})`, {
      cause: e,
      hint: 'The dwx transport needs the zeromq package that ships with mt4gw: reinstall mt4gw (npm install).',
    });
  }
}

/** `<REASON>__ABORTED_COMMAND` as an error: the EA refused the command, nothing was executed. */
export function abortedError(agent: string, reason: string, endpoint: string): BridgeError {
  const a = ABORTED[reason];
  const kind: BridgeErrorKind = reason === 'NO_BROKER_CONNECTION' ? 'unreachable' : 'busy';
  return new BridgeError(kind, agent, endpoint, abortedMessage(reason), a ? { hint: a.hint } : {});
}

export class DwxSession {
  readonly agent: string;
  readonly #t: SessionTarget;
  readonly #log: ((line: string) => void) | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #sockets: Promise<Sockets> | undefined;
  /** A command timed out: its reply may still come. The next command is preceded by a HEARTBEAT barrier. */
  #desync = false;
  #waiter: Waiter | undefined;
  #up = { push: false, pull: false };
  /** When each socket's connection attempts were refused, latest last (ZeroMQ retries every ~100 ms). */
  #refused: { push: number[]; pull: number[] } = { push: [], pull: [] };
  readonly #state = new Waiters();
  /** When the last message came from the EA (performance.now()). */
  #lastHeard = 0;

  constructor(target: SessionTarget, log?: (line: string) => void) {
    this.agent = target.id;
    this.#t = target;
    this.#log = log;
  }

  get #closed(): boolean {
    return this.#state.closed;
  }

  endpoint(port: number): string {
    return zmqEndpoint(this.#t.host, port);
  }

  /** A read: answered TRADE_CONTEXT_BUSY or TRADING_IS_NOT_ALLOWED, it is tried again (it changes nothing). */
  async read(endpoint: string, cmd: string, accept: Accept): Promise<DwxDict> {
    for (let attempt = 1; ; attempt++) {
      const d = await this.#request(endpoint, cmd, accept, false);
      const reason = abortedReason(d);
      if (!reason) return d;
      if ((reason === 'TRADE_CONTEXT_BUSY' || reason === 'TRADING_IS_NOT_ALLOWED') && attempt < READ_ATTEMPTS) {
        await sleep(100 * attempt);
        continue;
      }
      throw abortedError(this.agent, reason, endpoint);
    }
  }

  /** A trade command, sent once: a timeout is "maybe executed". An aborted command is answered as such. */
  trade(endpoint: string, cmd: string, accept: Accept): Promise<DwxDict> {
    return this.#request(endpoint, cmd, accept, true);
  }

  /**
   * A trade command. TRADING_IS_NOT_ALLOWED is also what the EA answers while the trade context
   * is busy (IsTradeAllowed() is false then): nothing was executed, so it is sent again twice.
   */
  async tradeRetryingNotAllowed(endpoint: string, cmd: string, accept: Accept): Promise<DwxDict> {
    for (let attempt = 1; ; attempt++) {
      const d = await this.trade(endpoint, cmd, accept);
      if (abortedReason(d) === 'TRADING_IS_NOT_ALLOWED' && attempt < 3) {
        await sleep(200 * attempt);
        continue;
      }
      return d;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#waiter?.reject(new BridgeError('unreachable', this.agent, 'close', 'the client was closed'));
    this.#waiter = undefined;
    this.#state.close();
    const s = await this.#sockets?.catch(() => undefined);
    for (const sock of [s?.push, s?.pull]) {
      try {
        sock?.close();
      } catch {
        // already closed
      }
    }
  }

  /** Runs one command exchange at a time. */
  #request(endpoint: string, cmd: string, accept: Accept, isTrade: boolean): Promise<DwxDict> {
    const run = async (): Promise<DwxDict> => {
      if (this.#closed) throw new BridgeError('unreachable', this.agent, endpoint, 'the client was closed');
      const s = await this.#connect();
      if (this.#desync) {
        try {
          await this.#exchange(s, 'HEARTBEAT', HEARTBEAT, (d) => asString(d.get('_action')) === 'heartbeat', false, false);
          this.#desync = false;
        } catch (e) {
          if (!(e instanceof BridgeError)) throw e;
          throw new BridgeError(
            e.kind,
            this.agent,
            endpoint,
            `${e.reason} (a heartbeat sent to resynchronise after an earlier timeout); nothing was sent`,
            { cause: e },
          );
        }
      }
      return this.#exchange(s, endpoint, cmd, accept, isTrade, !isTrade);
    };
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** One command and its answer. `resend`: a read, sent once more if no answer has come halfway to the deadline. */
  async #exchange(s: Sockets, endpoint: string, cmd: string, accept: Accept, isTrade: boolean, resend: boolean): Promise<DwxDict> {
    const t = this.#t.timeoutMs;
    const deadline = Date.now() + t;
    // Send only when both directions are connected: otherwise nothing is sent at all.
    await this.#waitConnected(endpoint, deadline);
    const pause = this.#lastHeard + PACE_MS - performance.now();
    if (pause > 0) await sleep(pause);
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<DwxDict>((resolve, reject) => {
      this.#waiter = { accept, resolve, reject };
      timer = setTimeout(
        () =>
          reject(
            new BridgeError('timeout', this.agent, endpoint, `timed out after ${t} ms waiting for the answer`, { maybeExecuted: isTrade }),
          ),
        Math.max(1, deadline - Date.now()),
      );
    });
    reply.catch(() => undefined);
    try {
      try {
        s.push.sendTimeout = Math.max(1, deadline - Date.now());
        await s.push.send(cmd);
      } catch (e) {
        // Not queued (ZeroMQ guarantees it): nothing reached the terminal.
        const code = (e as { code?: string }).code;
        const why = code === 'EAGAIN' ? `no connection within ${this.#t.timeoutMs} ms` : (code ?? (e as Error).message);
        throw new BridgeError(
          'unreachable',
          this.agent,
          endpoint,
          `unreachable: ${why} on the EA's PUSH_PORT ${this.#t.pushPort} (${this.endpoint(this.#t.pushPort)}); nothing was sent`,
          { cause: e },
        );
      }
      let again: NodeJS.Timeout | undefined;
      if (resend) {
        // A read changes nothing: if its reply is lost (the EA drops what it cannot send at once),
        // it is sent once more halfway to the deadline. Either answer will do; a second one that
        // comes late is dropped behind the next command's heartbeat.
        again = setTimeout(
          () => {
            if (this.#closed) return;
            this.#desync = true;
            this.#log?.(`${this.agent} ${endpoint} -> no answer yet; sent again`);
            s.push.sendTimeout = Math.max(1, deadline - Date.now());
            s.push.send(cmd).catch(() => undefined);
          },
          Math.max(1, Math.floor((deadline - Date.now()) / 2)),
        );
      }
      const d = await reply.finally(() => clearTimeout(again));
      this.#log?.(`${this.agent} ${endpoint} -> answered in ${Math.round(performance.now() - started)} ms`);
      return d;
    } catch (e) {
      if (e instanceof BridgeError && e.kind === 'timeout') {
        this.#desync = true;
        this.#log?.(`${this.agent} ${endpoint} -> no answer in ${t} ms`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
      this.#waiter = undefined;
    }
  }

  #onReply(frames: Buffer[]): void {
    this.#lastHeard = performance.now();
    const text = Buffer.concat(frames).toString('utf8');
    if (text.trim() === '') return; // the EA's empty message after each reply
    const w = this.#waiter;
    const fail = (e: BridgeError) => {
      this.#waiter = undefined;
      w?.reject(e);
    };
    let d: DwxDict | undefined;
    try {
      d = asDict(parseDwx(text));
    } catch (e) {
      if (!(e instanceof DwxParseError)) throw e;
      if (w)
        fail(new BridgeError('protocol', this.agent, 'reply', `answered outside the DWX format: ${e.message}`, { maybeExecuted: true }));
      else this.#log?.(`${this.agent}: dropped an unreadable message with no command waiting`);
      return;
    }
    if (!d) {
      if (w) fail(new BridgeError('protocol', this.agent, 'reply', 'answered something that is not a dict', { maybeExecuted: true }));
      return;
    }
    if (isStopped(d)) {
      if (w)
        fail(
          new BridgeError('unreachable', this.agent, 'reply', 'EA_IS_STOPPED: the DWX EA is being removed from its chart', {
            maybeExecuted: true,
          }),
        );
      return;
    }
    if (w && (abortedReason(d) !== undefined || w.accept(d))) {
      this.#waiter = undefined;
      w.resolve(d);
      return;
    }
    this.#log?.(
      `${this.agent}: dropped a reply that is not the answer awaited (${asString(d.get('_action')) ?? asString(d.get('_response')) ?? 'no _action'})`,
    );
  }

  #connect(): Promise<Sockets> {
    this.#sockets ??= (async () => {
      const zmq = await loadZmq(this.agent, 'connect');
      const ipv6 = this.#t.host.includes(':') ? { ipv6: true } : {};
      // immediate: nothing is queued for a peer that is not connected, so a command is either
      // handed to a live connection or not sent at all. linger 0: nothing is sent after close.
      const push = new zmq.Push({ linger: 0, immediate: true, sendHighWaterMark: 1, sendTimeout: this.#t.timeoutMs, ...ipv6 });
      const pull = new zmq.Pull({ linger: 0, ...ipv6 });
      for (const [name, sock] of [
        ['push', push],
        ['pull', pull],
      ] as const) {
        sock.events.on('connect', () => this.#setUp(name, true));
        sock.events.on('disconnect', () => this.#setUp(name, false));
        sock.events.on('connect:retry', () => {
          const times = this.#refused[name];
          times.push(Date.now());
          if (times.length > 4) times.shift();
          this.#state.notify();
        });
      }
      push.connect(this.endpoint(this.#t.pushPort));
      pull.connect(this.endpoint(this.#t.pullPort));
      void (async () => {
        try {
          for await (const frames of pull) this.#onReply(frames);
        } catch {
          // the socket was closed
        }
      })();
      return { push, pull };
    })();
    return this.#sockets;
  }

  #setUp(name: 'push' | 'pull', up: boolean): void {
    this.#up[name] = up;
    this.#state.notify();
  }

  async #waitConnected(endpoint: string, deadline: number): Promise<void> {
    const since = Date.now();
    const ready = () => this.#up.push && this.#up.pull;
    // Two refused attempts after we started waiting mean nothing listens there. One is not enough:
    // the retry ZeroMQ schedules after a failure may be reported just after a terminal came back.
    const refusedSince = (name: 'push' | 'pull') => !this.#up[name] && this.#refused[name].filter((t) => t > since).length >= 2;
    const refused = () => refusedSince('push') || refusedSince('pull');
    await this.#state.wait(ready, deadline, refused);
    if (ready()) return;
    if (this.#closed) throw new BridgeError('unreachable', this.agent, endpoint, 'the client was closed');
    const which = !this.#up.push
      ? `PUSH_PORT ${this.#t.pushPort} (${this.endpoint(this.#t.pushPort)})`
      : `PULL_PORT ${this.#t.pullPort} (${this.endpoint(this.#t.pullPort)})`;
    const why = refused() ? 'connection refused' : `no connection within ${this.#t.timeoutMs} ms`;
    throw new BridgeError('unreachable', this.agent, endpoint, `unreachable: ${why} on the EA's ${which}; nothing was sent`, {
      hint: 'Is the MT4 terminal running with the DWX server EA on its chart, with these ports? (`mt4gw status` checks every agent.)',
    });
  }
}
