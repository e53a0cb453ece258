// The paper terminal over the DWX ZeroMQ protocol: what darwinex's DWX_ZeroMQ_Server_v2.0.1_RC8.mq4
// does in a terminal, in front of the same SimEngine as the REST front (rest-server.ts). Three
// sockets on 127.0.0.1: PULL on the push port (commands), PUSH on the pull port (replies), PUB on
// the pub port (quotes `SYMBOL:|:bid;ask`). Like the EA it handles one command at a time (the
// next waits in the socket), answers with a Python-dict literal (dwx-ea.ts), then pushes an empty
// message; its sockets have a high-water mark of 1 and never block, so a message sent back to back
// may be dropped, as on a real terminal.
//
// Faults (faults.ts) apply per command, matched as the REST request it stands for: GET_ACCOUNT_INFO
// is /account, GET_OPEN_TRADES /positions, TRACK_PRICES /tick/SYMBOL, HEARTBEAT /heartbeat, and
// the TRADE actions /trade with action buy, sell, modify, close, delete (CLOSE of a pending order),
// close_all. down: the sockets close for `seconds`; hang: no answer and nothing done;
// execute_then_drop: done, no answer; trade_error: 146, 4109 and 6 are answered as the EA's
// `…__ABORTED_COMMAND` words, other codes as the MT4 error of the trade function; latency: the
// answer comes later (and the terminal does nothing else meanwhile); malformed_json: the reply cut
// in half; wrong_types: a number quoted. http_500, http_503, unauthorized and echo_token have no
// DWX meaning (DWX has no HTTP and no token) and do nothing.
//
// The trade context held (holdTradeContext, trade_context_busy): with busy policy 'reject'
// another program holds it, IsTradeContextBusy() is true, and CheckOpsStatus answers every command
// but HEARTBEAT with TRADE_CONTEXT_BUSY__ABORTED_COMMAND before executing anything (reads too, as
// the EA does). With 'queue' the EA's own thread is stuck (in OrderSend, waiting for the broker):
// the command it took waits, the next ones wait in the socket, then all run in the order sent.
import type * as Zmq from 'zeromq';
import { DwxEa, type EaInputs } from './dwx-ea.js';
import { type Fault, malform } from './faults.js';
import { PaperTerminal, type TerminalConfig, urlHost } from './terminal.js';

export type { EaInputs } from './dwx-ea.js';

export interface DwxPorts {
  push_port: number;
  pull_port: number;
  pub_port: number;
}

export interface DwxAgentServerConfig extends TerminalConfig {
  /** 0: ephemeral (read back from ports()). */
  pushPort: number;
  pullPort: number;
  pubPort: number;
  brokerOffsetMinutes: number;
  /** How often tracked prices are checked and changes published (the EA: on each tick, else every 500 ms). Default 100. */
  publishIntervalMs?: number;
}

/**
 * The EA reads one command per OnTimer() call; its answers are spaced by the terminal's timer. Two
 * answers sent back to back through its high-water mark of 1 lose the second, so the sim spaces
 * them too.
 */
const EA_TIMER_MS = 5;

export class DwxAgentServer extends PaperTerminal {
  readonly transport = 'dwx' as const;
  readonly #ea: DwxEa;
  readonly #publishMs: number;
  #ports: { push: number; pull: number; pub: number };
  #zmq: typeof Zmq | undefined;
  #sockets: { pull: Zmq.Pull; push: Zmq.Push; pub: Zmq.Publisher } | undefined;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #error: string | undefined;
  #lastAnswer = 0;
  /** Clients connected to the pull port (where replies go), from the PUSH socket's events. */
  #listeners = 0;

  constructor(cfg: DwxAgentServerConfig) {
    super(cfg);
    this.#ea = new DwxEa(cfg.engine, cfg.brokerOffsetMinutes, () => this.now());
    this.#publishMs = cfg.publishIntervalMs ?? 100;
    this.#ports = { push: cfg.pushPort, pull: cfg.pullPort, pub: cfg.pubPort };
  }

  get port(): number {
    return this.#ports.push;
  }

  get url(): string {
    return this.#endpoint(this.#ports.push);
  }

  where(): string {
    return `${this.host} (DWX ports ${this.#ports.push}, ${this.#ports.pull}, ${this.#ports.pub})`;
  }

  /** The three ports as agents.yml names them. */
  ports(): DwxPorts {
    return { push_port: this.#ports.push, pull_port: this.#ports.pull, pub_port: this.#ports.pub };
  }

  /** How many clients are connected to the pull port (to take replies) now, as ZeroMQ sees it. */
  replyListeners(): number {
    return this.#listeners;
  }

  setEaInputs(inputs: Partial<EaInputs>): void {
    this.#ea.setInputs(inputs);
  }

  override lastError(): string | undefined {
    return super.lastError() ?? this.#error;
  }

  #endpoint(port: number | '*'): string {
    return `tcp://${urlHost(this.host)}:${port}`;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  protected async bind(): Promise<void> {
    this.#zmq ??= await import('zeromq');
    const zmq = this.#zmq;
    const ipv6 = this.host.includes(':') ? { ipv6: true } : {};
    const pull = new zmq.Pull({ receiveHighWaterMark: 1, linger: 0, ...ipv6 });
    const push = new zmq.Push({ sendHighWaterMark: 1, linger: 0, sendTimeout: 0, ...ipv6 });
    const pub = new zmq.Publisher({ sendHighWaterMark: 1, linger: 0, sendTimeout: 0, ...ipv6 });
    try {
      for (const [sock, key] of [
        [pull, 'push'],
        [push, 'pull'],
        [pub, 'pub'],
      ] as const) {
        const port = this.#ports[key];
        await sock.bind(this.#endpoint(port === 0 ? '*' : port));
        const actual = Number(/:(\d+)$/.exec(sock.lastEndpoint ?? '')?.[1]);
        if (Number.isInteger(actual) && actual > 0) this.#ports[key] = actual;
      }
    } catch (e) {
      for (const s of [pull, push, pub]) s.close();
      throw e;
    }
    this.#listeners = 0;
    push.events.on('accept', () => void this.#listeners++);
    push.events.on('disconnect', () => {
      this.#listeners = Math.max(0, this.#listeners - 1);
    });
    this.#sockets = { pull, push, pub };
    this.#loop = this.#serve(pull);
    this.#timer = setInterval(() => void this.#publishRound(), this.#publishMs);
    this.#timer.unref();
  }

  protected async unbind(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners = 0;
    const s = this.#sockets;
    this.#sockets = undefined;
    if (s) for (const sock of [s.pull, s.push, s.pub]) sock.close();
    await this.#loop?.catch(() => undefined);
    this.#loop = undefined;
  }

  // ---- the EA's loop ----------------------------------------------------------------------------

  async #serve(pull: Zmq.Pull): Promise<void> {
    try {
      for await (const frames of pull) {
        const text = Buffer.concat(frames).toString('utf8');
        await this.#handle(text).catch((e: unknown) => {
          this.#error = `handling ${JSON.stringify(text.slice(0, 60))} failed: ${(e as Error).message}`;
        });
      }
    } catch {
      // closed
    }
  }

  /**
   * Sends without blocking, as the EA does (`send(reply, true)`): a full queue drops the message.
   * `patienceMs` > 0 (replies only): where the EA would drop a reply because ZeroMQ has not yet
   * flushed the previous message, the sim tries again for that long — so replies get lost in
   * tests only through the hang and execute_then_drop faults, never by the machine's load.
   */
  async #send(sock: Zmq.Push | Zmq.Publisher | undefined, text: string, patienceMs = 0): Promise<boolean> {
    const until = performance.now() + patienceMs;
    for (;;) {
      if (!sock || this.closed) return false;
      try {
        await sock.send(text);
        return true;
      } catch {
        if (performance.now() >= until || !(await this.sleep(2))) return false;
      }
    }
  }

  async #handle(raw: string): Promise<void> {
    // ParseZmqMessage: StringSplit into `string components[11]`.
    const comp = raw.split(';').slice(0, 11);
    while (comp.length < 11) comp.push('');
    const target = this.#ea.target(comp);
    const entry = this.log.add({
      time: this.now(),
      method: 'DWX',
      path: target.path,
      query: {},
      body: raw,
      ...(target.action === undefined ? {} : { action: target.action }),
    });

    const decision = this.faultSet.decide(target);
    const fault: Fault | undefined = decision.fault;
    if (decision.fired.length > 0) {
      entry.faults = decision.fired;
      entry.fault = fault?.kind ?? decision.fired[0];
    }
    if (decision.holdSeconds !== undefined) this.tradeContext.hold(decision.holdSeconds);
    if (fault?.kind === 'down') {
      void this.goDown(fault.seconds ?? 5);
      return;
    }
    if (fault?.kind === 'hang') return;

    const execute = async (): Promise<{ reply: string | undefined } | undefined> => {
      if (target.trade && this.tradeLatencyMs > 0 && !(await this.sleep(this.tradeLatencyMs))) return undefined;
      let first = true;
      const reply = this.#ea.interpret(comp, {
        ...(fault?.kind === 'trade_error' ? { forced: fault.code ?? 2 } : {}),
        contextBusy: this.tradeContext.policy === 'reject' && this.tradeContext.held(),
        onTrade: (r, executed) => {
          if (!first) return;
          first = false;
          if (executed) this.log.executed(entry, this.now());
          PaperTerminal.noteOutcome(entry, r);
        },
      });
      return { reply };
    };
    let done: { reply: string | undefined } | undefined;
    if (target.trade) entry.queued = false;
    if (this.tradeContext.policy === 'queue') {
      // The EA's thread is the trade context: while it is held, the command waits (and the loop with it).
      const r = await this.tradeContext.run(execute, () => (entry.queued = true));
      done = r.ran ? r.value : undefined;
    } else done = await execute();
    if (done === undefined) return;
    let reply = done.reply;

    if (fault?.kind === 'execute_then_drop') {
      await this.sleep(decision.delayMs);
      return;
    }
    if (reply !== undefined && fault?.kind === 'malformed_json') reply = malform(reply);
    if (reply !== undefined && fault?.kind === 'wrong_types') reply = reply.replace(/(: ?)(-?\d+(?:\.\d+)?)/, "$1'x$2'");
    if (!(await this.sleep(decision.delayMs))) return;
    const gap = this.#lastAnswer + EA_TIMER_MS - performance.now();
    if (gap > 0 && !(await this.sleep(gap))) return;
    this.#lastAnswer = performance.now();
    const s = this.#sockets;
    if (reply !== undefined) {
      const sent = await this.#send(s?.push, reply, 250);
      if (sent) entry.status = 200;
      this.noteAnswer(entry, sent);
    }
    // OnTimer: the (empty) ZmqMsg MessageHandler returns, sent after every command.
    await this.#send(s?.push, '');
  }

  /** OnTick's price part: each tracked slot whose `bid;ask` changed is published, without blocking. */
  async #publishRound(): Promise<void> {
    if (!this.#sockets) return;
    // An EA whose thread is stuck (busy policy 'queue', context held) publishes nothing either.
    if (this.tradeContext.policy === 'queue' && this.tradeContext.held()) return;
    const pub = this.#sockets.pub;
    for (const message of this.#ea.changedTicks()) await this.#send(pub, message);
  }
}
