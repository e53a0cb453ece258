// The public types of the paper bridge (re-exported by src/sim/index.ts).
import type { SimEngine } from './engine.js';
import type { EngineState, HistoryInput, PendingOrderInput, SpecOverride } from './engine-state.js';
import type { AccountWire, ClosedTradeWire, PendingOrderWire, PositionWire } from './wire.js';
import type { Fault, FaultKind } from './faults.js';
import type { Quote } from './market.js';
import type { BusyPolicy, TradeContextStatus } from './trade-context.js';

export interface SimAgentOptions {
  id: string;
  /** Default 127.0.0.1. Anything but loopback is refused unless SimOptions.allowNonLoopback. */
  host?: string;
  /** 0 = an ephemeral port (read it back from SimHandle.agents). */
  port: number;
  /** When set, every request (control path included) must carry `Authorization: <token>`. */
  token?: string;
  initialBalance: number;
  /** Default 500. */
  leverage?: number;
  currency?: 'USD';
  /** Default: every symbol of COMMON_SYMBOLS. */
  symbols?: string[];
  /** The account number GET /account (and DWX's account_number) reports. Default 22437 + the agent's index. */
  login?: number;
  /** Default `Paper <id>`. */
  name?: string;
  /** The broker server name GET /account reports. Default mt4gw-Paper. */
  server?: string;
  /** This agent's answer to a trade while its trade context is busy; default SimOptions.busyPolicy. */
  busyPolicy?: BusyPolicy;
  /** Which protocol this agent speaks; default SimOptions.transport ('rest'). */
  transport?: SimTransport;
  /**
   * transport dwx: the DWX EA's ports (0 = ephemeral). A port not given is `port`, `port`+1,
   * `port`+2 for push, pull and pub (all ephemeral when `port` is 0). No token: DWX has none.
   */
  dwx?: { push_port?: number; pull_port?: number; pub_port?: number };
  /**
   * transport metaapi: MetaApi's account id it serves under /users/current/accounts/<id>/ (default
   * a UUID made from the agent id), and how it answers a failed trade (default SimOptions').
   * The token, when set, is checked in the `auth-token` header.
   */
  metaapi?: { account_id?: string; trade_errors?: MetaApiTradeErrors };
}

export type SimTransport = 'rest' | 'dwx' | 'metaapi';

/**
 * How the MetaApi paper bridge answers a trade the broker refused — the notes leave it unsure:
 * '200' as HTTP 200 with the error's numericCode (the default), '4xx' as HTTP 400
 * `{error: "TradeError", numericCode, stringCode, message}`.
 */
export type MetaApiTradeErrors = '200' | '4xx';

export interface SimOptions {
  agents: SimAgentOptions[];
  /** Seeds the price walks, fault rates and jitter. Default 1. */
  seed?: number;
  /** The broker's UTC offset in minutes (server_time, start of the trading day). Default +120. */
  brokerOffsetMinutes?: number;
  allowNonLoopback?: boolean;
  /** Applied to every agent at start. */
  faults?: Fault[];
  /** How long a trade holds the terminal's single trade context, ms. Default 0. */
  tradeLatencyMs?: number;
  /** A trade arriving while another runs: answered 146 ('reject', the default) or made to wait ('queue'). */
  busyPolicy?: BusyPolicy;
  /** Default true; false -> GET /symbol/{symbol} answers 404 not_supported. */
  symbolEndpoint?: boolean;
  /** The clock every agent reads (epoch ms) unless one is set per agent. Default Date.now. */
  clock?: () => number;
  /** The protocol of agents that do not set their own: the REST EA Bridge (default), the DWX ZeroMQ EA or MetaApi's REST API. */
  transport?: SimTransport;
  /** transport metaapi: how a refused trade is answered (MetaApiTradeErrors); default '200'. */
  metaapiTradeErrors?: MetaApiTradeErrors;
  /** transport dwx: how often tracked prices are checked and changes published, ms. Default 100. */
  dwxPublishIntervalMs?: number;
}

/** What a trade came to: the trade reply the bridge produced, whether or not it reached the client. */
export interface SimTradeOutcome {
  success: boolean;
  ticket: number | null;
  error_code: number;
  /** A partial close: the remainder's ticket. */
  new_ticket?: number;
}

/** One request the bridge received on the protocol (the control path is never logged). */
export interface SimRequest {
  /** 1, 2, 3, … per agent. */
  seq: number;
  /** The agent's clock when it arrived (received at), epoch ms. */
  time: number;
  method: string;
  /**
   * Without the query string. A front whose protocol is not protocol v1 logs the REST path its
   * request stands for (`/positions`, `/trade`, …), the one its faults match; `wirePath` is the real one.
   */
  path: string;
  /** The path as sent, when `path` is the REST path it stands for (metaapi: /users/current/accounts/<id>/positions). */
  wirePath?: string;
  query: Record<string, string>;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** POST /trade: the body's action, when it has one. */
  action?: string;
  /** The HTTP status answered; missing while in progress and when no reply was sent (a drop, a hang, down). */
  status?: number;
  /** The fault that hit the request, if any: the one that decided the outcome, else the first that fired. */
  fault?: FaultKind;
  /** Every fault that fired on the request, in order (echo_token first when it did). */
  faults?: FaultKind[];
  /** Trades: it arrived while the trade context was busy and waited its turn (busy policy 'queue'). */
  queued?: boolean;
  /** Trades: the agent's clock when the engine executed it. Missing while it waits, and when it never executes (146, a fault, the sim closed). */
  executedAt?: number;
  /** Trades: 1, 2, 3, … the order in which this agent executed its trades. */
  executionSeq?: number;
  /** Trades: the trade reply produced (MT4's result, a 146, a trade_error), also when it could not be delivered. */
  outcome?: SimTradeOutcome;
  /** The agent's clock when the reply was sent, or found no one to take it. Missing: not answered (yet), or never (hang, drop, down). */
  answeredAt?: number;
  /** Whether the client was still connected when the sim answered; false: the reply went nowhere. */
  clientConnected?: boolean;
  /** HTTP: the agent's clock when the connection closed before the reply was complete (the client gave up, or the sim dropped it). */
  disconnectedAt?: number;
}

/** In-process control of one paper bridge, for tests and the `mt4gw sim` command. */
export interface SimAgentControl {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** The agent's engine, for assertions beyond what the protocol shows. */
  readonly engine: SimEngine;

  setFaults(faults: Fault[]): void;
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** The faults still in force (count = what is left). */
  faults(): Fault[];

  /** The protocol requests received so far, oldest first (control-path requests excluded). */
  requests(): SimRequest[];
  clearRequests(): void;

  /** Freezes the symbol at `bid` (its spread kept) until unfreeze; orders and stops are checked at once. */
  setPrice(symbol: string, bid: number): Quote;
  /** Lets one symbol (or all) walk again from the frozen price. */
  unfreeze(symbol?: string): void;
  quote(symbol: string): Quote | undefined;
  setBalance(balance: number): void;
  /** Adds closed trades; the balance moves by their profit unless adjustBalance is false. */
  addHistory(trades: HistoryInput[], options?: { adjustBalance?: boolean }): ClosedTradeWire[];
  /** Places a pending order (the protocol cannot); returns its ticket. */
  addPendingOrder(order: PendingOrderInput): number;
  /** Changes volume limits or stop/freeze levels of a symbol for this agent. */
  setSpec(symbol: string, override: SpecOverride): void;
  /** false: the account reports trade_allowed false and every trade answers 4109. */
  setTradeAllowed(allowed: boolean): void;

  /**
   * Holds the trade context busy for `seconds` (wall clock; undefined: until releaseTradeContext),
   * as another EA's trade would. Meanwhile trades are answered 146 (busy policy 'reject') or wait
   * in a FIFO queue and run in order once it is free ('queue'). Reads go on as usual.
   */
  holdTradeContext(seconds?: number): void;
  /** Ends a hold now; queued trades run in the order they arrived. */
  releaseTradeContext(): void;
  tradeContextStatus(): TradeContextStatus;
  /** Resolves when nothing holds the trade context and no trade runs or waits. */
  waitTradeContextIdle(): Promise<void>;

  /** Stops this agent's clock at `ms` (time travel, either way); null returns to the sim's clock. */
  setClock(ms: number | null): void;
  now(): number;

  /** Closes the listener (connections refused) and every open connection; back after `seconds`, or on goUp. */
  goDown(seconds?: number): Promise<void>;
  /** Listens again on the same port. Never rejects; a failure shows in isDown() and lastError(). */
  goUp(): Promise<void>;
  isDown(): boolean;
  lastError(): string | undefined;

  account(): AccountWire;
  positions(): PositionWire[];
  orders(): PendingOrderWire[];
  /** Closed trades in [from, to) (epoch ms); defaults as on the wire. */
  history(from?: number, to?: number): ClosedTradeWire[];
  state(): EngineState;
}

export interface SimHandle {
  /** For a dwx agent, `port` is its push port, `url` tcp://host:push_port, and `dwx` has all three; a metaapi agent has `metaapi`. */
  agents: Array<{
    id: string;
    url: string;
    port: number;
    host: string;
    transport: SimTransport;
    dwx?: { push_port: number; pull_port: number; pub_port: number };
    /** A metaapi agent: its account id and the base URL to put in agents.yml (mt4.base_url). */
    metaapi?: { account_id: string; base_url: string };
  }>;
  /** Throws on an unknown id. */
  agent(id: string): SimAgentControl;
  /** Closes every server and destroys every connection, hung ones included. */
  close(): Promise<void>;
}
