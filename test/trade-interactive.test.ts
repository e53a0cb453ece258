// `mt4gw trade` with missing arguments: on a terminal it asks (driven here in a pseudo-terminal,
// keys sent and the screen read back), with the validators of the flag form, then shows the same
// preview and confirmation; without a terminal a missing argument is an error naming it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDesk, type Desk } from './helpers/desk.js';
import { ptySkipReason, runInPty, type PtyRun } from './helpers/pty.js';

const ENTER = '\r';
const DOWN = '\x1b[B';
const BACKSPACE = '\x7f';

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk();
});
afterAll(async () => {
  await desk?.close();
});

const trades = (agent: string) =>
  desk.sim
    .agent(agent)
    .requests()
    .filter((r) => r.path === '/trade');

function journalEvents(): { event: string; agent?: string }[] {
  const file = path.join(desk.env.MT4GW_STATE_DIR!, 'journal.jsonl');
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
}

describe('without a terminal', () => {
  it('missing <agent> <side> <symbol> is an error naming exactly what is missing; nothing is read or sent', async () => {
    for (const a of desk.sim.agents) desk.sim.agent(a.id).clearRequests();
    const none = await desk.run(['trade']);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^error: missing <agent> <side> <symbol>: not on a terminal, so nothing can be asked; nothing was sent$/m);
    expect(none.stderr).toMatch(/hint: Give them on the command line: mt4gw trade <agent> <buy\|sell> <symbol> \[lots\]/);
    const some = await desk.run(['trade', 'agent_1', 'buy', '--yes']);
    expect(some.code).toBe(2);
    expect(some.stderr).toMatch(/^error: missing <symbol>: /m);
    for (const a of desk.sim.agents) expect(desk.sim.agent(a.id).requests()).toHaveLength(0);
  });

  it('the flag form is unchanged: a bad value is refused with the message the prompt also shows', async () => {
    const r = await desk.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0,01', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: lots "0,01" uses a comma');
    expect(r.stderr).toContain('hint: Write decimals with a dot: 0.01.');
  });
});

const noPty = ptySkipReason();

describe.skipIf(noPty !== undefined)(`on a terminal${noPty ? ` (skipped: ${noPty})` : ''}`, () => {
  let run: PtyRun | undefined;
  afterEach(() => run?.kill());
  const start = (args: string[]) =>
    runInPty(['--config', desk.configPath, ...args], { env: { ...desk.env, TERM: 'xterm-256color' }, cwd: desk.dir, cols: 140, rows: 60 });

  it('asks for agent, side, symbol, lots, stops; validates like the flags; then the same preview and confirmation', async () => {
    desk.sim.agent('agent_1').clearRequests();
    run = start(['trade']);
    await run.waitFor(/Agent[\s\S]*agent_1 {2}Atlas[\s\S]*agent_2 {2}Orion[\s\S]*agent_3 {2}Nova/);
    run.write(ENTER);
    await run.waitFor(/Side[\s\S]*buy[\s\S]*sell/);
    run.write(ENTER);
    await run.waitFor(/Symbol[\s\S]*XAUUSD[\s\S]*another symbol/);
    run.write(ENTER);
    await run.waitFor(/Size[\s\S]*lots \(default 0\.01\)/);
    run.write(ENTER);
    await run.waitFor(/Lots/);
    // The flag form's validator, word for word.
    run.write(`0,01${ENTER}`);
    await run.waitFor('lots "0,01" uses a comma — Write decimals with a dot: 0.01.');
    run.write(`${BACKSPACE.repeat(4)}${ENTER}`);
    await run.waitFor(/Stop loss \(bid \d+\.\d+, ask \d+\.\d+\), empty for none/);
    run.write(ENTER);
    await run.waitFor(/Take profit \(bid/);
    run.write(ENTER);
    await run.waitFor(/as a command: mt4gw trade agent_1 buy XAUUSD 0\.01$/m);
    // The same preview as the flag form, then its confirmation.
    await run.waitFor(/agent_1 \(Atlas\): BUY 0\.01 XAUUSD[\s\S]*Send BUY 0\.01 XAUUSD on agent_1\?/);
    expect(trades('agent_1')).toHaveLength(0);
    run.write(`y${ENTER}`);
    await run.waitFor(/opened ticket \d+: BUY 0\.01 XAUUSD at [\d.]+ on agent_1/);
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(desk.sim.agent('agent_1').positions()).toEqual([expect.objectContaining({ symbol: 'XAUUSD', lots: 0.01, type: 'buy', sl: 0 })]);
    expect(
      journalEvents()
        .filter((e) => e.agent === 'agent_1')
        .map((e) => e.event),
    ).toEqual(expect.arrayContaining(['intent', 'request', 'response', 'result']));
  });

  it("offers the agent's own pairs; sizing by risk makes the stop loss required; answering no sends nothing", async () => {
    const a2 = desk.sim.agent('agent_2');
    a2.clearRequests();
    run = start(['trade', 'agent_2']);
    await run.waitFor(/Side/);
    run.write(`${DOWN}${ENTER}`);
    await run.waitFor(/Symbol[\s\S]*EURUSD[\s\S]*GBPUSD[\s\S]*another symbol/);
    expect(run.screen.text()).not.toContain('XAUUSD');
    run.write(`${DOWN}${ENTER}`);
    await run.waitFor(/Size/);
    run.write(`${DOWN}${ENTER}`);
    await run.waitFor(/Risk, % of the balance/);
    run.write(ENTER); // the agent's max_risk_per_trade, 1.5%
    await run.waitFor(/Stop loss \(bid [\d.]+, ask [\d.]+\)/);
    expect(run.screen.text()).not.toMatch(/Stop loss.*empty for none/);
    run.write(ENTER);
    await run.waitFor('a stop loss is needed to size by risk');
    const sl = (a2.quote('GBPUSD')!.ask + 0.005).toFixed(5);
    run.write(`${sl}${ENTER}`);
    await run.waitFor(/Take profit/);
    run.write(ENTER);
    await run.waitFor(new RegExp(`as a command: mt4gw trade agent_2 sell GBPUSD --risk 1\\.5% --sl ${sl.replace('.', '\\.')}`));
    await run.waitFor(/agent_2 \(Orion\): SELL [\d.]+ GBPUSD[\s\S]*Send SELL [\d.]+ GBPUSD on agent_2\?/);
    run.write(`n${ENTER}`);
    const done = await run.done;
    expect(done.code).toBe(2);
    expect(run.screen.text()).toContain('cancelled: nothing was sent');
    expect(trades('agent_2')).toHaveLength(0);
  });

  it('Ctrl-C at a prompt cancels (exit 2, nothing sent) and gives the cursor back', async () => {
    desk.sim.agent('agent_3').clearRequests();
    run = start(['trade', 'agent_3', 'buy']);
    await run.waitFor(/Symbol[\s\S]*USDJPY/);
    run.write('\x03');
    const done = await run.done;
    expect(done.code).toBe(2);
    expect(run.screen.text()).toContain('cancelled: nothing was sent');
    expect(trades('agent_3')).toHaveLength(0);
    const raw = run.raw();
    expect(raw.lastIndexOf('\x1b[?25h')).toBeGreaterThan(raw.lastIndexOf('\x1b[?25l'));
  });
});
