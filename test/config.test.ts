import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fc from 'fast-check';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findConfigPath,
  loadConfig,
  locateConfig,
  MAX_CONFIG_BYTES,
  parseConfigText,
  resolveToken,
  resolveTokenDetailed,
  resolveTokens,
} from '../src/config/load.js';
import { normalizeHost, sameHost } from '../src/config/address.js';
import { readRegularFileCapped } from '../src/config/bounded-read.js';
import { Secret } from '../src/config/secret.js';
import { closest, editDistance } from '../src/config/suggest.js';
import type { AgentConfig } from '../src/config/types.js';
import { ConfigError, EXIT } from '../src/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'config');

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mt4gw-config-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;
function tmpDir(): string {
  const d = path.join(tmpRoot, String(tmpCount++));
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** A home and XDG dir that certainly hold no config, so no test depends on the real environment. */
function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tmpDir();
  return { HOME: home, ...extra };
}

/** Parses YAML text as if it were the file `agents.yml` in `dir`. */
function parse(text: string, dir = tmpRoot) {
  return parseConfigText(text, { path: path.join(dir, 'agents.yml'), display: 'agents.yml', env: isolatedEnv() });
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

/** Everything a user could see of an error. */
function visible(e: ConfigError): string {
  return [e.message, ...e.problems, e.hint ?? '', String(e), JSON.stringify(e)].join('\n');
}

const RISK = '    risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1}\n';
function agent(key: string, port: number, host = '127.0.0.1'): string {
  return `  ${key}:\n    mt4: {host: ${host}, port: ${port}}\n${RISK}`;
}

describe('the documented layouts', () => {
  it('loads the architecture document agents.yml unchanged', () => {
    const config = loadConfig({ path: path.join(FIXTURES, 'architecture.yml'), env: isolatedEnv() });
    expect(config.path).toBe(path.join(FIXTURES, 'architecture.yml'));
    expect(
      config.agents.map((a) => [
        a.id,
        a.name,
        a.mt4.transport === 'rest' && a.mt4.host,
        a.mt4.transport === 'rest' && a.mt4.port,
        a.mt4.account,
      ]),
    ).toEqual([
      ['agent_1', 'Atlas', 'localhost', 8081, '22437'],
      ['agent_2', 'Orion', 'localhost', 8082, 'XXXXX'],
      ['agent_3', 'Nova', 'localhost', 8083, 'YYYYY'],
    ]);
    const [atlas, , nova] = config.agents;
    expect(atlas).toEqual({
      id: 'agent_1',
      name: 'Atlas',
      description: 'Conservative AMD strategy',
      enabled: true,
      mt4: { host: 'localhost', port: 8081, account: '22437', server: 'EBCFinancialGroupKY-Demo02', timeout_ms: 5000, transport: 'rest' },
      strategy: { type: 'amd', pairs: ['XAUUSD'], timeframe: '5m' },
      risk: {
        initial_balance: 200,
        max_risk_per_trade: 0.01,
        max_daily_loss: 0.05,
        max_positions: 1,
        allowed_pairs: ['XAUUSD'],
        require_stop_loss: false,
      },
    });
    expect(nova?.strategy.pairs).toEqual(['XAUUSD', 'EURUSD', 'GBPUSD', 'USDJPY']);
    expect(nova?.risk).toMatchObject({ initial_balance: 1000, max_risk_per_trade: 0.02, max_positions: 3 });
    expect(config.symbols).toEqual({});
    // Its placeholder logins load, with a warning that the account check is off for them.
    expect(config.warnings).toEqual([
      expect.stringMatching(
        /architecture\.yml:29:16: agents\.agent_2\.mt4\.account: "XXXXX" is not an MT4 login number, so mt4gw cannot check/,
      ),
      expect.stringMatching(/architecture\.yml:48:16: agents\.agent_3\.mt4\.account: "YYYYY" is not an MT4 login number/),
    ]);
  });

  it('loads the shipped agents.yml: Atlas, Orion and Nova with their lot sizes and token references', () => {
    const config = loadConfig({ cwd: ROOT, env: isolatedEnv() });
    expect(config.path).toBe(path.join(ROOT, 'agents.yml'));
    expect(config.warnings).toEqual([]);
    expect(
      config.agents.map((a) => ({
        id: a.id,
        name: a.name,
        enabled: a.enabled,
        endpoint: a.mt4.transport === 'rest' ? `${a.mt4.host}:${a.mt4.port}` : a.mt4.transport,
        token: a.mt4.token,
        pairs: a.strategy.pairs,
        risk: [
          a.risk.initial_balance,
          a.risk.max_risk_per_trade,
          a.risk.max_daily_loss,
          a.risk.max_positions,
          a.risk.lot_size,
          a.risk.max_lots,
        ],
      })),
    ).toEqual([
      {
        id: 'agent_1',
        name: 'Atlas',
        enabled: true,
        endpoint: '127.0.0.1:8081',
        token: { kind: 'env', variable: 'MT4GW_AGENT1_TOKEN' },
        pairs: ['XAUUSD'],
        risk: [200, 0.01, 0.05, 1, 0.01, 0.01],
      },
      {
        id: 'agent_2',
        name: 'Orion',
        enabled: true,
        endpoint: '127.0.0.1:8082',
        token: { kind: 'env', variable: 'MT4GW_AGENT2_TOKEN' },
        pairs: ['EURUSD', 'GBPUSD'],
        risk: [500, 0.015, 0.05, 2, 0.02, 0.02],
      },
      {
        id: 'agent_3',
        name: 'Nova',
        enabled: true,
        endpoint: '127.0.0.1:8083',
        token: { kind: 'env', variable: 'MT4GW_AGENT3_TOKEN' },
        pairs: ['XAUUSD', 'EURUSD', 'GBPUSD', 'USDJPY'],
        risk: [1000, 0.02, 0.05, 3, 0.05, 0.05],
      },
    ]);
    expect(config.agents.map((a) => [a.mt4.account, a.mt4.server])).toEqual([
      ['22437', 'EBCFinancialGroupKY-Demo02'],
      ['22438', 'EBCFinancialGroupKY-Demo02'],
      ['22439', 'EBCFinancialGroupKY-Demo02'],
    ]);
  });
});

describe('values', () => {
  it('keeps a numeric account as the digits written, upper-cases and de-duplicates pairs, and reads symbols', () => {
    const config = parse(
      `agents:
  a:
    mt4: {host: h, port: 1, account: 012345}
    strategy: {pairs: [xauusd, EURUSD, XAUUSD], min_confidence: 0.7}
    risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, allowed_pairs: [xauusd, eurusd], require_stop_loss: true}
symbols:
  xauusd: {digits: 2, contract_size: 100, min_lot: 0.01}
`,
    );
    const [a] = config.agents;
    expect(a?.mt4.account).toBe('012345');
    expect(a?.strategy).toEqual({ pairs: ['XAUUSD', 'EURUSD'], min_confidence: 0.7 });
    expect(a?.risk.allowed_pairs).toEqual(['XAUUSD', 'EURUSD']);
    expect(a?.risk.require_stop_loss).toBe(true);
    expect(a?.name).toBe('a');
    expect(config.symbols).toEqual({ XAUUSD: { digits: 2, contract_size: 100, min_lot: 0.01 } });
  });

  it('defaults max_lots to lot_size, keeps an explicit max_lots, and refuses max_lots below lot_size', () => {
    const config = parse(`agents:
  only_lot:
    mt4: {host: h, port: 1}
    risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, lot_size: 0.03}
  both:
    mt4: {host: h, port: 2}
    risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, lot_size: 0.03, max_lots: 0.1}
  neither:
    mt4: {host: h, port: 3}
${RISK}`);
    expect(config.agents.map((a) => [a.risk.lot_size, a.risk.max_lots])).toEqual([
      [0.03, 0.03],
      [0.03, 0.1],
      [undefined, undefined],
    ]);
    const e = configError(() =>
      parse(`agents:
  a:
    mt4: {host: h, port: 1}
    risk:
      initial_balance: 100
      max_risk_per_trade: 0.01
      max_daily_loss: 0.05
      max_positions: 1
      lot_size: 0.1
      max_lots: 0.05
`),
    );
    expect(e.problems).toEqual([
      'agents.yml:10:17: agents.a.risk.max_lots: max_lots (0.05) is smaller than lot_size (0.1); max_lots is the largest order, lot_size the default one',
    ]);
  });

  it('fills enabled, timeout_ms, transport, name and description with their defaults', () => {
    const [a] = parse(`agents:\n${agent('agent_9', 9000)}`).agents;
    expect(a).toMatchObject({
      id: 'agent_9',
      name: 'agent_9',
      description: '',
      enabled: true,
      mt4: { timeout_ms: 5000, transport: 'rest' },
    });
    expect(a?.mt4.token).toBeUndefined();
  });
});

describe('defaults:', () => {
  it('is deep-merged into every agent; the agent wins and lists are replaced', () => {
    const config = parse(`defaults:
  enabled: false
  mt4: {host: 127.0.0.1, timeout_ms: 2000, server: Demo}
  strategy: {pairs: [XAUUSD, EURUSD], timeframe: 5m}
  risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, lot_size: 0.01, require_stop_loss: true}
agents:
  a:
    mt4: {port: 8081}
  b:
    enabled: true
    mt4: {port: 8082, timeout_ms: 9000}
    strategy: {pairs: [GBPUSD]}
    risk: {max_positions: 3, lot_size: 0.02}
`);
    const [a, b] = config.agents;
    expect(a).toMatchObject({
      enabled: false,
      mt4: { host: '127.0.0.1', port: 8081, timeout_ms: 2000, server: 'Demo' },
      strategy: { pairs: ['XAUUSD', 'EURUSD'], timeframe: '5m' },
      risk: { initial_balance: 100, max_positions: 1, lot_size: 0.01, max_lots: 0.01, require_stop_loss: true },
    });
    expect(b).toMatchObject({
      enabled: true,
      mt4: { host: '127.0.0.1', port: 8082, timeout_ms: 9000, server: 'Demo' },
      strategy: { pairs: ['GBPUSD'], timeframe: '5m' },
      risk: { initial_balance: 100, max_positions: 3, lot_size: 0.02, max_lots: 0.02, require_stop_loss: true },
    });
  });

  it('reports a bad default once, at the defaults node, and points inherited problems at defaults', () => {
    const e = configError(() =>
      parse(`defaults:
  mt4: {host: 127.0.0.1, port: 8081, timeout_ms: -5}
  risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1}
agents:
  a: {}
  b: {}
`),
    );
    expect(e.message).toBe('agents.yml has 2 problems');
    expect(e.problems).toEqual([
      'agents.yml:2:32: agents.b.mt4.port: 127.0.0.1:8081 is already used by a; each agent needs its own EA Bridge, on its own port (value inherited from defaults.mt4.port)',
      'agents.yml:2:50: defaults.mt4.timeout_ms: expected a timeout in milliseconds, an integer 1..600000, got -5',
    ]);
  });

  it('refuses id in defaults', () => {
    const e = configError(() => parse(`defaults: {id: x}\nagents:\n${agent('a', 1)}`));
    expect(e.problems).toEqual(["agents.yml:1:12: defaults.id: `id` cannot have a default: each agent's id is its key under `agents:`"]);
  });
});

describe('errors name the file, line, column and field', () => {
  it('YAML syntax errors print like a compiler: file:line:col, the line and a caret', () => {
    const e = configError(() => parse('agents:\n  agent_1:\n    name: "Atlas\n'));
    expect(e.message).toBe('agents.yml is not valid YAML');
    expect(e.exitCode).toBe(EXIT.USAGE);
    const [first] = e.problems;
    expect(first?.split('\n')).toEqual([expect.stringMatching(/^agents\.yml:4:1: Missing closing "quote/), '    4 | ', '      | ^']);
    const e2 = configError(() => parse('agents:\n  a:\n    mt4: {host: x, port: 1\n    risk: 1\n'));
    expect(e2.problems[0]?.split('\n')).toEqual([
      'agents.yml:4:5: Flow map in block collection must be sufficiently indented and end with a }',
      '    4 |     risk: 1',
      '      |     ^',
    ]);
  });

  it('duplicate keys are errors', () => {
    const e = configError(() => parse(`agents:\n${agent('a', 1)}${agent('a', 2)}`));
    expect(e.problems[0]).toMatch(/^agents\.yml:5:3: Map keys must be unique\n {4}5 \| {3}a:\n {6}\| {3}\^$/);
  });

  it('a wrong type', () => {
    const e = configError(() =>
      parse(`agents:
${agent('agent_1', 8081)}  agent_2:
    mt4: {host: 127.0.0.1, port: 8082}
    risk:
      initial_balance: 100
      max_risk_per_trade: 0.01
      max_daily_loss: 0.05
      max_positions: two
`),
    );
    expect(e.message).toBe('agents.yml has 1 problem');
    expect(e.problems).toEqual(['agents.yml:11:22: agents.agent_2.risk.max_positions: expected an integer >= 1, got "two"']);
  });

  it('an out-of-range port', () => {
    const e = configError(() => parse(`agents:\n  a:\n    mt4:\n      host: h\n      port: 70000\n${RISK}`));
    expect(e.problems).toEqual(['agents.yml:5:13: agents.a.mt4.port: expected a TCP port, an integer 1..65535, got 70000']);
  });

  it('an unknown key, with a suggestion', () => {
    const e = configError(() =>
      parse(
        `agents:\n  a:\n    mt4: {host: h, port: 1}\n    risk:\n      initial_balance: 1\n      max_risk_per_trade: 0.01\n      max_daily_loss: 0.05\n      max_positions: 1\n      max_positon: 2\n`,
      ),
    );
    expect(e.problems).toEqual(['agents.yml:9:7: agents.a.risk.max_positon: unknown key `max_positon`; did you mean `max_positions`?']);
  });

  it('a key in the wrong section, and merge keys, say where to go', () => {
    const e = configError(() =>
      parse(
        `agents:\n  a:\n    mt4: {host: h, port: 1}\n    risk: {initial_balance: 1, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, host: x}\n    tokn: x\n`,
      ),
    );
    expect(e.problems).toEqual([
      'agents.yml:4:98: agents.a.risk.host: unknown key `host`: `host` belongs under `mt4:`, not under `risk:`',
      'agents.yml:5:5: agents.a.tokn: unknown key `tokn`; did you mean `mt4.token`? (it belongs under `mt4:`)',
    ]);
  });

  it('a missing key points at its parent mapping', () => {
    const e = configError(() => parse(`agents:\n  a:\n    mt4:\n      host: h\n${RISK}`));
    expect(e.problems).toEqual(['agents.yml:3:5: agents.a.mt4.port: required key is missing; expected a TCP port, an integer 1..65535']);
  });

  it('a literal token is refused without echoing it, even in a redacted source line', () => {
    const secret = 'sk-live-9f8e7d6c5b4a3210';
    const e = configError(() => parse(`agents:\n  agent_1:\n    mt4:\n      host: h\n      port: 1\n      token: ${secret}\n${RISK}`));
    expect(e.problems).toEqual([
      'agents.yml:6:14: agents.agent_1.mt4.token: holds a literal token; secrets must not live in agents.yml. Put it in an environment variable and write `token: ${MT4GW_AGENT1_TOKEN}`, or use `token_file:` (the value is not shown)',
    ]);
    expect(visible(e)).not.toContain(secret);
    expect(visible(e)).not.toContain('9f8e7d');

    // A syntax error on the token line prints the line with its value redacted.
    const e2 = configError(() => parse(`agents:\n  a:\n    mt4:\n      token: ${secret}: x\n      port: 1\n`));
    expect(e2.problems).toEqual([
      'agents.yml:4:14: Nested mappings are not allowed in compact mappings\n    4 |       token: <redacted>\n      |              ^',
    ]);
    expect(visible(e2)).not.toContain('9f8e7d');
    // Lines nested under a token key are redacted too.
    const e3 = configError(() => parse(`agents:\n  a:\n    mt4:\n      token:\n        ${secret}: x: y\n      port: 1\n`));
    expect(e3.problems[0]?.split('\n').slice(1)).toEqual(['    5 |         <redacted>', '      |                                   ^']);
    expect(visible(e3)).not.toContain('9f8e7d');
    // …and a YAML message quoting it (an unknown tag) is withheld.
    const cfg = parse(`agents:\n  a:\n    mt4:\n      host: h\n      port: 1\n      token: !${secret} \${X}\n${RISK}`);
    expect(cfg.warnings.join('\n')).not.toContain('9f8e7d');
    expect(cfg.warnings.join('\n')).toContain('details withheld');
  });

  it('a numeric or brace-less token is refused too, and never echoed', () => {
    const e = configError(() =>
      parse(
        `agents:\n  a:\n    mt4: {host: h, port: 1, token: 123456789}\n${RISK}  b:\n    mt4: {host: h, port: 2, token: $ABCDEFGH}\n${RISK}`,
      ),
    );
    expect(e.problems).toHaveLength(2);
    expect(e.problems[0]).toContain('agents.a.mt4.token: holds a literal token');
    expect(e.problems[1]).toContain('agents.b.mt4.token: an environment reference needs braces');
    expect(visible(e)).not.toMatch(/123456789|ABCDEFGH/);
  });

  it('a ${NAME} inside { } must be quoted, and the hint says so', () => {
    const e = configError(() => parse(`agents:\n  a:\n    mt4: {host: h, port: 1, token: \${T}}\n${RISK}`));
    expect(e.message).toBe('agents.yml is not valid YAML');
    expect(e.hint).toContain('token: "${MT4GW_AGENT1_TOKEN}"');
    expect(parse(`agents:\n  a:\n    mt4: {host: h, port: 1, token: "\${T}"}\n${RISK}`).agents[0]?.mt4.token).toEqual({
      kind: 'env',
      variable: 'T',
    });
  });

  it('token and token_file together', () => {
    const e = configError(() =>
      parse(`agents:\n  a:\n    mt4:\n      host: h\n      port: 1\n      token: \${T}\n      token_file: t.txt\n${RISK}`),
    );
    expect(e.problems).toEqual(['agents.yml:7:7: agents.a.mt4.token_file: set either `token` or `token_file`, not both']);
  });

  it('duplicate host:port, localhost and 127.0.0.1 being the same host', () => {
    const e = configError(() => parse(`agents:\n${agent('a', 8081, 'localhost')}${agent('b', 8082)}${agent('c', 8081, '127.0.0.1')}`));
    expect(e.problems).toEqual([
      'agents.yml:9:34: agents.c.mt4.port: 127.0.0.1:8081 is already used by a (localhost and 127.0.0.1 are the same machine); each agent needs its own EA Bridge, on its own port',
    ]);
    expect(() => parse(`agents:\n${agent('a', 8081, 'host-a')}${agent('b', 8081, 'host-b')}`)).not.toThrow();
  });

  it('duplicate host:port compares the normalized address: every IPv4 spelling, IPv6 forms, v4-mapped, case and a final dot', () => {
    const clash = (a: string, b: string) => {
      const e = configError(() => parse(`agents:\n${agent('a', 8081, a)}${agent('b', 8081, b)}`));
      expect(e.problems).toHaveLength(1);
      expect(e.problems[0]).toMatch(/agents\.b\.mt4\.port: .*:8081 is already used by a/);
      return e.problems[0]!;
    };
    // Every loopback spelling is this machine (quoted where YAML would read a number: a number is not a host).
    for (const h of [
      '"127.1"',
      '"2130706433"',
      '0x7f.0.0.1',
      '0177.0.0.1',
      '"0x7f000001"',
      '127.0.0.1.',
      '127.0.0.2',
      'LOCALHOST',
      'localhost.',
      '"::1"',
      '"[::1]"',
      '"0:0:0:0:0:0:0:1"',
      '"::ffff:127.0.0.1"',
      '"::FFFF:7F00:1"',
    ])
      clash('127.0.0.1', h);
    expect(clash('localhost', '"::ffff:127.0.0.1"')).toContain('(localhost and ::ffff:127.0.0.1 are the same machine)');
    // Other addresses and names: equal once normalized.
    clash('10.0.0.5', '"::ffff:10.0.0.5"');
    clash('10.0.0.5', '"167772165"');
    clash('10.0.0.5', '012.0.0.5');
    clash('"2001:db8::1"', '"2001:DB8:0:0:0:0:0:1"');
    clash('"2001:db8::1"', '"[2001:db8::1]"');
    clash('Terminal-1.Example.com', 'terminal-1.example.com.');
    // Different machines, or the same machine on another port, are fine.
    for (const [a, b] of [
      ['10.0.0.5', '10.0.0.6'],
      ['host-a', 'host-b'],
      ['"2001:db8::1"', '"2001:db8::2"'],
      ['127.0.0.1', '10.0.0.5'],
    ])
      expect(() => parse(`agents:\n${agent('a', 8081, a!)}${agent('b', 8081, b!)}`)).not.toThrow();
    expect(() => parse(`agents:\n${agent('a', 8081, '"127.1"')}${agent('b', 8082, 'localhost')}`)).not.toThrow();
  });

  it('dwx agents: their pull and pub ports are compared on the same normalized host before anything is sent', () => {
    const dwx = (key: string, host: string, push: number) =>
      `  ${key}:\n    mt4: {host: ${host}, transport: dwx, currency: USD, push_port: ${push}, pull_port: ${push + 1}, pub_port: ${push + 2}}\n${RISK}`;
    const e = configError(() =>
      parse(`agents:\n${dwx('a', '"127.1"', 32768)}${dwx('b', 'localhost', 32767)}${dwx('c', '10.0.0.5', 32767)}`),
    );
    expect(e.problems).toEqual([
      expect.stringMatching(
        /^agents\.yml:\d+:\d+: agents\.b\.mt4\.pull_port: localhost:32768 is already a's mt4\.push_port \(127\.1 and localhost are the same machine\); each terminal needs its own ports$/,
      ),
      expect.stringMatching(
        /^agents\.yml:\d+:\d+: agents\.b\.mt4\.pub_port: localhost:32769 is already a's mt4\.pull_port \(127\.1 and localhost are the same machine\); each terminal needs its own ports$/,
      ),
    ]);
  });

  it('the unspecified address, in any spelling, is refused for a bridge, at its line and column', () => {
    for (const h of ['0.0.0.0', '"0"', '"0x0"', '"::"', '"[::]"', '"::ffff:0.0.0.0"', '"0:0:0:0:0:0:0:0"']) {
      const e = configError(() => parse(`agents:\n${agent('a', 8081, h)}`));
      expect(e.problems).toEqual([
        expect.stringMatching(
          /^agents\.yml:3:17: agents\.a\.mt4\.host: \S+ is the unspecified address: to a server it means "every address", and it names no terminal to connect to; write the EA Bridge's address \(127\.0\.0\.1 for this machine\)$/,
        ),
      ]);
    }
    // From defaults: reported once, there, and no agent repeats it.
    const e = configError(() =>
      parse(`defaults:\n  mt4: {host: 0.0.0.0}\nagents:\n  a: {mt4: {port: 1}, ${RISK.trim()}}\n  b: {mt4: {port: 2}, ${RISK.trim()}}\n`),
    );
    expect(e.problems).toEqual([expect.stringMatching(/^agents\.yml:2:15: defaults\.mt4\.host: 0\.0\.0\.0 is the unspecified address/)]);
  });

  it('a host that is neither a host name nor an IP address', () => {
    const problem = (h: string) => configError(() => parse(`agents:\n${agent('a', 8081, h)}`)).problems;
    expect(problem('256.0.0.1')).toEqual([
      'agents.yml:3:17: agents.a.mt4.host: "256.0.0.1" is not a host name or IP address: it is not a valid IPv4 address',
    ]);
    expect(problem('1.2.3.4.5')).toEqual([expect.stringMatching(/it is not a valid IPv4 address$/)]);
    expect(problem('"fe80::1%eth0"')).toEqual([expect.stringMatching(/: it contains "%"$/)]);
    expect(problem('user@127.0.0.1')).toEqual([expect.stringMatching(/: it contains "@"$/)]);
    expect(problem('a/b')).toEqual([expect.stringMatching(/: it contains "\/"$/)]);
    expect(problem('"[127.0.0.1]"')).toEqual([expect.stringMatching(/brackets are only for IPv6 addresses/)]);
    expect(problem('-bad-')).toEqual([expect.stringMatching(/it is not a valid host name/)]);
    expect(problem('localhost..')).toEqual([expect.stringMatching(/it is not a valid host name/)]);
  });

  it('an id that disagrees with its key', () => {
    const e = configError(() => parse(`agents:\n  agent_1:\n    id: agent_2\n    mt4: {host: h, port: 1}\n${RISK}`));
    expect(e.problems).toEqual([
      'agents.yml:3:9: agents.agent_1.id: id "agent_2" does not match its key `agent_1`; remove `id:` (it defaults to the key) or make the two equal',
    ]);
  });

  it('no agents at all', () => {
    expect(configError(() => parse('agents: {}\n')).problems).toEqual([
      'agents.yml:1:9: agents: no agents: at least one agent is required',
    ]);
    expect(configError(() => parse('symbols: {}\n')).problems).toEqual([
      'agents.yml:1:1: agents: the top-level `agents:` key is missing; at least one agent is required under it',
    ]);
  });

  it('several problems are reported together, in file order', () => {
    const e = configError(() =>
      parse(`agents:
  a:
    enabled: yes
    mt4: {host: h, port: 0}
    risk: {initial_balance: -1, max_risk_per_trade: 2, max_daily_loss: 0.05, max_positions: 1}
  b:
    mt4: {host: "http://x", port: 2, transport: grpc}
${RISK}`),
    );
    expect(e.message).toBe('agents.yml has 6 problems');
    expect(e.problems).toEqual([
      'agents.yml:3:14: agents.a.enabled: expected true or false, got "yes" (write true or false, unquoted)',
      'agents.yml:4:26: agents.a.mt4.port: expected a TCP port, an integer 1..65535, got 0',
      'agents.yml:5:29: agents.a.risk.initial_balance: expected an amount > 0 in the account currency, got -1',
      'agents.yml:5:53: agents.a.risk.max_risk_per_trade: expected a fraction of the balance in (0, 1], such as 0.01 for 1%, got 2 (fractions, not percentages: write 0.02 for 2%)',
      'agents.yml:7:17: agents.b.mt4.host: expected a host name or IP address, not a URL: drop the scheme and put the port in `port:`',
      "agents.yml:7:49: agents.b.mt4.transport: expected 'rest' (EA Bridge REST), 'dwx' (DWX ZeroMQ server EA) or 'metaapi' (MetaApi cloud API), got \"grpc\"",
    ]);
  });

  it('unknown top-level keys, and agents written at the top level', () => {
    const e = configError(() => parse(`agent:\n${agent('a', 1)}agent_1:\n  mt4: {host: h, port: 1}\nx-anchors: &c {host: h}\n`));
    expect(e.problems).toEqual([
      'agents.yml:1:1: agent: unknown key `agent`; did you mean `agents`?',
      'agents.yml:1:1: agents: the top-level `agents:` key is missing; at least one agent is required under it',
      'agents.yml:5:1: agent_1: unknown key `agent_1`: agents go under `agents:` (write `agents:` and indent `agent_1:` below it)',
    ]);
  });

  it('symbols: unknown fields, bad values and duplicates', () => {
    const e = configError(() => parse(`symbols:\n  XAUUSD: {digits: 2.5, lot_stp: 0.01}\n  xauusd: {}\nagents:\n${agent('a', 1)}`));
    expect(e.problems).toEqual([
      'agents.yml:2:20: symbols.XAUUSD.digits: expected an integer 0..10, got 2.5',
      'agents.yml:2:25: symbols.XAUUSD.lot_stp: unknown key `lot_stp`; did you mean `lot_step`?',
      'agents.yml:3:3: symbols.xauusd: XAUUSD is listed twice (as `XAUUSD` and `xauusd`); symbols are not case-sensitive here',
    ]);
  });
});

describe('address normalization (the duplicate host:port check)', () => {
  const key = (h: string) => {
    const n = normalizeHost(h);
    if (!n.ok) throw new Error(`${h}: ${n.reason}`);
    return n;
  };

  it('IPv4 in every inet_aton spelling, IPv6 in every form, names in any case; loopback is one host', () => {
    expect(key('127.1')).toEqual({ ok: true, kind: 'loopback', key: 'loopback', address: '127.0.0.1' });
    for (const h of ['2130706433', '0x7f.0.0.1', '0177.0.0.1', '0x7f.1', '127.0.1', ' 127.0.0.1 ', '127.0.0.1.', '127.255.255.254'])
      expect(key(h).kind).toBe('loopback');
    for (const h of ['::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:7F00:1', 'localhost', 'LocalHost.'])
      expect(key(h).key).toBe('loopback');
    expect(key('::ffff:10.0.0.5')).toEqual({ ok: true, kind: 'ipv4', key: '10.0.0.5', address: '10.0.0.5' });
    expect(key('2001:DB8:0:0:0:0:0:1')).toEqual({ ok: true, kind: 'ipv6', key: '2001:db8::1', address: '2001:db8::1' });
    expect(key('Terminal.Example.COM.')).toEqual({ ok: true, kind: 'name', key: 'terminal.example.com', address: 'terminal.example.com' });
    expect(key('bücher.de').key).toBe('xn--bcher-kva.de');
    for (const h of ['0.0.0.0', '0', '0x0', '0.0', '::', '[::]', '::ffff:0.0.0.0']) expect(key(h).kind).toBe('unspecified');
    expect(sameHost('127.1', 'localhost')).toBe(true);
    expect(sameHost('10.0.0.5', '10.0.0.6')).toBe(false);
    // The deprecated IPv4-compatible form is not the IPv4 address.
    expect(key('::127.0.0.1').kind).toBe('ipv6');
  });

  it('what is neither a name nor an address, with why', () => {
    const why = (h: string) => {
      const n = normalizeHost(h);
      return n.ok ? 'ok' : n.reason;
    };
    expect(why('')).toBe('it is empty');
    expect(why('256.1.1.1')).toBe('it is not a valid IPv4 address');
    expect(why('1.2.3.4.5')).toBe('it is not a valid IPv4 address');
    expect(why('08.0.0.1')).toBe('it is not a valid IPv4 address');
    expect(why('12345::1::2')).toBe('it is not a valid IPv6 address');
    expect(why('fe80::1%eth0')).toBe('it contains "%"');
    expect(why('me@host')).toBe('it contains "@"');
    expect(why('host/path')).toBe('it contains "/"');
    expect(why('[127.0.0.1]')).toBe('brackets are only for IPv6 addresses ([::1])');
    expect(why('foo.1')).toBe('it is not a valid host name');
    for (const h of ['-a', 'a-', 'a..b', 'a!b', `${'a'.repeat(64)}.com`]) expect(why(h)).toMatch(/not a valid host name/);
  });

  /** inet_aton, the reference for what "every IPv4 spelling" means. */
  function inetAton(s: string): string | undefined {
    const parts = s.split('.');
    if (parts.length > 4) return undefined;
    const nums = parts.map((p) =>
      /^0x[0-9a-f]*$/i.test(p)
        ? Number.parseInt(p.slice(2) || '0', 16)
        : /^0[0-7]*$/.test(p)
          ? Number.parseInt(p, 8)
          : /^[1-9]\d*$/.test(p)
            ? Number(p)
            : Number.NaN,
    );
    if (nums.some((n) => Number.isNaN(n))) return undefined;
    const last = nums.pop()!;
    if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return undefined;
    const value = nums.reduce((acc, n, i) => acc + n * 256 ** (3 - i), 0) + last;
    return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  }

  it('any inet_aton spelling of an IPv4 address normalizes to that address (fast-check)', () => {
    fc.assert(
      fc.property(fc.ipV4Extended(), (h) => {
        const expected = inetAton(h);
        expect(expected).toBeDefined();
        const n = key(h);
        expect(n.address).toBe(expected);
        expect(key(`::ffff:${expected}`).key).toBe(n.key);
      }),
      { numRuns: 2000 },
    );
  });

  it('any IPv6 address: the same key bracketed, in capitals, and from its canonical form (fast-check)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (h) => {
        const n = key(h);
        expect(key(`[${h}]`).key).toBe(n.key);
        expect(key(h.toUpperCase()).key).toBe(n.key);
        expect(key(n.address).key).toBe(n.key);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('files that are not config files', () => {
  function load(content: string | Buffer) {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'agents.yml'), content);
    return () => loadConfig({ cwd: dir, env: isolatedEnv() });
  }

  it('an empty file, or one with only blanks or comments', () => {
    expect(configError(load('')).message).toBe('agents.yml is empty');
    expect(configError(load('  \n\n')).message).toBe('agents.yml is empty');
    expect(configError(load('# nothing yet\n')).message).toBe('agents.yml has no settings (only comments)');
  });

  it('NUL bytes: not a text file', () => {
    const e = configError(load(Buffer.from('agents:\n  a\u0000b: 1\n', 'utf8')));
    expect(e.message).toBe('agents.yml is not a text file: it contains a NUL byte at line 2, column 4');
    expect(e.hint).toMatch(/UTF-8/);
  });

  it('a file over 1 MiB is refused unread', () => {
    const e = configError(load(Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20)));
    expect(e.message).toBe('agents.yml is 1.0 MiB; a config file may be at most 1 MiB');
  });

  it('an alias bomb becomes a clean ConfigError', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const text = `x-bomb:\n${levels.map((l) => `  ${l}`).join('\n')}\nagents:\n${agent('a', 1)}`;
    const started = Date.now();
    const e = configError(() => parse(text));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e.message).toMatch(/^agents\.yml expands its aliases too many times \(more than 100\)/);
    expect(e.problems).toEqual(['agents.yml:3:10: first alias (`*name`) here']);
  });

  it('a few aliases are fine', () => {
    const config = parse(
      `x-pairs: &majors [EURUSD, GBPUSD]\nagents:\n  a:\n    mt4: {host: h, port: 1}\n    strategy: {pairs: *majors}\n    risk: {initial_balance: 1, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, allowed_pairs: *majors}\n`,
    );
    expect(config.agents[0]?.risk.allowed_pairs).toEqual(['EURUSD', 'GBPUSD']);
  });

  it('a directory is not a config file', () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'conf'));
    expect(configError(() => loadConfig({ path: 'conf', cwd: dir, env: isolatedEnv() })).message).toBe(
      'conf is a directory, not a config file',
    );
  });

  it('a device or a FIFO is refused, and never read or waited on', () => {
    const dir = tmpDir();
    execFileSync('mkfifo', [path.join(dir, 'agents.fifo')]);
    for (const p of ['/dev/zero', 'agents.fifo']) {
      const e = configError(() => loadConfig({ path: p, cwd: dir, env: isolatedEnv() }));
      expect(e.message).toBe(`${p} is not a regular file`);
    }
  });
});

describe('bounded reads (agents.yml and token files)', () => {
  it('reads a /proc file whole although its size says 0', () => {
    expect(fs.statSync('/proc/self/status').size).toBe(0);
    const r = readRegularFileCapped('/proc/self/status', MAX_CONFIG_BYTES);
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') expect(r.buf.toString('utf8')).toMatch(/^Name:/);
  });

  it('stops one byte past the cap, whatever the size says: a large /proc file is too large', () => {
    expect(fs.statSync('/proc/self/smaps').size).toBe(0);
    expect(readRegularFileCapped('/proc/self/smaps', 4096)).toEqual({ kind: 'too-large' });
  });

  it('exactly the cap is fine, one byte more is too large', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'a'), 'x'.repeat(100));
    const r = readRegularFileCapped(path.join(dir, 'a'), 100);
    expect(r.kind === 'ok' && r.buf.length).toBe(100);
    expect(readRegularFileCapped(path.join(dir, 'a'), 99)).toEqual({ kind: 'too-large' });
    fs.writeFileSync(path.join(dir, 'empty'), '');
    const e = readRegularFileCapped(path.join(dir, 'empty'), 10);
    expect(e.kind === 'ok' && e.buf.length).toBe(0);
  });

  it('a FIFO or a device is not regular (checked on the open file, without blocking)', () => {
    const dir = tmpDir();
    const fifo = path.join(dir, 'f');
    execFileSync('mkfifo', [fifo]);
    expect(readRegularFileCapped(fifo, 100).kind).toBe('not-regular');
    expect(readRegularFileCapped('/dev/zero', 100).kind).toBe('not-regular');
    expect(readRegularFileCapped(dir, 100).kind).toBe('not-regular');
    expect(() => readRegularFileCapped(path.join(dir, 'missing'), 100)).toThrow(/ENOENT/);
  });
});

describe('lookup order', () => {
  const VALID = `agents:\n${agent('a', 1)}`;
  function setup() {
    const base = tmpDir();
    const home = path.join(base, 'home');
    const cwd = path.join(base, 'work');
    const xdg = path.join(base, 'xdg');
    for (const d of [home, cwd, path.join(xdg, 'mt4gw'), path.join(home, '.config', 'mt4gw')]) fs.mkdirSync(d, { recursive: true });
    const files = {
      flag: path.join(base, 'flag.yml'),
      env: path.join(base, 'env.yml'),
      cwd: path.join(cwd, 'agents.yml'),
      xdg: path.join(xdg, 'mt4gw', 'agents.yml'),
      homeConfig: path.join(home, '.config', 'mt4gw', 'agents.yml'),
    };
    return { base, home, cwd, xdg, files };
  }

  it('--config, then MT4GW_CONFIG, then ./agents.yml, then $XDG_CONFIG_HOME/mt4gw/agents.yml', () => {
    const { home, cwd, xdg, files } = setup();
    for (const f of Object.values(files)) fs.writeFileSync(f, VALID);
    const env = { HOME: home, XDG_CONFIG_HOME: xdg, MT4GW_CONFIG: files.env };
    expect(findConfigPath({ flag: '../flag.yml', env, cwd })).toBe(files.flag);
    expect(locateConfig({ flag: '../flag.yml', env, cwd })).toEqual({ path: files.flag, source: 'flag', display: '../flag.yml' });
    expect(findConfigPath({ env, cwd })).toBe(files.env);
    expect(findConfigPath({ env: { HOME: home, XDG_CONFIG_HOME: xdg }, cwd })).toBe(files.cwd);
    expect(locateConfig({ env: { HOME: home, XDG_CONFIG_HOME: xdg }, cwd }).display).toBe('agents.yml');
    fs.rmSync(files.cwd);
    expect(findConfigPath({ env: { HOME: home, XDG_CONFIG_HOME: xdg }, cwd })).toBe(files.xdg);
    // XDG_CONFIG_HOME defaults to ~/.config.
    expect(findConfigPath({ env: { HOME: home }, cwd })).toBe(files.homeConfig);
    // An empty MT4GW_CONFIG counts as unset.
    expect(findConfigPath({ env: { HOME: home, MT4GW_CONFIG: '' }, cwd })).toBe(files.homeConfig);
  });

  it('a --config or MT4GW_CONFIG path that does not exist is an error naming it and its origin', () => {
    const { home, cwd } = setup();
    const flag = configError(() => findConfigPath({ flag: 'nope.yml', env: { HOME: home }, cwd }));
    expect(flag.message).toBe('config file nope.yml (given with --config) cannot be used: it does not exist');
    expect(flag.hint).toContain(path.join(cwd, 'nope.yml'));
    const env = configError(() => findConfigPath({ env: { HOME: home, MT4GW_CONFIG: '/no/such/agents.yml' }, cwd }));
    expect(env.message).toBe(
      'config file /no/such/agents.yml (from the MT4GW_CONFIG environment variable) cannot be used: it does not exist',
    );
  });

  it('when nothing is found, the error lists every place looked', () => {
    const { home, cwd, xdg } = setup();
    const e = configError(() => findConfigPath({ env: { HOME: home, XDG_CONFIG_HOME: xdg }, cwd }));
    expect(e.message).toContain('--config was not given');
    expect(e.message).toContain('MT4GW_CONFIG is not set');
    expect(e.message).toContain(path.join(cwd, 'agents.yml'));
    expect(e.message).toContain(path.join(xdg, 'mt4gw', 'agents.yml'));
    const e2 = configError(() => findConfigPath({ env: { HOME: home }, cwd }));
    expect(e2.message).toContain(path.join(home, '.config', 'mt4gw', 'agents.yml'));
  });

  it('messages name a file found by lookup relative to cwd, and one given by flag as typed', () => {
    const { home, cwd } = setup();
    fs.mkdirSync(path.join(cwd, 'sub'));
    fs.writeFileSync(path.join(cwd, 'sub', 'bad.yml'), 'agents:\n  a: {mt4: {host: h, port: 0}}\n');
    const e = configError(() => loadConfig({ path: 'sub/bad.yml', cwd, env: { HOME: home } }));
    expect(e.message).toBe('sub/bad.yml has 2 problems');
    expect(e.problems[0]).toMatch(/^sub\/bad\.yml:2:3: agents\.a\.risk: required key is missing/);
  });
});

describe('tokens', () => {
  function agentWith(token: AgentConfig['mt4']['token'], id = 'agent_1'): AgentConfig {
    return {
      id,
      name: 'Atlas',
      description: '',
      enabled: true,
      mt4: { host: '127.0.0.1', port: 8081, timeout_ms: 5000, transport: 'rest', ...(token ? { token } : {}) },
      strategy: { pairs: [] },
      risk: { initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, require_stop_loss: false },
    };
  }
  const SECRET = 'tok-5e3c7a91b2d4';

  it('a token file that is a device, a FIFO, a /proc file too large, or not UTF-8 is refused without quoting it', () => {
    const dir = tmpDir();
    const fifo = path.join(dir, 't.fifo');
    execFileSync('mkfifo', [fifo]);
    const bad = path.join(dir, 'bad.token');
    fs.writeFileSync(bad, Buffer.from([0x74, 0x6f, 0x6b, 0xff, 0xfe]), { mode: 0o600 });
    const file = (p: string) => agentWith({ kind: 'file', path: p }, 'a');
    expect(configError(() => resolveTokenDetailed(file('/dev/zero'))).message).toBe(
      'agent a (Atlas): token file /dev/zero is not a regular file',
    );
    expect(configError(() => resolveTokenDetailed(file(fifo))).message).toBe(`agent a (Atlas): token file ${fifo} is not a regular file`);
    expect(configError(() => resolveTokenDetailed(file('/proc/self/smaps'))).message).toMatch(
      /^agent a \(Atlas\): token file \/proc\/self\/smaps (is larger than 64 KiB, too large to hold a token|holds more than one line)/,
    );
    expect(configError(() => resolveTokenDetailed(file(bad))).message).toBe(`agent a (Atlas): token file ${bad} is not UTF-8 text`);
  });

  it('no token configured: undefined', () => {
    expect(resolveToken(agentWith(undefined), {})).toBeUndefined();
  });

  it('an environment reference: the variable, wrapped in a Secret', () => {
    const s = resolveToken(agentWith({ kind: 'env', variable: 'MT4GW_AGENT1_TOKEN' }), { MT4GW_AGENT1_TOKEN: ` ${SECRET}\n` });
    expect(s).toBeInstanceOf(Secret);
    expect(s?.reveal()).toBe(SECRET);
    expect(String(s)).toBe('[redacted]');
  });

  it('an unset or empty variable: a ConfigError naming the agent and the variable, with an export hint', () => {
    const a = agentWith({ kind: 'env', variable: 'MT4GW_AGENT1_TOKEN' });
    const unset = configError(() => resolveToken(a, {}));
    expect(unset.message).toBe('agent agent_1 (Atlas) needs a token: environment variable MT4GW_AGENT1_TOKEN is not set');
    expect(unset.hint).toContain('export MT4GW_AGENT1_TOKEN=…');
    expect(configError(() => resolveToken(a, { MT4GW_AGENT1_TOKEN: '  ' })).message).toContain('MT4GW_AGENT1_TOKEN is empty');
    const multi = configError(() => resolveToken(a, { MT4GW_AGENT1_TOKEN: `${SECRET}\nsecond-line` }));
    expect(visible(multi)).not.toContain(SECRET);
  });

  it('a token file, relative to the config file, trimmed; a loose mode warns to chmod 600', () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'secrets'));
    const file = path.join(dir, 'secrets', 'atlas.token');
    fs.writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(
      path.join(dir, 'agents.yml'),
      `agents:\n  agent_1:\n    mt4: {host: h, port: 1, token_file: secrets/atlas.token}\n${RISK}`,
    );
    const config = loadConfig({ cwd: dir, env: isolatedEnv() });
    const [a] = config.agents;
    if (!a) throw new Error('no agent');
    expect(a.mt4.token).toEqual({ kind: 'file', path: file });
    expect(config.warnings).toEqual([]);
    expect(resolveTokenDetailed(a, {})).toEqual({ secret: expect.any(Secret) });
    expect(resolveToken(a, {})?.reveal()).toBe(SECRET);

    if (process.platform !== 'win32') {
      fs.chmodSync(file, 0o644);
      const r = resolveTokenDetailed(a, {});
      expect(r.secret?.reveal()).toBe(SECRET);
      expect(r.warning).toBe(
        `token file ${file} of agent agent_1 can be read or written by other users (mode 644); run: chmod 600 ${file}`,
      );
      const warnings: string[] = [];
      resolveToken(a, {}, warnings);
      expect(warnings).toEqual([r.warning]);
      expect(loadConfig({ cwd: dir, env: isolatedEnv() }).warnings).toEqual([r.warning]);
      expect(r.warning).not.toContain(SECRET);
    }
  });

  it('a missing or unusable token file: a ConfigError, never the content', () => {
    const dir = tmpDir();
    const missing = configError(() => resolveToken(agentWith({ kind: 'file', path: path.join(dir, 'none') }), {}));
    expect(missing.message).toBe(
      `agent agent_1 (Atlas) needs a token: token file ${path.join(dir, 'none')} cannot be used: it does not exist`,
    );
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '\n');
    expect(configError(() => resolveToken(agentWith({ kind: 'file', path: empty }), {})).message).toContain('is empty');
    const twoLines = path.join(dir, 'two');
    fs.writeFileSync(twoLines, `${SECRET}\nmore\n`);
    const e = configError(() => resolveToken(agentWith({ kind: 'file', path: twoLines }), {}));
    expect(e.message).toContain('holds more than one line');
    expect(visible(e)).not.toContain(SECRET);
  });

  it('resolveTokens reports every missing token at once', () => {
    const agents = [
      agentWith({ kind: 'env', variable: 'MT4GW_AGENT1_TOKEN' }, 'agent_1'),
      agentWith({ kind: 'env', variable: 'MT4GW_AGENT2_TOKEN' }, 'agent_2'),
      agentWith(undefined, 'agent_3'),
      agentWith({ kind: 'env', variable: 'MT4GW_AGENT4_TOKEN' }, 'agent_4'),
    ];
    const e = configError(() => resolveTokens(agents, { MT4GW_AGENT2_TOKEN: SECRET }));
    expect(e.message).toBe('2 agents are missing their tokens');
    expect(e.problems).toEqual([
      'agent agent_1 (Atlas) needs a token: environment variable MT4GW_AGENT1_TOKEN is not set',
      'agent agent_4 (Atlas) needs a token: environment variable MT4GW_AGENT4_TOKEN is not set',
    ]);
    expect(e.hint).toBe('Set them before running mt4gw: export MT4GW_AGENT1_TOKEN=…; export MT4GW_AGENT4_TOKEN=…');
    expect(visible(e)).not.toContain(SECRET);

    const tokens = resolveTokens(agents, { MT4GW_AGENT1_TOKEN: 'a', MT4GW_AGENT2_TOKEN: 'b', MT4GW_AGENT4_TOKEN: 'd' });
    expect([...tokens].map(([id, s]) => [id, s?.reveal()])).toEqual([
      ['agent_1', 'a'],
      ['agent_2', 'b'],
      ['agent_3', undefined],
      ['agent_4', 'd'],
    ]);
  });
});

describe('suggestions', () => {
  it('edit distance counts insertions, deletions, substitutions and transpositions', () => {
    expect(editDistance('max_positon', 'max_positions')).toBe(2);
    expect(editDistance('hots', 'host')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
  it('closest finds typos and other spellings, and nothing for unrelated words', () => {
    const keys = ['initial_balance', 'max_risk_per_trade', 'max_daily_loss', 'max_positions', 'lot_size'];
    expect(closest('max_positon', keys)).toBe('max_positions');
    expect(closest('maxDailyLoss', keys)).toBe('max_daily_loss');
    expect(closest('lot', keys)).toBeUndefined();
    expect(closest('colour', keys)).toBeUndefined();
  });
});
