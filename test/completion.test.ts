// Shell completion: the candidates (from the command tree and the config), the scripts, and bash
// actually completing a command line with the script sourced.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { complete, FILES } from '../src/commands/complete.js';
import { BIN, baseEnv, runCli } from './helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mt4gw-completion-'));
const CONFIG = path.join(tmp, 'agents.yml');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  const agent = (id: string, port: number, pairs: string, allowed?: string) =>
    [
      `  ${id}:`,
      `    mt4: {host: 127.0.0.1, port: ${port}}`,
      `    strategy: {pairs: [${pairs}]}`,
      `    risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1${allowed ? `, allowed_pairs: [${allowed}]` : ''}}`,
    ].join('\n');
  fs.writeFileSync(
    CONFIG,
    `${[
      'agents:',
      agent('agent_1', 18081, 'XAUUSD'),
      agent('agent_2', 18082, 'EURUSD, GBPUSD', 'EURUSD, GBPUSD, AUDUSD'),
      agent('nova', 18083, 'USDJPY'),
    ].join('\n')}\n`,
  );
});

const env = () => ({ HOME: tmp, MT4GW_CONFIG: CONFIG });
const c = (line: string, e: NodeJS.ProcessEnv = env()) => {
  const words = line.split(' ');
  return complete(buildProgram(), words, e);
};

describe('candidates', () => {
  it('subcommands, including new ones (taken from the command tree), and `help <command>`', async () => {
    const all = await c('mt4gw ');
    for (const name of ['status', 'summary', 'trade', 'watch', 'config', 'completion', 'panic', 'sim']) expect(all).toContain(name);
    expect(all).not.toContain('__complete');
    expect(await c('mt4gw wa')).toEqual(['watch']);
    expect(await c('mt4gw help tr')).toEqual(['trade']);
    expect(await c('mt4gw config ')).toEqual(expect.arrayContaining(['validate', 'show', 'init', 'schema']));
  });

  it('flags of the command and the global ones, and option choices', async () => {
    const flags = await c('mt4gw trade --');
    expect(flags).toEqual(expect.arrayContaining(['--sl', '--tp', '--risk', '--yes', '--dry-run', '--config', '--json', '--timeout']));
    expect(await c('mt4gw watch --in')).toEqual(['--interval']);
    expect(await c('mt4gw summary --format ')).toEqual(['table', 'json', 'prometheus']);
    expect(await c('mt4gw --config ')).toEqual([FILES]);
    expect(await c('mt4gw completion ')).toEqual(['bash', 'zsh']);
  });

  it('agent ids from the current config, where an agent is expected', async () => {
    expect(await c('mt4gw account ')).toEqual(['agent_1', 'agent_2', 'nova']);
    expect(await c('mt4gw trade ag')).toEqual(['agent_1', 'agent_2']);
    expect(await c('mt4gw status agent_1 ')).toEqual(['agent_2', 'nova']);
    expect(await c('mt4gw panic --agent n')).toEqual(['nova']);
    expect(await c('mt4gw watch ')).toEqual(['agent_1', 'agent_2', 'nova']);
  });

  it("an agent's symbols (strategy.pairs and risk.allowed_pairs) after the agent, and the side", async () => {
    expect(await c('mt4gw trade agent_2 ')).toEqual(['buy', 'sell']);
    expect(await c('mt4gw trade agent_2 sell ')).toEqual(['EURUSD', 'GBPUSD', 'AUDUSD']);
    expect(await c('mt4gw trade agent_1 buy ')).toEqual(['XAUUSD']);
    expect(await c('mt4gw tick nova ')).toEqual(['USDJPY']);
    expect(await c('mt4gw close-all agent_2 --symbol G')).toEqual(['GBPUSD']);
  });

  it('--config on the line wins over MT4GW_CONFIG; a config that cannot load gives nothing, never an error', async () => {
    const other = path.join(tmp, 'other.yml');
    fs.writeFileSync(
      other,
      'agents:\n  solo:\n    mt4: {host: 127.0.0.1, port: 9}\n    risk: {initial_balance: 1, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1}\n',
    );
    expect(await c(`mt4gw -c ${other} account `)).toEqual(['solo']);
    expect(await c(`mt4gw --config=${other} account `)).toEqual(['solo']);
    expect(await c('mt4gw account ', { HOME: tmp, MT4GW_CONFIG: path.join(tmp, 'missing.yml') })).toEqual([]);
  });
});

describe('mt4gw completion', () => {
  it('prints a bash and a zsh script; another shell is a usage error naming the choices', async () => {
    const bash = await runCli(['completion', 'bash'], { env: baseEnv() });
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('complete -o default -F _mt4gw_complete mt4gw');
    expect(bash.stdout).toContain('source <(mt4gw completion bash)');
    const zsh = await runCli(['completion', 'zsh'], { env: baseEnv() });
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.startsWith('#compdef mt4gw\n')).toBe(true);
    expect(zsh.stdout).toContain('compdef _mt4gw mt4gw');
    const fish = await runCli(['completion', 'fish'], { env: baseEnv() });
    expect(fish.code).toBe(2);
    expect(fish.stderr).toMatch(/no completion for the shell "fish".*\n.*bash, zsh/);
  });

  it('__complete answers on stdout only, one candidate a line, and never fails', async () => {
    const r = await runCli(['__complete', '--', 'mt4gw', 'trade', 'agent_2', 'buy', ''], { env: baseEnv(env()) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('EURUSD\nGBPUSD\nAUDUSD\n');
    expect(r.stderr).toBe('');
    const broken = await runCli(['__complete', '--', 'mt4gw', '--config', path.join(tmp, 'nope.yml'), 'account', ''], { env: baseEnv() });
    expect(broken.code).toBe(0);
    expect(broken.stdout + broken.stderr).toBe('');
  });

  it('bash completes a real command line with the script sourced', () => {
    const bashOk = spawnSync('bash', ['--version'], { encoding: 'utf8' });
    if (bashOk.error) throw new Error('bash is needed for this test');
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'mt4gw'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`, {
      mode: 0o755,
    });
    const probe = (words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `source <(mt4gw completion bash); COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _mt4gw_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8', timeout: 20_000, cwd: tmp, env: { ...baseEnv(env()), PATH: `${bin}:${process.env.PATH}` } },
      );
    const sym = probe(['mt4gw', 'trade', 'agent_2', 'buy', 'G']);
    expect(sym.stderr).toBe('');
    expect(sym.stdout).toBe('GBPUSD\n');
    expect(probe(['mt4gw', 'sta']).stdout).toBe('status\nstate\n');
    expect(probe(['mt4gw', 'watch', '--int']).stdout).toBe('--interval\n');
    // A file name after --config.
    expect(probe(['mt4gw', '--config', 'agen']).stdout).toBe('agents.yml\n');
  });

  it('the zsh script parses (when zsh is installed)', (ctx) => {
    const zsh = spawnSync('zsh', ['--version'], { encoding: 'utf8' });
    if (zsh.error) return ctx.skip('zsh is not installed here; the bash test covers the candidates');
    const file = path.join(tmp, '_mt4gw');
    fs.writeFileSync(file, spawnSync(process.execPath, [BIN, 'completion', 'zsh'], { encoding: 'utf8' }).stdout);
    const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
