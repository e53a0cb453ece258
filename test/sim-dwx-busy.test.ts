// The DWX paper terminal with its trade context held, as the DWX server EA behaves: with busy
// policy 'reject' (another program holds the context) CheckOpsStatus aborts every command but
// HEARTBEAT with TRADE_CONTEXT_BUSY__ABORTED_COMMAND; with 'queue' (the EA's own thread is stuck)
// commands wait — in the socket, the EA being single-threaded — and run in the order sent. Raw
// ZeroMQ sockets on 127.0.0.1, ephemeral ports; every socket is closed after each test.
import type * as Zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { type BusyPolicy, type DwxAgentServer, startSim } from '../src/sim/index.js';
import { simPool, until } from './helpers/sim-http.js';

const pool = simPool();
const sockets: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function terminal(busyPolicy: BusyPolicy) {
  const zmq: typeof Zmq = await import('zeromq');
  const s = pool.track(await startSim({ transport: 'dwx', seed: 4, busyPolicy, agents: [{ id: 'd1', port: 0, initialBalance: 10_000 }] }));
  const ports = s.agents[0]!.dwx!;
  const a = s.agent('d1');
  a.setPrice('EURUSD', 1.08);
  const push = new zmq.Push({ linger: 0 });
  const pull = new zmq.Pull({ linger: 0, receiveTimeout: 5_000 });
  sockets.push(push, pull);
  push.connect(`tcp://127.0.0.1:${ports.push_port}`);
  pull.connect(`tcp://127.0.0.1:${ports.pull_port}`);
  const send = (command: string) => push.send(command);
  /** The next non-empty reply (the EA pushes an empty message after each one). */
  const reply = async (): Promise<string> => {
    for (;;) {
      const [m] = await pull.receive();
      const text = m!.toString('utf8');
      if (text !== '') return text;
    }
  };
  // Both directions connected before the test starts.
  await until(() => (a as DwxAgentServer).replyListeners() === 1, 'the client to connect');
  await send('HEARTBEAT;');
  expect(await reply()).toContain('loud and clear');
  a.clearRequests();
  return { s, a, send, reply, pull };
}

const open = (comment: string) => `TRADE;OPEN;0;EURUSD;0;0;0;${comment};0.1;0;0`;
const ABORTED = "{'_response': 'TRADE_CONTEXT_BUSY__ABORTED_COMMAND'}";

describe("DWX, busy policy 'reject': another program holds the trade context", () => {
  it('every command but HEARTBEAT is aborted before anything executes; released, trading goes on', async () => {
    const { a, send, reply } = await terminal('reject');
    a.holdTradeContext();
    await send(open('d1'));
    expect(await reply()).toBe(ABORTED);
    await send('TRADE;GET_ACCOUNT_INFO');
    expect(await reply()).toBe(ABORTED);
    await send('TRADE;GET_OPEN_TRADES');
    expect(await reply()).toBe(ABORTED);
    await send('HEARTBEAT;');
    expect(await reply()).toContain('loud and clear');
    expect(a.positions()).toEqual([]);
    const [o] = a.requests();
    expect(o).toMatchObject({ method: 'DWX', path: '/trade', action: 'buy', queued: false, status: 200, clientConnected: true });
    expect(o!.executedAt).toBeUndefined();
    a.releaseTradeContext();
    await send(open('d2'));
    expect(await reply()).toMatch(/'_action': 'EXECUTION'.*'_ticket': \d+/);
    expect(a.positions().map((p) => p.comment)).toEqual(['d2']);
  });

  it('the trade_context_busy fault holds it too', async () => {
    const { a, send, reply } = await terminal('reject');
    a.setFaults([{ kind: 'trade_context_busy', seconds: 30, count: 1, endpoint: '/trade' }]);
    await send(open('x'));
    expect(await reply()).toBe(ABORTED);
    expect(a.requests()[0]).toMatchObject({ fault: 'trade_context_busy' });
    expect(a.tradeContextStatus().held).toBe(true);
    expect(a.positions()).toEqual([]);
  });
});

describe("DWX, busy policy 'queue': the EA's thread is stuck", () => {
  it('commands wait and run in the order sent once it is free, replies in that order', async () => {
    const { a, send, reply } = await terminal('queue');
    a.holdTradeContext();
    await send(open('q1'));
    await send('TRADE;GET_ACCOUNT_INFO');
    await send(open('q2'));
    await until(() => a.requests()[0]?.queued === true, 'the EA to take the first command');
    expect(a.positions()).toEqual([]);
    a.releaseTradeContext();
    expect(await reply()).toMatch(/'_action': 'EXECUTION'/);
    expect(await reply()).toMatch(/'_action': 'GET_ACCOUNT_INFORMATION'/);
    expect(await reply()).toMatch(/'_action': 'EXECUTION'/);
    expect(a.positions().map((p) => p.comment)).toEqual(['q1', 'q2']);
    const log = a.requests();
    expect(log.map((r) => r.path)).toEqual(['/trade', '/account', '/trade']);
    expect(log.filter((r) => r.path === '/trade').map((r) => [r.executionSeq, r.outcome?.ticket])).toEqual(
      a.positions().map((p, i) => [i + 1, p.ticket]),
    );
    expect(log[1]!.answeredAt).toBeGreaterThanOrEqual(log[0]!.executedAt!);
  });

  it('what the EA has queued runs even when the client is gone; the log shows the replies went nowhere', async () => {
    const { a, send, pull } = await terminal('queue');
    a.holdTradeContext();
    for (const tag of ['g1', 'g2', 'g3']) await send(open(tag));
    await until(() => a.requests()[0]?.queued === true, 'the EA to take the first command');
    pull.close(); // the client gives up: nobody takes the replies any more
    await until(() => (a as DwxAgentServer).replyListeners() === 0, 'the EA to see the client go');
    a.releaseTradeContext();
    await until(() => a.requests().filter((r) => r.answeredAt !== undefined).length === 3, 'three commands handled', 10_000);
    expect(a.positions().map((p) => p.comment)).toEqual(['g1', 'g2', 'g3']);
    const log = a.requests();
    expect(log.map((r) => r.executionSeq)).toEqual([1, 2, 3]);
    expect(log.every((r) => r.clientConnected === false && r.status === undefined)).toBe(true);
  });
});
