// A bridge written by someone else is read back, not trusted: a 4108 to a close is checked by listing;
// every text it returns is scrubbed of the token; and a terminal serving another account than
// agents.yml names is refused before anything is sent to it.
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_AGENTS, type Desk, startDesk } from '../helpers/desk.js';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});
async function fresh(...args: Parameters<typeof startDesk>): Promise<Desk> {
  desk = await startDesk(...args);
  return desk;
}

const closes = (d: Desk) =>
  d.sim
    .agent('agent_1')
    .requests()
    .filter((q) => q.path === '/trade' && q.action === 'close');
const tradesOf = (d: Desk) =>
  d.sim
    .agent('agent_1')
    .requests()
    .filter((q) => q.path === '/trade');
function position(d: Desk, lots = 0.02): number {
  const r = d.sim.agent('agent_1').engine.trade({ action: 'buy', symbol: 'XAUUSD', lots });
  expect(r.success, r.message).toBe(true);
  return r.ticket!;
}

describe('4108 is checked by listing', () => {
  for (const lots of [undefined, '0.01']) {
    it(`close${lots ? ' --lots' : ''} answered 4108 while the ticket is still open: exit 5 with the code, never "already closed"`, async () => {
      const d = await fresh([DESIGN_AGENTS[0]!]);
      const t = position(d);
      d.sim.agent('agent_1').setFaults([{ kind: 'trade_error', code: 4108, action: 'close' }]);
      const r = await d.run(['close', 'agent_1', String(t), ...(lots ? ['--lots', lots] : []), '--json']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/4108/);
      expect(r.stderr).toMatch(/still listed: it was NOT closed/);
      expect(r.stdout + r.stderr).not.toMatch(/already closed/);
      expect(
        d.sim
          .agent('agent_1')
          .positions()
          .map((p) => p.ticket),
      ).toEqual([t]);
      expect(closes(d)).toHaveLength(1);
    });
  }
  it('a ticket that really is gone answers 4108 and is reported already closed after the listing confirms it', async () => {
    const d = await fresh([DESIGN_AGENTS[0]!]);
    const t = position(d);
    // Closed in the terminal between mt4gw's listing and its request.
    const a1 = d.sim.agent('agent_1');
    a1.setFaults([{ kind: 'latency', ms: 300, endpoint: '/positions', count: 1 }]);
    const run = d.run(['close', 'agent_1', String(t), '--json']);
    await new Promise((res) => setTimeout(res, 100));
    a1.engine.trade({ action: 'close', ticket: t });
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'already_closed' });
  });
});

describe('a bridge that echoes the token', () => {
  it('is scrubbed everywhere: stdout, stderr, --json and the journal, for trades that succeed and fail', async () => {
    const d = await fresh([DESIGN_AGENTS[0]!]);
    const token = d.tokens.agent_1!;
    const a1 = d.sim.agent('agent_1');
    a1.setFaults([{ kind: 'echo_token' }]);
    const ok = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes', '--json', '-v']);
    expect(ok.code, ok.stderr).toBe(0);
    a1.setFaults([{ kind: 'echo_token' }, { kind: 'trade_error', code: 134, action: 'close' }]);
    const t = a1.positions()[0]!.ticket;
    const bad = await d.run(['close', 'agent_1', String(t), '--json', '-v']);
    expect(bad.code).toBe(5);
    const status = await d.run(['status', '--json', '-v']);
    // The bridge did echo it: the sim's own log shows the token came back in its answers.
    expect(tradesOf(d).length).toBeGreaterThan(0);
    for (const r of [ok, bad, status]) {
      expect(r.stdout).not.toContain(token);
      expect(r.stderr).not.toContain(token);
    }
    const journal = JSON.stringify(await d.journal());
    expect(journal).not.toContain(token);
    expect(journal).toContain('[redacted]');
  });
});

describe('the right terminal', () => {
  const wrong = { ...DESIGN_AGENTS[0]!, mt4Extra: ['account: "99999"'] };
  it('status and summary show the mismatch (both logins) and exit 3', async () => {
    const d = await fresh([wrong]);
    const status = await d.run(['status', '--json']);
    expect(status.code).toBe(3);
    const row = JSON.parse(status.stdout)[0];
    expect(row).toMatchObject({ agent_id: 'agent_1', status: 'offline' });
    expect(row.error).toMatch(/login 22437, but agents.yml says mt4.account 99999/);
    const summary = await d.run(['summary']);
    expect(summary.code).toBe(3);
    expect(summary.stderr).toMatch(/wrong terminal: the terminal reports login 22437, but agents\.yml says mt4\.account 99999/);
  });
  it('an order, a dry run, a close and panic send nothing to it: orders exit 2, naming both logins', async () => {
    const d = await fresh([wrong]);
    const t = position(d);
    const dry = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--dry-run']);
    expect(dry.code).toBe(2);
    expect(dry.stderr).toMatch(/login 22437, but agents.yml says mt4.account 99999/);
    const trade = await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
    expect(trade.code).toBe(2);
    const close = await d.run(['close', 'agent_1', String(t)]);
    expect(close.code).toBe(2);
    const panic = await d.run(['panic', '--yes']);
    expect(panic.code).toBe(7);
    expect(panic.stderr).toMatch(/wrong terminal/);
    expect(tradesOf(d)).toHaveLength(0);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
  });
  it('the server is compared too, without regard to case', async () => {
    const d = await fresh([{ ...DESIGN_AGENTS[0]!, mt4Extra: ['account: "22437"', 'server: "MT4GW-PAPER"'] }]);
    expect((await d.run(['status'])).code).toBe(0);
    await d.close();
    const e = await fresh([{ ...DESIGN_AGENTS[0]!, mt4Extra: ['server: "Other-Live03"'] }]);
    const r = await e.run(['status', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)[0].error).toMatch(/server "mt4gw-Paper", but agents.yml says mt4.server "Other-Live03"/);
  });
});
