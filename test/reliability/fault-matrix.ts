// The fault matrix: every fault × every command that talks to a bridge, as data. Each cell runs the
// built binary once against a paper bridge of its own (one sim agent per cell, so cells share
// nothing and run a few at a time) and checks:
//   - the documented exit code;
//   - an error line naming the agent and the endpoint (bridge errors) or the MT4 code (rejections);
//   - what reached the bridge: how many POST /trade of the command's action, never a lost answer
//     sent again, and what is open afterwards (nothing opened twice, nothing closed twice);
//   - the journal: every intent has its result (or the pending marker stays, exit 6 only), and for
//     panic the halt and the agent's verdict.
// A fault that cannot meet a command is a skipped cell with the reason (docs/reliability.md has
// the same table).
//
// The matrix runs over each HTTP transport (faultMatrix('rest') in fault-matrix.test.ts,
// faultMatrix('metaapi') in fault-matrix-metaapi.test.ts): the same cells with the same outcomes,
// the endpoints and messages in each wire's words, plus MetaApi's own faults (429s, a 404 account,
// -11 after executing, -7 and -10) on the metaapi desk.
//
// Over 500 lines on purpose: the matrix is one table, and its rows read best side by side.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault, SimAgentControl, SimRequest } from '../../src/sim/index.js';
import type { RunResult } from '../helpers/cli.js';
import { startDesk, type Desk, type DeskAgent } from '../helpers/desk.js';
import { soloConfig } from './solo.js';

export type MatrixTransport = 'rest' | 'metaapi';

/** MetaApi's own faults: cells of the metaapi desk only. */
const METAAPI_FAULTS = [
  'rate_limited',
  'rate_limited_long',
  'not_connected',
  'unknown_executed',
  'unknown_not_executed',
  'disconnected',
] as const;

const FAULTS = [
  'down',
  'slow',
  'http_401',
  'http_500',
  'bad_json',
  'wrong_types',
  'drop',
  'lost_unreadable',
  'busy_146',
  'requote',
  'partial',
  ...METAAPI_FAULTS,
] as const;
type FaultName = (typeof FAULTS)[number];
type MetaApiFault = (typeof METAAPI_FAULTS)[number];
const isMetaApiFault = (f: FaultName): f is MetaApiFault => (METAAPI_FAULTS as readonly string[]).includes(f);
const COMMANDS = ['status', 'summary', 'account', 'positions', 'trade', 'signal', 'modify', 'close', 'close-all', 'panic'] as const;
type CommandName = (typeof COMMANDS)[number];

/** What a cell knows while it runs. */
interface Cell {
  command: CommandName;
  fault: FaultName;
  agent: string;
  ctl: SimAgentControl;
  symbol: string;
  /** A stop loss 0.2 % below the ask (signal cells). */
  sl: number;
  /** Positions and pending orders opened by the setup. */
  tickets: number[];
  orders: number[];
  /** The remainder's ticket after a partial close done behind mt4gw's back. */
  remainder?: number;
}

interface CommandDef {
  /** read: GETs only. order: opens a position. ticket: closes, modifies or deletes tickets. */
  kind: 'read' | 'order' | 'ticket';
  /** The POST /trade action the command sends (faults on the order target it). */
  action?: 'buy' | 'modify' | 'close';
  args(c: Cell): string[];
  /** Positions (lots each) and pending orders opened in the terminal before the run. */
  positions?: number[];
  pendingOrders?: number;
}

const CONTROL = 'control'; // a healthy agent listed next to the faulty one: it must still be shown

const COMMAND_DEFS: Record<CommandName, CommandDef> = {
  status: { kind: 'read', args: (c) => ['status', c.agent, CONTROL, '--json'] },
  summary: { kind: 'read', args: (c) => ['summary', c.agent, CONTROL, '--json'] },
  account: { kind: 'read', args: (c) => ['account', c.agent] },
  positions: { kind: 'read', args: (c) => ['positions', c.agent, CONTROL, '--json'] },
  trade: { kind: 'order', action: 'buy', args: (c) => ['trade', c.agent, 'buy', 'XAUUSD', '0.01', '--yes', '--json'] },
  // With an agents.yml of this agent alone: a signal goes to every agent trading its symbol.
  signal: {
    kind: 'order',
    action: 'buy',
    args: (c) => [
      '--config',
      soloConfig(desk, c.agent).path,
      'signal',
      c.symbol,
      'long',
      '--sl',
      String(c.sl),
      '--id',
      `fm-${c.agent}`,
      '--yes',
      '--json',
    ],
  },
  modify: { kind: 'ticket', action: 'modify', positions: [0.02], args: (c) => ['modify', c.agent, String(c.tickets[0]), '--sl', '2640'] },
  close: {
    kind: 'ticket',
    action: 'close',
    positions: [0.05],
    args: (c) => ['close', c.agent, String(c.tickets[0]), ...(c.fault === 'partial' ? ['--lots', '0.02'] : [])],
  },
  'close-all': {
    kind: 'ticket',
    action: 'close',
    positions: [0.02, 0.01],
    args: (c) => ['close-all', c.agent, '--yes', '--deadline', '2s'],
  },
  panic: {
    kind: 'ticket',
    action: 'close',
    positions: [0.02, 0.01],
    pendingOrders: 1,
    args: (c) => ['panic', '--agent', c.agent, '--yes', '--deadline', '2s'],
  },
};

/** The faults on the request that decides the outcome: every GET for a read, the POST /trade for an order. */
const onTarget = (cmd: CommandDef): Partial<Fault> => (cmd.kind === 'read' ? {} : { endpoint: '/trade', action: cmd.action! });

/** How each fault is injected. `slow` runs with --timeout 2s (ample for a paper bridge on a loaded machine). */
const INJECT: Record<FaultName, (c: Cell, cmd: CommandDef) => Promise<void> | void> = {
  down: (c) => c.ctl.goDown(), // the terminal is gone: connections refused
  slow: (c, cmd) => c.ctl.addFault({ kind: 'latency', ms: 5000, ...onTarget(cmd) }), // a trade executes, then answers late
  http_401: (c) => c.ctl.addFault({ kind: 'unauthorized' }), // a refused token is refused for every request
  http_500: (c, cmd) => c.ctl.addFault({ kind: 'http_500', ...onTarget(cmd) }),
  bad_json: (c, cmd) => c.ctl.addFault({ kind: 'malformed_json', ...onTarget(cmd) }), // a trade executes, its answer is cut in half
  wrong_types: (c, cmd) => c.ctl.addFault({ kind: 'wrong_types', ...onTarget(cmd) }), // a trade executes, its answer mistyped
  drop: (c, cmd) => c.ctl.addFault({ kind: 'execute_then_drop', ...onTarget(cmd) }),
  // Executed, answer lost, and from then on the positions cannot be read (see readsFailAfterSend).
  lost_unreadable: (c, cmd) => {
    c.ctl.addFault({ kind: 'latency', ms: 300, count: 1, ...onTarget(cmd) });
    c.ctl.addFault({ kind: 'execute_then_drop', count: 1, ...onTarget(cmd) });
  },
  busy_146: (c, cmd) => c.ctl.addFault({ kind: 'trade_error', code: 146, ...onTarget(cmd) }), // a storm that outlasts every deadline
  requote: (c, cmd) => c.ctl.addFault({ kind: 'trade_error', code: 138, count: 2, ...onTarget(cmd) }), // two requotes, then a fill
  partial: (c, cmd) => {
    // close --lots: a partial close whose answer is lost (the remainder lives on under a new ticket).
    if (c.command === 'close') c.ctl.addFault({ kind: 'execute_then_drop', ...onTarget(cmd) });
    // Otherwise the position is partly closed in the terminal between mt4gw's listing and its
    // request (see partialCloseBehindTheBack): the listed ticket is gone, a new one holds the rest.
    else c.ctl.addFault({ kind: 'latency', ms: 400, endpoint: '/positions', count: c.command === 'close-all' ? 2 : 1 });
  },
  // One 429 on the request that decides (MetaApi recommends a retry in a second, within the 2 s
  // timeout): waited out and sent again. Each kind of command gets one of the three layouts.
  rate_limited: (c, cmd) =>
    c.ctl.addFault({
      kind: 'http_429',
      seconds: 1,
      count: 1,
      variant: cmd.kind === 'read' ? 'details' : cmd.kind === 'order' ? 'metadata' : 'header',
      ...onTarget(cmd),
    }),
  // MetaApi asks for a minute: past every timeout, so nothing is sent meanwhile.
  rate_limited_long: (c, cmd) => c.ctl.addFault({ kind: 'http_429', seconds: 60, ...onTarget(cmd) }),
  not_connected: (c, cmd) => c.ctl.addFault({ kind: 'not_connected', ...onTarget(cmd) }),
  // Executed, then answered -11 (disconnected during the trade): the outcome is unknown to mt4gw.
  unknown_executed: (c, cmd) => c.ctl.addFault({ kind: 'execute_then_error', code: -11, count: 1, ...onTarget(cmd) }),
  // Answered -7 (timed out) without executing: unknown too, and nothing shows.
  unknown_not_executed: (c, cmd) => c.ctl.addFault({ kind: 'trade_error', code: -7, count: 1, ...onTarget(cmd) }),
  // -10: disconnected before the trade: never reached the broker.
  disconnected: (c, cmd) => c.ctl.addFault({ kind: 'trade_error', code: -10, count: 1, ...onTarget(cmd) }),
};

/** Cells whose MetaApi trade failures come as a 400 TradeError (the notes' other reading); the others as HTTP 200. */
const FOUR_XX: ReadonlySet<FaultName> = new Set(['busy_146', 'unknown_not_executed', 'disconnected']);

// ─── Expectations ────────────────────────────────────────────────────────────────────────────────

interface Expect {
  exit: number;
  /** A line of stderr: the agent, then on the same line what failed. */
  err?: (agent: string) => RegExp;
  /** POST /trade requests with the command's action ('many': retried, more than one per ticket). */
  sends?: number | 'many';
  /** order commands: positions open afterwards (1 = opened exactly once). */
  opened?: number;
  /** ticket commands: positions and pending orders still open afterwards. */
  left?: number;
  /** Anything else the cell must show. */
  check?: (c: Cell, r: RunResult) => void | Promise<void>;
}
type Spec = Expect | { skip: string };

type DetailKey = 'down' | 'slow' | 'http_401' | 'http_500' | 'bad_json' | 'wrong_types' | 'drop';

/** Each wire's endpoints and words, as regular expressions. */
interface Wire {
  /** The request a read of the account is (two over metaapi: account-information and server-time). */
  account: string;
  /** summary's reads. */
  accountOrPositions: string;
  /** Any read. */
  anyGet: string;
  detail: Record<DetailKey, string>;
  /** The ticket a POST /trade was about. */
  ticketOf(q: SimRequest): number;
}

const COMMON_DETAIL: Record<Exclude<DetailKey, 'wrong_types'>, string> = {
  down: 'unreachable at http://127\\.0\\.0\\.1:\\d+ \\(connection refused\\)',
  slow: 'timed out after 2000 ms waiting for the answer',
  http_401: 'unauthorized \\(401\\)',
  http_500: 'HTTP 500',
  bad_json: 'answered invalid JSON',
  drop: 'the connection was dropped before an answer',
};

const WIRES: Record<MatrixTransport, Wire> = {
  rest: {
    account: 'GET /account',
    accountOrPositions: 'GET /(account|positions)',
    anyGet: 'GET /\\w+',
    detail: { ...COMMON_DETAIL, wrong_types: 'answered outside protocol v1: field `' },
    ticketOf: (q) => (q.body as { ticket: number }).ticket,
  },
  metaapi: {
    account: 'GET /(account-information|server-time)',
    accountOrPositions: 'GET /(account-information|server-time|positions)',
    anyGet: 'GET /[\\w/-]+',
    detail: { ...COMMON_DETAIL, wrong_types: "answered outside MetaApi's format: field `" },
    ticketOf: (q) => {
      const b = q.body as { positionId?: string; orderId?: string };
      return Number(b.positionId ?? b.orderId);
    },
  },
};

const NO_ORDER_SENT = 'a read sends no order whose answer could be lost';
/** `<agent> … <endpoint>: <detail>` on one line (`agent_1: GET /account: …`, `agent_1 (GET /account: …)`). */
const named = (endpoint: string, detail: string) => (a: string) => new RegExp(`\\b${a}\\b[^\\n]*${endpoint}: ${detail}`);
const mt4 = (code: number) => (a: string) => new RegExp(`\\b${a}\\b[^\\n]*(error|MT4) ${code}\\b`);

const READS_ONLY = 'a read sends no POST /trade, and MT4 trade errors only answer one';
const NOTHING_TO_SPLIT = 'opens a position: there is no position to close in part';
const RATE_LIMITED = 'rate limited by MetaApi \\(429\\)';
const NOT_DEPLOYED = 'MetaApi account \\S+ is not found or not deployed';

/** A 429 was answered to the deciding request, then the same request went through once. */
const waitedOut = (c: Cell) => {
  const limited = c.ctl.requests().filter((q) => q.status === 429);
  expect(limited).toHaveLength(1);
  const later = c.ctl.requests().filter((q) => q.seq > limited[0]!.seq && q.path === limited[0]!.path && q.status === 200);
  expect(later.length).toBeGreaterThan(0);
  // Not before the time MetaApi recommended (a second later).
  expect(later[0]!.time - limited[0]!.time).toBeGreaterThanOrEqual(900);
};

/** The four read commands differ only in the endpoint that fails. */
function readRow(w: Wire, endpoint: string, check?: Expect['check'], online?: Expect['check']): Record<FaultName, Spec> {
  const cell = (f: DetailKey): Expect => ({ exit: 3, err: named(endpoint, w.detail[f]), ...(check ? { check } : {}) });
  return {
    down: cell('down'),
    slow: cell('slow'),
    http_401: cell('http_401'),
    http_500: cell('http_500'),
    bad_json: cell('bad_json'),
    wrong_types: cell('wrong_types'),
    drop: cell('drop'),
    lost_unreadable: { skip: NO_ORDER_SENT },
    busy_146: { skip: READS_ONLY },
    requote: { skip: READS_ONLY },
    partial: { skip: 'reads only: nothing is closed' },
    rate_limited: {
      exit: 0,
      check: async (c, r) => {
        waitedOut(c);
        await online?.(c, r);
      },
    },
    rate_limited_long: { exit: 3, err: named(endpoint, RATE_LIMITED), ...(check ? { check } : {}) },
    not_connected: { exit: 3, err: named(endpoint, NOT_DEPLOYED), ...(check ? { check } : {}) },
    unknown_executed: { skip: READS_ONLY },
    unknown_not_executed: { skip: READS_ONLY },
    disconnected: { skip: READS_ONLY },
  };
}

const controlOnline =
  (pick: (json: unknown) => unknown[], faulty: 'online' | 'offline' = 'offline') =>
  (c: Cell, r: RunResult) => {
    const rows = pick(JSON.parse(r.stdout)) as Array<{ agent_id: string; status?: string }>;
    expect(rows.find((x) => x.agent_id === CONTROL)?.status ?? 'online').toBe('online');
    expect(rows.find((x) => x.agent_id === c.agent)?.status ?? (faulty === 'offline' ? 'offline' : 'missing')).toBe(faulty);
  };

const reconciled = (c: Cell, r: RunResult) => {
  const out = JSON.parse(r.stdout);
  const row = c.command === 'signal' ? out.signals[0].agents.find((x: { agent_id: string }) => x.agent_id === c.agent) : out;
  expect(row).toMatchObject({ reconciled: true });
  expect(journalOf(c).some((j) => j.event === 'reconcile' && j.outcome === 'opened')).toBe(true);
};

/** Reconciled, and the read-back asked MetaApi to refresh the terminal's state first. */
const reconciledFresh = (c: Cell, r: RunResult) => {
  reconciled(c, r);
  const sent = c.ctl.requests().find((q) => q.path === '/trade')!;
  const lookups = c.ctl.requests().filter((q) => q.seq > sent.seq && q.path === '/positions');
  expect(lookups.length).toBeGreaterThan(0);
  expect(lookups.every((q) => q.query.refreshTerminalState === 'true')).toBe(true);
};

/** An order in flight that never opened: the marker stays and the next order is denied (ORDER_UNRESOLVED). */
const inFlightBlocks = async (c: Cell) => {
  expect(pendingMarkers(c)).toHaveLength(1);
  const next = await desk.run(['trade', c.agent, 'buy', c.symbol, '--dry-run']);
  expect(next.code).toBe(4);
  expect(next.stderr).toContain('ORDER_UNRESOLVED');
};

/** After an exit 6 the marker stays; the next order on the agent (here a dry run) resolves it first. */
const orphanReconciled = async (c: Cell) => {
  expect(pendingMarkers(c)).toHaveLength(1);
  const next = await desk.run(['trade', c.agent, 'buy', c.symbol, '--dry-run']);
  expect(next.stderr).toMatch(/from an interrupted run \(pid \d+\) was opened as ticket \d+/);
  expect(next.code).toBe(0);
  expect(pendingMarkers(c)).toEqual([]);
  expect(journalOf(c).filter((j) => j.event === 'reconcile' && j.orphan === true && j.outcome === 'opened')).toHaveLength(1);
  expect(trades(c).filter((q) => q.action === 'buy')).toHaveLength(1); // looked up, never sent again
};

/** One of the two POST /trade was refused with a 429 and never executed; the other executed once. */
const executedOnce = (c: Cell) => {
  const sent = trades(c).filter((q) => q.action === 'buy');
  expect(sent.map((q) => q.status)).toEqual([429, 200]);
  expect(sent.filter((q) => q.executedAt !== undefined)).toHaveLength(1);
};

const notSent = (c: Cell) => {
  expect(journalOf(c).find((j) => j.event === 'result')).toMatchObject({ outcome: 'not_sent' });
  expect(trades(c).filter((q) => q.executedAt !== undefined)).toHaveLength(0);
};

/** trade and signal: the same order path, so the same outcomes. */
function orderRow(w: Wire): Record<FaultName, Spec> {
  const sent = 'POST /trade \\(buy\\)';
  return {
    down: { exit: 3, err: named(w.anyGet, w.detail.down), sends: 0, opened: 0 },
    slow: { exit: 0, sends: 1, opened: 1, check: reconciled },
    http_401: { exit: 3, err: named(w.anyGet, w.detail.http_401), sends: 0, opened: 0 },
    // A 5xx may have executed: never resent, in flight (exit 6) until the terminal shows it or it is
    // proven never to open; the next order on the agent is denied meanwhile (inFlightBlocks).
    http_500: { exit: 6, err: named(sent, w.detail.http_500), sends: 1, opened: 0, check: inFlightBlocks },
    bad_json: { exit: 0, sends: 1, opened: 1, check: reconciled },
    wrong_types: { exit: 0, sends: 1, opened: 1, check: reconciled },
    drop: { exit: 0, sends: 1, opened: 1, check: reconciled },
    // Opened, but nothing can tell: exit 6, the pending marker stays, and the next order on the agent
    // looks it up first (checked by orphanReconciled).
    lost_unreadable: {
      exit: 6,
      err: (a) => new RegExp(`\\b${a}\\b[^\\n]*unknown[^\\n]*reading it back failed: ${a}: GET /positions: HTTP 500`),
      sends: 1,
      opened: 1,
      check: orphanReconciled,
    },
    busy_146: { exit: 5, err: mt4(146), sends: 'many', opened: 0 },
    requote: { exit: 0, sends: 3, opened: 1 },
    partial: { skip: NOTHING_TO_SPLIT },
    // The 429'd request was not executed: sent again once MetaApi allows, opened once.
    rate_limited: { exit: 0, sends: 2, opened: 1, check: executedOnce },
    rate_limited_long: { exit: 3, err: named(sent, RATE_LIMITED), sends: 1, opened: 0, check: notSent },
    not_connected: { exit: 3, err: named(sent, NOT_DEPLOYED), sends: 1, opened: 0, check: notSent },
    unknown_executed: { exit: 0, sends: 1, opened: 1, check: reconciledFresh },
    unknown_not_executed: {
      exit: 6,
      err: named(sent, 'MetaApi -7 ERR_TRADE_TIMED_OUT'),
      sends: 1,
      opened: 0,
      check: inFlightBlocks,
    },
    disconnected: { exit: 3, err: named(sent, 'MetaApi -10 TRADE_RETCODE_DISCONNECTED_BEFORE_TRADE'), sends: 1, opened: 0, check: notSent },
  };
}

const slSet = (c: Cell) => expect(c.ctl.positions().find((p) => p.ticket === c.tickets[0])?.sl).toBe(2640);

/** close-all and panic: flatten the agent, one ticket at a time, and verify. */
function flattenRow(
  w: Wire,
  unreachableExit: number,
  notFlatExit: (bridge: 'bridge' | 'mt4' | 'unknown') => number,
  extra: number,
): Record<FaultName, Spec> {
  const n = 2; // positions; `extra` pending orders are deleted too
  const list = 'GET /(positions|orders)';
  return {
    down: { exit: unreachableExit, err: named(list, w.detail.down), sends: 0, left: n + extra },
    slow: { exit: 0, sends: n, left: 0 },
    http_401: { exit: unreachableExit, err: named(list, w.detail.http_401), sends: 0, left: n + extra },
    http_500: { exit: notFlatExit('bridge'), err: named('POST /trade \\(close\\)', w.detail.http_500), sends: 'many', left: n },
    bad_json: { exit: 0, sends: n, left: 0 },
    wrong_types: { exit: 0, sends: n, left: 0 },
    drop: { exit: 0, sends: n, left: 0 },
    // Everything closes (the lost one answers 4108 when sent again), but no listing can verify it:
    // a 4108 is never taken on trust, so that close's outcome is unknown.
    lost_unreadable: {
      exit: notFlatExit('unknown'),
      err: (a) => new RegExp(`\\b${a}\\b[^\\n]*(not verified|could not be verified flat)[^\\n]*GET /positions: HTTP 500`),
      sends: n + 1,
      left: 0,
    },
    busy_146: { exit: notFlatExit('mt4'), err: mt4(146), sends: 'many', left: n },
    requote: { exit: 0, sends: n + 2, left: 0 },
    // The listed ticket answers "already closed" (4108); the next listing finds the remainder and closes it.
    partial: {
      exit: 0,
      sends: n + 1,
      left: 0,
      check: (c) => {
        const closes = trades(c)
          .filter((q) => q.action === 'close')
          .map((q) => w.ticketOf(q));
        expect(closes).toContain(c.remainder);
        expect(new Set(closes).size).toBe(closes.length); // no ticket asked twice
      },
    },
    rate_limited: { exit: 0, sends: n + 1, left: 0 },
    // The first close is refused with a 429 for a minute: nothing more is sent before the deadline.
    rate_limited_long: { exit: notFlatExit('bridge'), err: named('POST /trade \\(close\\)', RATE_LIMITED), sends: 1, left: n + extra },
    not_connected: { exit: notFlatExit('bridge'), err: named('POST /trade \\(close\\)', NOT_DEPLOYED), sends: 'many', left: n },
    unknown_executed: { exit: 0, sends: n, left: 0 },
    unknown_not_executed: { exit: 0, sends: n + 1, left: 0 },
    disconnected: { exit: 0, sends: n + 1, left: 0 },
  };
}

function matrix(w: Wire): Record<CommandName, Record<FaultName, Spec>> {
  return {
    status: readRow(
      w,
      w.account,
      controlOnline((j) => j as unknown[]),
      controlOnline((j) => j as unknown[], 'online'),
    ),
    summary: readRow(
      w,
      w.accountOrPositions,
      controlOnline((j) => (j as { agents: unknown[] }).agents),
      controlOnline((j) => (j as { agents: unknown[] }).agents, 'online'),
    ),
    account: readRow(w, w.account),
    positions: readRow(w, 'GET /positions', (c, r) => {
      const out = JSON.parse(r.stdout) as { offline: Array<{ agent_id: string }> };
      expect(out.offline.map((o) => o.agent_id)).toEqual([c.agent]);
    }),
    trade: orderRow(w),
    signal: orderRow(w),
    modify: {
      down: { exit: 3, err: named('GET /positions', w.detail.down), sends: 0, left: 1 },
      slow: { exit: 0, sends: 1, left: 1, check: slSet },
      http_401: { exit: 3, err: named(w.anyGet, w.detail.http_401), sends: 0, left: 1 },
      // Read back (the stop is not set), then sent again until the deadline: a modify is safe to repeat.
      http_500: { exit: 3, err: named('POST /trade \\(modify\\)', w.detail.http_500), sends: 'many', left: 1 },
      bad_json: { exit: 0, sends: 1, left: 1, check: slSet },
      wrong_types: { exit: 0, sends: 1, left: 1, check: slSet },
      drop: { exit: 0, sends: 1, left: 1, check: slSet },
      // The read-back fails, so the same change is sent again: MT4 answers 1 (nothing to change).
      lost_unreadable: { exit: 0, sends: 2, left: 1, check: slSet },
      busy_146: { exit: 5, err: mt4(146), sends: 'many', left: 1 },
      requote: { exit: 0, sends: 3, left: 1, check: slSet },
      // The ticket was split in the terminal after mt4gw read it: MT4 answers 4108 for it.
      partial: { exit: 5, err: (a) => new RegExp(`ticket \\d+ on ${a} was closed before the change reached it`), sends: 1, left: 1 },
      rate_limited: { exit: 0, sends: 2, left: 1, check: slSet },
      // Sent once and refused; the read-back before sending again waits for the same time: nothing more goes out.
      rate_limited_long: { exit: 3, err: named('(POST /trade \\(modify\\)|GET /positions)', RATE_LIMITED), sends: 1, left: 1 },
      not_connected: { exit: 3, err: named('POST /trade \\(modify\\)', NOT_DEPLOYED), sends: 'many', left: 1 },
      unknown_executed: { exit: 0, sends: 1, left: 1, check: slSet },
      unknown_not_executed: { exit: 0, sends: 2, left: 1, check: slSet },
      disconnected: { exit: 0, sends: 2, left: 1, check: slSet },
    },
    close: {
      down: { exit: 3, err: named('GET /positions', w.detail.down), sends: 0, left: 1 },
      slow: { exit: 0, sends: 1, left: 0 },
      http_401: { exit: 3, err: named(w.anyGet, w.detail.http_401), sends: 0, left: 1 },
      http_500: { exit: 3, err: named('POST /trade \\(close\\)', w.detail.http_500), sends: 'many', left: 1 },
      bad_json: { exit: 0, sends: 1, left: 0 },
      wrong_types: { exit: 0, sends: 1, left: 0 },
      drop: { exit: 0, sends: 1, left: 0 },
      // The read-back fails, so the close is sent again: MT4 answers 4108, which only a listing may
      // confirm — and none can be had: the outcome is unknown (exit 6), never "already closed".
      lost_unreadable: {
        exit: 6,
        err: (a) => new RegExp(`\\b${a}\\b[^\\n]*unknown[^\\n]*4108[^\\n]*listing it failed: GET /positions: HTTP 500`),
        sends: 2,
        left: 0,
      },
      busy_146: { exit: 5, err: mt4(146), sends: 'many', left: 1 },
      requote: { exit: 0, sends: 3, left: 0 },
      // close --lots 0.02 of 0.05, answer lost: read back, not sent again, and the remainder named.
      partial: {
        exit: 0,
        sends: 1,
        left: 1,
        check: (c, r) => {
          const rest = c.ctl.positions();
          expect(rest.map((p) => p.lots)).toEqual([0.03]);
          expect(r.stdout).toMatch(new RegExp(`closed 0.02 of ticket ${c.tickets[0]} .*the remainder is now ticket ${rest[0]!.ticket}`));
        },
      },
      rate_limited: { exit: 0, sends: 2, left: 0 },
      rate_limited_long: { exit: 3, err: named('POST /trade \\(close\\)', RATE_LIMITED), sends: 1, left: 1 },
      not_connected: { exit: 3, err: named('POST /trade \\(close\\)', NOT_DEPLOYED), sends: 'many', left: 1 },
      unknown_executed: { exit: 0, sends: 1, left: 0 },
      unknown_not_executed: { exit: 0, sends: 2, left: 0 },
      disconnected: { exit: 0, sends: 2, left: 0 },
    },
    'close-all': flattenRow(w, 3, (why) => (why === 'bridge' ? 3 : why === 'mt4' ? 5 : 6), 0),
    panic: flattenRow(w, 7, () => 7, 1),
  };
}

// ─── The desk: one paper agent per cell ──────────────────────────────────────────────────────────

const agentId = (command: CommandName, fault: FaultName) => `${command.replace('-', '_')}_${fault}`;

let desk: Desk;
let journalPath: string;

const trades = (c: Cell) => c.ctl.requests().filter((q) => q.path === '/trade');
function journalOf(c: Cell): Array<Record<string, unknown>> {
  if (!existsSync(journalPath)) return [];
  return readFileSync(journalPath, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"${c.agent}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((j) => j.agent === c.agent || (Array.isArray(j.scope) && j.scope.includes(c.agent)));
}
const pendingMarkers = (c: Cell) => {
  const dir = join(desk.dir, 'state', 'pending', c.agent);
  return existsSync(dir) ? readdirSync(dir) : [];
};

/** Waits for mt4gw's nth listing, then closes 0.01 of the first position in the terminal. */
async function partialCloseBehindTheBack(c: Cell, nth: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (c.ctl.requests().filter((q) => q.path === '/positions').length < nth) {
    if (Date.now() > deadline) throw new Error(`${c.agent}: no listing #${nth}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const r = c.ctl.engine.trade({ action: 'close', ticket: c.tickets[0]!, lots: 0.01 });
  expect(r.success, r.message).toBe(true);
  c.remainder = r.new_ticket!;
}

/** Once the command's first POST /trade has arrived, every listing of positions fails. */
async function readsFailAfterSend(c: Cell, action: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!c.ctl.requests().some((q) => q.path === '/trade' && q.action === action)) {
    if (Date.now() > deadline) throw new Error(`${c.agent}: no POST /trade (${action})`);
    await new Promise((r) => setTimeout(r, 5));
  }
  c.ctl.addFault({ kind: 'http_500', endpoint: '/positions' });
}

/** The journal of an order command is complete: every intent has its result, and no marker is left. */
function checkJournal(c: Cell, exit: number, sent: number): void {
  const j = journalOf(c);
  if (c.command === 'panic') {
    expect(j.find((x) => x.event === 'halt')).toMatchObject({ scope: [c.agent], via: 'panic' });
    expect(j.find((x) => x.event === 'panic' && x.step === 'agent_done')).toMatchObject({ verified_flat: exit === 0 });
    return;
  }
  const intents = j.filter((x) => x.event === 'intent');
  // Journaled before anything is sent (nothing is, when the reads before it already fail).
  if (sent > 0) expect(intents.length).toBeGreaterThan(0);
  for (const intent of intents) {
    const done = j.some((x) => x.event === 'result' && x.order_id === intent.order_id);
    if (exit === 6) expect(done || pendingMarkers(c).includes(`${String(intent.order_id)}.json`)).toBe(true);
    else expect(done, `intent ${String(intent.order_id)} has no result`).toBe(true);
  }
  if (exit !== 6) expect(pendingMarkers(c)).toEqual([]);
}

// Cells run a few at a time: each is mostly waiting (timeouts, retries, deadlines), but the machine
// has two cores and other test files run beside this one.
const MAX_RUNNING = 3;
let running = 0;
const queue: Array<() => void> = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

/** Runs every cell of the matrix against paper bridges of one transport. */
export function faultMatrix(transport: MatrixTransport): void {
  const w = WIRES[transport];
  const MATRIX = matrix(w);
  const specOf = (command: CommandName, fault: FaultName): Spec =>
    transport !== 'metaapi' && isMetaApiFault(fault) ? { skip: "MetaApi's own fault: the metaapi desk only" } : MATRIX[command][fault];
  const cells = COMMANDS.flatMap((command) =>
    FAULTS.map((fault) => ({ command, fault, spec: specOf(command, fault), agent: agentId(command, fault) })),
  );

  beforeAll(async () => {
    const agent = (id: string, fault?: FaultName): DeskAgent => ({
      id,
      name: id,
      pairs: ['XAUUSD'],
      balance: 1000,
      risk: 0.02,
      maxPositions: 5,
      lotSize: 0.01,
      ...(transport === 'metaapi' && fault !== undefined && FOUR_XX.has(fault)
        ? { sim: { metaapi: { trade_errors: '4xx' as const } } }
        : {}),
    });
    desk = await startDesk([agent(CONTROL), ...cells.filter((c) => !('skip' in c.spec)).map((c) => agent(c.agent, c.fault))], {
      transport,
    });
    journalPath = join(desk.dir, 'state', 'journal.jsonl');
    for (const a of desk.sim.agents) desk.sim.agent(a.id).setPrice('XAUUSD', 2650);
  }, 60_000);

  afterAll(async () => {
    // Every line of the journal every cell wrote is whole JSON.
    if (existsSync(journalPath)) {
      const text = readFileSync(journalPath, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    }
    await desk?.close();
  });

  describe.concurrent(`fault matrix over ${transport}`, () => {
    for (const { command, fault, spec, agent } of cells) {
      if ('skip' in spec) {
        it.skip(`${command} × ${fault}: n/a — ${spec.skip}`, () => undefined);
        continue;
      }
      it(`${command} × ${fault} → exit ${spec.exit}`, { timeout: 120_000 }, () =>
        slot(async () => {
          const cmd = COMMAND_DEFS[command];
          const ctl = desk.sim.agent(agent);
          const c: Cell = {
            command,
            fault,
            agent,
            ctl,
            symbol: 'XAUUSD',
            sl: Number((ctl.quote('XAUUSD')!.ask - 5).toFixed(2)),
            tickets: [],
            orders: [],
          };
          for (const lots of fault === 'partial' && command === 'close' ? [0.05] : (cmd.positions ?? [])) {
            const r = ctl.engine.trade({ action: 'buy', symbol: 'XAUUSD', lots });
            expect(r.success, r.message).toBe(true);
            c.tickets.push(r.ticket!);
          }
          for (let i = 0; i < (cmd.pendingOrders ?? 0); i++)
            c.orders.push(ctl.addPendingOrder({ symbol: 'XAUUSD', type: 'buy_limit', lots: 0.01, price: 2600 }));
          ctl.clearRequests();
          await INJECT[fault](c, cmd);

          const args = [...(fault === 'slow' ? ['--timeout', '2s'] : []), ...cmd.args(c)];
          const behind =
            fault === 'partial' && command !== 'close'
              ? partialCloseBehindTheBack(c, command === 'close-all' ? 2 : 1)
              : fault === 'lost_unreadable'
                ? readsFailAfterSend(c, cmd.action!)
                : undefined;
          const [r] = await Promise.all([desk.run(args, { timeoutMs: 60_000 }), behind]);
          ctl.clearFaults();
          if (ctl.isDown()) await ctl.goUp();

          const why = `mt4gw ${args.join(' ')}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
          expect(r.code, why).toBe(spec.exit);
          expect(r.stderr, why).not.toMatch(/^internal error:|\n\s+at /m);
          if (spec.err) expect(r.stderr, why).toMatch(spec.err(agent));
          if (cmd.kind === 'read') {
            expect(trades(c)).toHaveLength(0);
          } else {
            const sent = trades(c).filter((q) => q.action === cmd.action).length;
            const perTicket = Math.max(1, c.tickets.length);
            if (spec.sends === 'many') expect(sent, why).toBeGreaterThan(perTicket);
            else if (spec.sends !== undefined) expect(sent, why).toBe(spec.sends);
            // Nothing but what the command is for: no order opened by a close, nothing by a denial.
            const others = trades(c).filter((q) => q.action !== cmd.action && !(command === 'panic' && q.action === 'delete'));
            expect(others.map((q) => q.action)).toEqual([]);
            if (spec.opened !== undefined) expect(ctl.positions(), why).toHaveLength(spec.opened);
            if (spec.left !== undefined) expect(ctl.positions().length + ctl.orders().length, why).toBe(spec.left);
            checkJournal(c, spec.exit, trades(c).length);
          }
          await spec.check?.(c, r);
        }),
      );
    }
  });
}
