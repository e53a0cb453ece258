// A state directory that cannot be written — a path through a regular file (ENOTDIR), or a full disk
// (ENOSPC, a tiny tmpfs where mounting one is allowed). What reduces exposure still works: panic
// closes everything, says loudly that the halt is NOT recorded and exits 7; close and close-all close
// and report the journal failure. What adds exposure refuses: no opening order is sent without its
// intent on disk. Nothing is left behind.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Desk, startDesk } from '../helpers/desk.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});
async function fresh(...args: Parameters<typeof startDesk>): Promise<Desk> {
  desk = await startDesk(...args);
  return desk;
}

const trades = (d: Desk, id: string, action: string) =>
  d.sim
    .agent(id)
    .requests()
    .filter((q) => q.path === '/trade' && q.action === action);
function open(d: Desk, id: string, lots = 0.01): number {
  const r = d.sim.agent(id).engine.trade({ action: 'buy', symbol: id === 'agent_2' ? 'EURUSD' : 'XAUUSD', lots });
  expect(r.success, r.message).toBe(true);
  return r.ticket!;
}

/** A state directory below a regular file: every write fails (ENOTDIR), as root too. */
function brokenStateDir(d: Desk): string {
  const file = join(d.dir, 'not-a-directory');
  writeFileSync(file, 'x');
  return join(file, 'state');
}

describe('a state directory that cannot be written (ENOTDIR)', () => {
  it('panic still closes everything on every agent, says the halt is NOT recorded, and exits 7', async () => {
    const d = await fresh();
    const tickets = [open(d, 'agent_1'), open(d, 'agent_2'), open(d, 'agent_3')];
    const env = { ...d.env, MT4GW_STATE_DIR: brokenStateDir(d) };
    const r = await d.run(['panic', '--yes', '--json'], { env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/THE HALT IS NOT RECORDED/);
    expect(r.stderr).toMatch(/the journal is NOT being written/);
    for (const id of ['agent_1', 'agent_2', 'agent_3']) expect(d.sim.agent(id).positions()).toHaveLength(0);
    const report = JSON.parse(r.stdout);
    expect(report.halted).toMatchObject({ persisted: false });
    expect(report.agents.flatMap((a: { closed: Array<{ ticket: number }> }) => a.closed.map((c) => c.ticket)).sort()).toEqual(
      tickets.sort(),
    );
  }, 60_000);

  it('close and close-all close, and say the journal could not be written', async () => {
    const d = await fresh();
    const t = open(d, 'agent_1');
    const env = { ...d.env, MT4GW_STATE_DIR: brokenStateDir(d) };
    const close = await d.run(['close', 'agent_1', String(t)], { env });
    expect(close.code, close.stderr).toBe(0);
    expect(close.stderr).toMatch(/journal could not be written/);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(0);
    open(d, 'agent_3');
    open(d, 'agent_3');
    const all = await d.run(['close-all', 'agent_3', '--yes'], { env });
    expect(all.code, all.stderr).toBe(0);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(0);
    expect(all.stderr).toMatch(/journal could not be written/);
  }, 60_000);

  it('an opening order is refused, exit 3, with nothing sent: its intent cannot be made durable', async () => {
    const d = await fresh();
    const env = { ...d.env, MT4GW_STATE_DIR: brokenStateDir(d) };
    const r = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'], { env });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/desk state .* could not be/);
    expect(trades(d, 'agent_1', 'buy')).toHaveLength(0);
  });
});

// A full disk, for real: a 256 KiB tmpfs, filled. Mounting needs root (CI runs as root).
const tmpfs = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'mt4gw-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
})();
afterAll(() => {
  if (!tmpfs) return;
  execFileSync('umount', [tmpfs], { stdio: 'ignore' });
  rmSync(tmpfs, { recursive: true, force: true });
});

describe.skipIf(tmpfs === undefined)('a full disk (ENOSPC; skipped where tmpfs cannot be mounted: not root)', () => {
  it('panic closes everything and exits 7; no temporary file is left in the state directory', async () => {
    const d = await fresh();
    open(d, 'agent_1');
    const state = join(tmpfs!, 'state');
    mkdirSync(state);
    // Fill the disk to the last block.
    try {
      for (let i = 0; ; i++) writeFileSync(join(tmpfs!, `fill-${i}`), Buffer.alloc(4096));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const r = await d.run(['panic', '--yes'], { env: { ...d.env, MT4GW_STATE_DIR: state }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/THE HALT IS NOT RECORDED: .*ENOSPC/);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(0);
    expect(
      readdirSync(state, { recursive: true })
        .map(String)
        .filter((f) => f.includes('.tmp')),
    ).toEqual([]);
  }, 60_000);
});
