// Ctrl-C while an order is in flight: the first one lets it finish and be journaled, the second
// exits at once (130) leaving the pending marker that the next run reconciles; close-all stops
// after the ticket in flight. The e2e cases signal the real binary while the paper bridge holds
// the trade (tradeLatencyMs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { installExitHooks } from '../src/cli.js';
import { armCritical, criticalSection, inCriticalSection, interruptRequested, onInterrupt, resetInterrupt } from '../src/interrupt.js';
import { BIN } from './helpers/cli.js';
import { startDesk, type Desk } from './helpers/desk.js';
import { ptySkipReason, runInPty } from './helpers/pty.js';

describe('criticalSection', () => {
  // The exit the binary installs (src/cli.ts main): interrupt.ts itself never exits.
  beforeAll(installExitHooks);
  afterEach(() => {
    resetInterrupt();
    vi.restoreAllMocks();
  });

  /** Our SIGINT handler, found as the listener the section added (never process.emit: the test runner listens too). */
  function ourHandler(before: Array<(...args: never[]) => unknown>): (signal: NodeJS.Signals) => void {
    const added = process.listeners('SIGINT').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    return added[0] as (signal: NodeJS.Signals) => void;
  }

  it('outside a section nothing is installed; inside, the first Ctrl-C lets the work finish, the second exits 130', async () => {
    const before = process.listeners('SIGINT');
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const phases: string[] = [];
    const off = onInterrupt((p) => phases.push(p));
    let release!: () => void;
    const work = criticalSection({ what: 'the order' }, () => new Promise<string>((r) => (release = () => r('done'))));
    expect(inCriticalSection()).toBe(true);
    const handler = ourHandler(before);
    handler('SIGINT');
    expect(interruptRequested()).toBe(true);
    expect(exit).not.toHaveBeenCalled();
    expect(String(err.mock.calls.at(-1)?.[0])).toContain(
      'finishing the order in flight (Ctrl-C again to abort now — it will be reconciled on the next run)',
    );
    handler('SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
    expect(phases).toEqual(['finishing', 'abort']);
    release();
    await expect(work).resolves.toBe('done');
    expect(inCriticalSection()).toBe(false);
    expect(process.listeners('SIGINT')).toEqual(before);
    off();
  });

  it('an unarmed section (nothing sent yet) exits at once; armCritical arms it', async () => {
    const before = process.listeners('SIGINT');
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let step!: () => void;
    const work = criticalSection({ what: 'the order', armed: false }, async () => {
      await new Promise<void>((r) => (step = r));
    });
    ourHandler(before)('SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
    expect(interruptRequested()).toBe(false);
    exit.mockClear();
    armCritical();
    ourHandler(before)('SIGINT');
    expect(exit).not.toHaveBeenCalled();
    expect(interruptRequested()).toBe(true);
    step();
    await work;
  });

  it('sections nest: the handler stays until the outermost ends, and a thrown error still removes it', async () => {
    const before = process.listeners('SIGINT');
    await criticalSection({ what: 'a' }, async () => {
      await criticalSection({ what: 'b' }, async () => undefined);
      expect(process.listeners('SIGINT').length).toBe(before.length + 1);
    });
    await expect(criticalSection({ what: 'c' }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(process.listeners('SIGINT')).toEqual(before);
  });
});

// ───────────────────────────── end to end ─────────────────────────────

const TRADE_LATENCY_MS = 1500;
let desk: Desk;

beforeAll(async () => {
  desk = await startDesk(undefined, { tradeLatencyMs: TRADE_LATENCY_MS, busyPolicy: 'queue' });
});
afterAll(async () => {
  await desk?.close();
});

interface Journaled {
  event: string;
  order_id?: string;
  agent?: string;
  outcome?: string;
  orphan?: boolean;
  [k: string]: unknown;
}

function journal(): Journaled[] {
  const file = path.join(desk.env.MT4GW_STATE_DIR!, 'journal.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Journaled);
}

function pendingMarkers(agent: string): string[] {
  const d = path.join(desk.env.MT4GW_STATE_DIR!, 'pending', agent);
  return fs.existsSync(d) ? fs.readdirSync(d) : [];
}

/** The binary against the desk, as a child we can signal. */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, '--config', desk.configPath, ...args], {
    env: desk.env,
    cwd: desk.dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end();
  const started = Date.now();
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    }),
  );
  return { child, done, stderr: () => stderr };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A trade request the bridge received and has not answered yet. */
const tradeInFlight = (agent: string, action: string) => () =>
  desk.sim
    .agent(agent)
    .requests()
    .some((r) => r.path === '/trade' && r.action === action && r.status === undefined);

describe('Ctrl-C during an order (e2e)', () => {
  it('the first Ctrl-C lets the order finish: opened, fully journaled, no pending marker, exit 0', async () => {
    desk.sim.agent('agent_1').clearRequests();
    const run = start(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
    await until('the trade to reach the bridge', tradeInFlight('agent_1', 'buy'));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.stderr).toContain('finishing the order in flight (Ctrl-C again to abort now — it will be reconciled on the next run)');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^opened ticket \d+: BUY 0\.01 XAUUSD/);
    const id = /\(order (\w+)/.exec(r.stdout)![1];
    const events = journal()
      .filter((j) => j.order_id === id)
      .map((j) => j.event);
    expect(events).toEqual(['intent', 'request', 'response', 'result']);
    expect(pendingMarkers('agent_1')).toEqual([]);
    expect(desk.sim.agent('agent_1').positions()).toHaveLength(1);
    desk.sim.agent('agent_1').engine.trade({ action: 'close', ticket: desk.sim.agent('agent_1').positions()[0]!.ticket });
  });

  it('a second Ctrl-C exits 130 at once, leaving intent + request journaled and the pending marker; the next run reconciles it', async () => {
    desk.sim.agent('agent_3').clearRequests();
    const run = start(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--yes']);
    await until('the trade to reach the bridge', tradeInFlight('agent_3', 'buy'));
    run.child.kill('SIGINT');
    await until('the first Ctrl-C to be taken', () => run.stderr().includes('finishing the order in flight'), 2000);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(TRADE_LATENCY_MS + 1500);
    expect(r.stderr).toContain('finishing the order in flight');
    expect(r.stderr).toMatch(/aborted with the order in flight; its pending marker stays/);
    expect(r.stdout).toBe('');
    const markers = pendingMarkers('agent_3');
    expect(markers).toHaveLength(1);
    const id = markers[0]!.replace(/\.json$/, '');
    expect(
      journal()
        .filter((j) => j.order_id === id)
        .map((j) => j.event),
    ).toEqual(['intent', 'request']);

    // The bridge executes it anyway (the terminal had it); the next order on agent_3 looks it up first.
    await until('the paper terminal to execute it', () => desk.sim.agent('agent_3').positions().length === 1, TRADE_LATENCY_MS + 3000);
    const next = start(['trade', 'agent_3', 'buy', 'EURUSD', '0.05', '--dry-run']);
    const n = await next.done;
    expect(n.stderr).toMatch(new RegExp(`order ${id} from an interrupted run \\(pid \\d+\\) was opened as ticket \\d+; journaled`));
    expect(pendingMarkers('agent_3')).toEqual([]);
    const results = journal().filter((j) => j.order_id === id && j.event === 'result');
    expect(results).toEqual([expect.objectContaining({ outcome: 'opened', orphan: true })]);
    for (const p of desk.sim.agent('agent_3').positions()) desk.sim.agent('agent_3').engine.trade({ action: 'close', ticket: p.ticket });
  });

  it('close-all stops after the ticket in flight: that one closed and journaled, the rest left open, exit non-zero', async () => {
    const a3 = desk.sim.agent('agent_3');
    for (let i = 0; i < 3; i++) a3.engine.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01 });
    expect(a3.positions()).toHaveLength(3);
    a3.clearRequests();
    const run = start(['close-all', 'agent_3', '--yes']);
    await until('the first close to reach the bridge', tradeInFlight('agent_3', 'close'));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.stderr).toMatch(/finishing the close of ticket \d+ in flight/);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(130);
    expect(r.stderr + r.stdout).toMatch(/interrupted \(Ctrl-C\)/);
    expect(a3.positions()).toHaveLength(2);
    expect(a3.requests().filter((q) => q.action === 'close')).toHaveLength(1);
    const responses = journal().filter((j) => j.event === 'response' && j.agent === 'agent_3' && typeof j.ticket === 'number');
    expect(responses.at(-1)).toMatchObject({ success: true });
    for (const p of a3.positions()) a3.engine.trade({ action: 'close', ticket: p.ticket });
  });

  it('outside a critical section Ctrl-C ends the process at once, as usual', async () => {
    const a2 = desk.sim.agent('agent_2');
    a2.setFaults([{ kind: 'hang', endpoint: '/account' }]);
    try {
      // A read waiting on a hung terminal (timeout 2 s): nothing is in flight that must finish.
      const run = start(['status', 'agent_2']);
      await until('the read to reach the bridge', () => a2.requests().some((q) => q.path === '/account' && q.status === undefined));
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.signal).toBe('SIGINT');
      expect(r.ms).toBeLessThan(1500);
      expect(r.stderr).not.toContain('finishing');
    } finally {
      a2.clearFaults();
    }
  });
});

const noPty = ptySkipReason();

describe.skipIf(noPty !== undefined)(`panic on a terminal, interrupted${noPty ? ` (skipped: ${noPty})` : ''}`, () => {
  afterAll(async () => {
    await desk.run(['resume', '--reason', 'test over']);
  });

  it('Ctrl-C during panic: the spinner is cleared, the closes in flight finish, nothing more is sent, the cursor comes back', async () => {
    const a3 = desk.sim.agent('agent_3');
    for (let i = 0; i < 2; i++) a3.engine.trade({ action: 'buy', symbol: 'EURUSD', lots: 0.01 });
    a3.clearRequests();
    // Without CI in the environment, so that ora animates its spinner (it stays still under CI).
    const { CI: _ci, ...env } = desk.env;
    const run = runInPty(['--config', desk.configPath, 'panic', '--yes'], { env: { ...env, TERM: 'xterm-256color' }, cwd: desk.dir });
    try {
      await until('a close to reach the bridge', tradeInFlight('agent_3', 'close'));
      // Ctrl-C typed at the terminal while the spinner runs (ora must not swallow it).
      run.write('\x03');
      const done = await run.done;
      const raw = run.raw();
      expect(raw).toMatch(/finishing the close of ticket \d+ in flight \(Ctrl-C again to abort now/);
      expect(done.code).toBe(7);
      expect(a3.requests().filter((q) => q.action === 'close')).toHaveLength(1);
      expect(a3.positions()).toHaveLength(1);
      expect(run.screen.text()).toMatch(/panic incomplete/);
      expect(run.screen.text()).toMatch(/interrupted \(Ctrl-C\)/);
      // The spinner ran, and was cleared before the message.
      expect(raw).toMatch(/agent_\d: listing…|agent_\d: \d+ closed/);
      expect(raw.lastIndexOf('\x1b[?25h')).toBeGreaterThan(raw.lastIndexOf('\x1b[?25l'));
    } finally {
      run.kill();
      for (const p of a3.positions()) a3.engine.trade({ action: 'close', ticket: p.ticket });
    }
  });
});
