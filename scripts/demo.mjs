// npm run demo: paper bridges for the agents in agents.yml, a short walk-through of the real
// binary against them, then the bridges are stopped. No MT4 terminal and no network needed.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'mt4gw.js');
const stateDir = mkdtempSync(join(tmpdir(), 'mt4gw-demo-'));
const env = {
  ...process.env,
  MT4GW_CONFIG: join(root, 'agents.yml'),
  MT4GW_STATE_DIR: stateDir,
  // Paper tokens for this run only; mt4gw never prints them.
  MT4GW_AGENT1_TOKEN: randomBytes(12).toString('hex'),
  MT4GW_AGENT2_TOKEN: randomBytes(12).toString('hex'),
  MT4GW_AGENT3_TOKEN: randomBytes(12).toString('hex'),
};
if (process.stdout.isTTY && !process.env.NO_COLOR) env.FORCE_COLOR = '1';

const bold = (s) => (env.FORCE_COLOR ? `\x1b[1m${s}\x1b[22m` : s);

function startSim() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'sim', '--seed', '7'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the paper bridges did not start within 10 s:\n${err}`));
    }, 10_000);
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
      if (/^ready\b/m.test(err)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the paper bridges exited (code ${code}):\n${err}`));
    });
  });
}

/** Runs one step of the walk-through and shows it as a person would type it. */
function step(title, args, { expect = [0], capture = false } = {}) {
  process.stdout.write(`\n${bold(`# ${title}`)}\n$ mt4gw ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], {
    env,
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    timeout: 60_000,
    encoding: 'utf8',
  });
  if (capture) process.stdout.write(r.stdout);
  if (!expect.includes(r.status)) {
    throw new Error(`"mt4gw ${args.join(' ')}" exited ${r.status}, expected ${expect.join(' or ')}`);
  }
  if (r.status !== 0) process.stdout.write(`(exit code ${r.status}, as expected)\n`);
  return r.stdout;
}

let sim;
let failed = false;
try {
  process.stdout.write(bold('Starting paper bridges for agents.yml (agent_1..agent_3 on 127.0.0.1:8081-8083)...\n'));
  sim = await startSim();
  step('Is every terminal online?', ['status']);
  step('The desk at a glance', ['summary']);
  step("Atlas's account", ['account', 'agent_1']);
  step('A quote', ['tick', 'agent_1', 'XAUUSD']);
  const quote = JSON.parse(step('A quote, as JSON for scripts', ['tick', 'agent_1', 'XAUUSD', '--json'], { capture: true }));
  const sl = (quote.bid - 1.5).toFixed(2);
  step('Atlas buys 0.01 XAUUSD: every risk check first, then one order', [
    'trade',
    'agent_1',
    'buy',
    'XAUUSD',
    '0.01',
    '--sl',
    sl,
    '--yes',
  ]);
  step('A second one is denied: Atlas allows one position', ['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--sl', sl, '--yes'], {
    expect: [4],
  });
  step('Nova sizes an order from 1% of its balance and the stop', [
    'trade',
    'agent_3',
    'sell',
    'EURUSD',
    '--risk',
    '1%',
    '--sl',
    (JSON.parse(step('EURUSD on Nova', ['tick', 'agent_3', 'EURUSD', '--json'], { capture: true })).ask + 0.002).toFixed(5),
    '--yes',
  ]);
  const positions = JSON.parse(step('Open positions', ['positions', '--json'], { capture: true })).positions;
  step("Close Atlas's position", ['close', 'agent_1', String(positions.find((p) => p.agent_id === 'agent_1').ticket)]);
  step('The order journal', ['journal', '--limit', '6']);
  step('For cron jobs: machine-readable', ['summary', '--format', 'prometheus']);
  step('EMERGENCY: halt everything, close everything, verify', ['panic', '--yes']);
  step('After panic, nothing new opens', ['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--sl', sl, '--yes'], { expect: [4] });
  step('Someone decides it is safe again', ['resume', '--yes']);
  step('The desk at the end', ['summary']);
} catch (e) {
  failed = true;
  process.stderr.write(`demo failed: ${e.message}\n`);
} finally {
  sim?.kill('SIGTERM');
  rmSync(stateDir, { recursive: true, force: true });
}
process.stdout.write(failed ? '' : `\n${bold('Paper bridges stopped. That was the whole desk, with no MT4 terminal.')}\n`);
process.exitCode = failed ? 1 : 0;
