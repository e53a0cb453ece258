// agents.yml with `mt4.transport: metaapi`: its keys and rules, the messages of its mistakes, the
// duplicate-account check, the JSON Schema, `config show` and the init template's example.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../src/config/json-schema.js';
import { parseConfigText } from '../src/config/load.js';
import { explainConfig } from '../src/config/origin.js';
import { initTemplate } from '../src/config/template.js';
import { ConfigError } from '../src/errors.js';

const RISK = '    risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1}\n';
const ID = '865d3a4d-3803-486d-bdf3-a85679d9fad2';

function parse(text: string) {
  return parseConfigText(text, { path: path.join(os.tmpdir(), 'agents.yml'), display: 'agents.yml', env: { HOME: os.tmpdir() } });
}
function problems(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
const agent = (key: string, mt4: string) => `  ${key}:\n    mt4: {${mt4}}\n${RISK}`;

describe('mt4.transport: metaapi', () => {
  it('takes account_id and a token; the address is the region’s (new-york by default) or base_url', () => {
    const c = parse(
      `agents:\n${agent('a', `transport: metaapi, account_id: ${ID}, token: "\${T_A}"`)}${agent(
        'b',
        `transport: metaapi, account_id: acc-2, region: London, token_file: b.token, timeout_ms: 15000`,
      )}${agent('c', `transport: metaapi, account_id: acc-3, base_url: "http://127.0.0.1:9300/", token: "\${T_C}"`)}`,
    );
    expect(c.agents.map((a) => a.mt4)).toEqual([
      {
        transport: 'metaapi',
        account_id: ID,
        base_url: 'https://mt-client-api-v1.new-york.agiliumtrade.ai',
        region: 'new-york',
        token: { kind: 'env', variable: 'T_A' },
        timeout_ms: 5000,
      },
      {
        transport: 'metaapi',
        account_id: 'acc-2',
        base_url: 'https://mt-client-api-v1.london.agiliumtrade.ai',
        region: 'london',
        token: { kind: 'file', path: path.join(os.tmpdir(), 'b.token') },
        timeout_ms: 15000,
      },
      {
        transport: 'metaapi',
        account_id: 'acc-3',
        base_url: 'http://127.0.0.1:9300',
        token: { kind: 'env', variable: 'T_C' },
        timeout_ms: 5000,
      },
    ]);
  });

  it('names each mistake at its key: no host or port, an account id, a token, region or base_url, https', () => {
    expect(problems(`agents:\n${agent('a', 'transport: metaapi, host: 127.0.0.1, port: 8081')}`)).toEqual([
      "agents.yml:3:5: agents.a.mt4.account_id: required key is missing; expected MetaApi's account id, such as 865d3a4d-3803-486d-bdf3-a85679d9fad2 (not the MT4 login)",
      'agents.yml:3:5: agents.a.mt4.token: required key is missing; MetaApi needs its API token: write `token: ${NAME}` (an environment variable) or `token_file: path`',
      "agents.yml:3:37: agents.a.mt4.host: with transport metaapi there is no `host`: MetaApi is reached at its region's address (mt4.region) or mt4.base_url",
      "agents.yml:3:54: agents.a.mt4.port: with transport metaapi there is no `port`: MetaApi is reached at its region's address (mt4.region) or mt4.base_url",
    ]);
    expect(
      problems(
        `agents:\n${agent('a', `transport: metaapi, account_id: x, token: "\${T}", region: london, base_url: "https://example.com"`)}`,
      ),
    ).toEqual(['agents.yml:3:87: agents.a.mt4.base_url: set either `region` or `base_url`, not both']);
    expect(
      problems(`agents:\n${agent('a', `transport: metaapi, account_id: x, token: "\${T}", base_url: "http://example.com"`)}`)[0],
    ).toMatch(/base_url: expected an https URL .*got "http:\/\/example.com": plain http would send the token unencrypted; use https/);
    expect(
      problems(`agents:\n${agent('a', `transport: metaapi, account_id: x, token: "\${T}", base_url: "https://u:p@example.com/"`)}`)[0],
    ).toMatch(/must not hold a user name or password/);
    expect(problems(`agents:\n${agent('a', `transport: metaapi, account_id: "a/b", token: "\${T}"`)}`)[0]).toMatch(
      /account_id: expected MetaApi's account id/,
    );
    // MetaApi's keys on a REST agent, and a REST agent without its host.
    expect(problems(`agents:\n${agent('a', 'host: h, port: 1, account_id: x')}`)).toEqual([
      'agents.yml:3:41: agents.a.mt4.account_id: `account_id` applies to transport metaapi only: remove it, or set `transport: metaapi`',
    ]);
    expect(problems(`agents:\n${agent('a', 'port: 1')}`)).toEqual([
      'agents.yml:3:5: agents.a.mt4.host: required key is missing; expected a host name or IP address such as 127.0.0.1',
    ]);
  });

  it('two agents on one MetaApi account are refused, whatever address each goes to', () => {
    const p = problems(
      `agents:\n${agent('a', `transport: metaapi, account_id: ${ID}, token: "\${T}"`)}${agent(
        'b',
        `transport: metaapi, account_id: ${ID.toUpperCase()}, region: london, token: "\${T}"`,
      )}`,
    );
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      /agents\.b\.mt4\.account_id: MetaApi account 865D3A4D-\S+ is already a's; two agents on one account would trade it under two locks/,
    );
  });

  it('a desk mixes rest, dwx and metaapi agents', () => {
    const c = parse(
      `agents:\n${agent('r', 'host: 127.0.0.1, port: 8081')}${agent('d', 'host: 127.0.0.1, transport: dwx, currency: USD')}${agent(
        'm',
        `transport: metaapi, account_id: ${ID}, token: "\${T}"`,
      )}`,
    );
    expect(c.agents.map((a) => a.mt4.transport)).toEqual(['rest', 'dwx', 'metaapi']);
  });

  it('config show: the account id, the region by default, base_url from the region, the token never', () => {
    const text = `agents:\n${agent('a', `transport: metaapi, account_id: ${ID}, token: "\${T_A}"`)}`;
    const shown = explainConfig(text, parse(text), { env: { T_A: 'secret-metaapi-token' }, timeoutMs: undefined });
    const values = Object.fromEntries(shown.agents[0]!.values.map((v) => [v.key, v]));
    expect(values['mt4.account_id']).toMatchObject({ value: ID, origin: { kind: 'file', line: 3 } });
    expect(values['mt4.region']).toMatchObject({ value: 'new-york', origin: { kind: 'builtin' } });
    expect(values['mt4.base_url']).toMatchObject({ origin: { kind: 'derived', from: 'mt4.region' } });
    expect(values['mt4.token']).toMatchObject({ value: '<redacted>', origin: { kind: 'env', variable: 'T_A', set: true } });
    expect(values['mt4.host']).toBeUndefined();
    expect(JSON.stringify(shown)).not.toContain('secret-metaapi-token');
  });

  it('the JSON Schema requires account_id for metaapi and forbids host and port there', () => {
    const schema = JSON.stringify(configJsonSchema());
    expect(schema).toContain('"const":"metaapi"');
    const rule = (configJsonSchema() as { else: { properties: { agents: { additionalProperties: unknown } } } }).else.properties.agents
      .additionalProperties as { properties: { mt4: { allOf: Array<{ if: unknown; then: { required: string[]; not: unknown } }> } } };
    const meta = rule.properties.mt4.allOf.find((r) => JSON.stringify(r.if).includes('metaapi'))!;
    expect(meta.then.required).toEqual(['account_id']);
    expect(JSON.stringify(meta.then.not)).toContain('"host"');
    expect(JSON.stringify(meta.then.not)).toContain('"port"');
  });

  it('the init template’s MetaApi agent is valid once uncommented', () => {
    const lines = initTemplate().split('\n');
    const start = lines.findIndex((l) => l.startsWith('  # agent_3:'));
    expect(start).toBeGreaterThan(0);
    let end = start;
    while (lines[end + 1]?.startsWith('  #   ')) end++;
    const block = lines.slice(start, end + 1).map((l) => l.replace(/^ {2}# ?/, '  '));
    const c = parse(`agents:\n${block.join('\n')}\n`);
    expect(c.agents[0]!.mt4).toMatchObject({ transport: 'metaapi', account_id: ID, timeout_ms: 15000 });
  });
});
