// `mt4gw config validate|show|init|schema`, the JSON Schema and the shipped agents.yml's $schema
// line. The e2e cases run the built binary (npm test builds it first) against temporary files; no
// bridge is ever contacted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { configJsonSchema, configJsonSchemaText } from '../src/config/json-schema.js';
import { parseConfigText } from '../src/config/load.js';
import { explainConfig } from '../src/config/origin.js';
import { initTemplate } from '../src/config/template.js';
import { baseEnv, runCli } from './helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mt4gw-config-tools-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function dir(): string {
  const d = path.join(tmp, String(n++));
  fs.mkdirSync(d, { recursive: true });
  return d;
}
/** An environment with a private HOME and XDG dirs, so no real config is ever found. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  const home = dir();
  return baseEnv({ HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), MT4GW_STATE_DIR: path.join(home, 'state'), ...extra });
}
function write(text: string, name = 'agents.yml'): string {
  const file = path.join(dir(), name);
  fs.writeFileSync(file, text);
  return file;
}

const RISK = '    risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1}\n';

const GOOD = `defaults:
  mt4:
    timeout_ms: 3000
agents:
  agent_1:
    name: Atlas
    mt4:
      host: 127.0.0.1
      port: 8081
      token: \${CT_TOKEN_1}
    strategy:
      pairs: [XAUUSD]
    risk:
      initial_balance: 200
      max_risk_per_trade: 0.01
      max_daily_loss: 0.05
      max_positions: 1
      lot_size: 0.01
  agent_2:
    mt4:
      host: 127.0.0.1
      port: 8082
      token: \${CT_TOKEN_2}
    risk: {initial_balance: 500, max_risk_per_trade: 0.015, max_daily_loss: 0.05, max_positions: 2}
`;

/**
 * A JSON Schema (draft-07) validator for the keywords agents.schema.json uses, as an editor applies
 * them. An unknown keyword is an error, so the schema cannot outgrow what this test checks.
 */
function validate(schema: unknown, value: unknown, at = '$'): string[] {
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [`${at}: not allowed`];
  const s = schema as Record<string, any>;
  const errors: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const typeOk = (t: string) =>
    t === 'object'
      ? isObj(value)
      : t === 'array'
        ? Array.isArray(value)
        : t === 'integer'
          ? Number.isInteger(value)
          : t === 'number'
            ? typeof value === 'number'
            : t === 'null'
              ? value === null
              : typeof value === t;
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case '$schema':
      case 'title':
      case 'description':
      case 'default':
      case 'then':
      case 'else':
        break;
      case 'type':
        if (!(Array.isArray(v) ? v : [v]).some(typeOk)) errors.push(`${at}: expected ${v}`);
        break;
      case 'const':
        if (value !== v) errors.push(`${at}: expected ${JSON.stringify(v)}`);
        break;
      case 'enum':
        if (!v.includes(value)) errors.push(`${at}: expected one of ${v.join(', ')}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(v, 'u').test(value)) errors.push(`${at}: does not match ${v}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && [...value].length < v) errors.push(`${at}: too short`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < v) errors.push(`${at}: below ${v}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > v) errors.push(`${at}: above ${v}`);
        break;
      case 'exclusiveMinimum':
        if (typeof value === 'number' && value <= v) errors.push(`${at}: not above ${v}`);
        break;
      case 'items':
        if (Array.isArray(value)) for (const [i, x] of value.entries()) errors.push(...validate(v, x, `${at}[${i}]`));
        break;
      case 'required':
        if (isObj(value)) for (const r of v) if (!(r in value)) errors.push(`${at}: ${r} is required`);
        break;
      case 'minProperties':
        if (isObj(value) && Object.keys(value).length < v) errors.push(`${at}: needs ${v} key(s)`);
        break;
      case 'propertyNames':
        if (isObj(value)) for (const key of Object.keys(value)) errors.push(...validate(v, key, `${at} key ${key}`));
        break;
      case 'properties':
        if (isObj(value))
          for (const [key, sub] of Object.entries(v)) if (key in value) errors.push(...validate(sub, value[key], `${at}.${key}`));
        break;
      case 'patternProperties':
        if (isObj(value))
          for (const [re, sub] of Object.entries(v))
            for (const key of Object.keys(value))
              if (new RegExp(re, 'u').test(key)) errors.push(...validate(sub, value[key], `${at}.${key}`));
        break;
      case 'additionalProperties':
        if (isObj(value)) {
          const known = Object.keys(s.properties ?? {});
          const patterns = Object.keys(s.patternProperties ?? {}).map((re) => new RegExp(re, 'u'));
          for (const key of Object.keys(value)) {
            if (known.includes(key) || patterns.some((re) => re.test(key))) continue;
            errors.push(...(v === false ? [`${at}: unknown key ${key}`] : validate(v, value[key], `${at}.${key}`)));
          }
        }
        break;
      case 'allOf':
        for (const sub of v) errors.push(...validate(sub, value, at));
        break;
      case 'anyOf':
        if (!v.some((sub: unknown) => validate(sub, value, at).length === 0)) errors.push(`${at}: matches none of anyOf`);
        break;
      case 'not':
        if (validate(v, value, at).length === 0) errors.push(`${at}: must not match ${JSON.stringify(v)}`);
        break;
      case 'if':
        errors.push(...validate(validate(v, value, at).length === 0 ? s.then : s.else, value, at));
        break;
      default:
        errors.push(`${at}: the test validator does not know the keyword ${k}`);
    }
  }
  return errors;
}

describe('the JSON Schema', () => {
  it('agents.schema.json is exactly what the zod schema generates (run `npm run schema` after changing src/config/schema.ts)', () => {
    const shipped = fs.readFileSync(path.join(ROOT, 'agents.schema.json'), 'utf8');
    expect(shipped).toBe(configJsonSchemaText());
  });

  it('the shipped agents.yml starts with the yaml-language-server line, pointing at a file that exists', () => {
    const first = fs.readFileSync(path.join(ROOT, 'agents.yml'), 'utf8').split('\n')[0]!;
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(m, first).not.toBeNull();
    expect(fs.existsSync(path.resolve(ROOT, m![1]!))).toBe(true);
  });

  const schema = {
    safeParse: (value: unknown) => ({
      success: validate(configJsonSchema(), value).length === 0,
      errors: validate(configJsonSchema(), value),
    }),
  };
  const data = (text: string) => parseYaml(text) as Record<string, any>;

  it('accepts the shipped agents.yml, the architecture fixture, the init template and a file with defaults and x- anchors', () => {
    for (const text of [
      fs.readFileSync(path.join(ROOT, 'agents.yml'), 'utf8'),
      fs.readFileSync(path.join(ROOT, 'test/fixtures/config/architecture.yml'), 'utf8'),
      initTemplate({ schemaRef: './agents.schema.json' }),
      `x-majors: &majors [EURUSD]\n${GOOD}`,
    ]) {
      expect(schema.safeParse(data(text)).errors).toEqual([]);
    }
  });

  it('rejects what load.ts rejects field by field: literal tokens, unknown keys, bad ids, ports, fractions, missing limits', () => {
    const bad = (mutate: (d: Record<string, any>) => void) => {
      const d = data(GOOD.replace(/^defaults:\n {2}mt4:\n {4}timeout_ms: 3000\n/, ''));
      mutate(d);
      return schema.safeParse(d).success;
    };
    expect(bad(() => undefined)).toBe(true);
    expect(bad((d) => (d.agents.agent_1.mt4.token = 'sk-literal-secret'))).toBe(false);
    expect(bad((d) => (d.agents.agent_1.risk.max_positon = 1))).toBe(false);
    expect(bad((d) => (d.agents['1agent'] = d.agents.agent_2))).toBe(false);
    expect(bad((d) => (d.agents.agent_1.mt4.port = 70000))).toBe(false);
    expect(bad((d) => (d.agents.agent_1.risk.max_daily_loss = 5))).toBe(false);
    expect(bad((d) => delete d.agents.agent_2.risk.max_positions)).toBe(false);
    expect(bad((d) => (d.bogus = true))).toBe(false);
    expect(bad((d) => (d.agents = {}))).toBe(false);
  });

  it('required keys are enforced when there is no defaults: (which may supply any of them), never flagging a valid file', () => {
    const ok = (text: string) => schema.safeParse(data(text)).success;
    const noDefaults = GOOD.replace(/^defaults:\n {2}mt4:\n {4}timeout_ms: 3000\n/, '');
    expect(ok(noDefaults)).toBe(true);
    expect(ok(noDefaults.replace('      host: 127.0.0.1\n      port: 8081\n', '      host: 127.0.0.1\n'))).toBe(false);
    expect(ok(noDefaults.replace('      max_positions: 1\n', ''))).toBe(false);
    // docs/configuration.md: host and the risk limits from defaults.
    const fromDefaults = `defaults:
  mt4: {host: 127.0.0.1, timeout_ms: 3000}
  risk: {initial_balance: 100, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1}
agents:
  agent_1: {mt4: {port: 8081}}
  agent_2: {mt4: {port: 8082}, risk: {max_positions: 2}}
`;
    expect(ok(fromDefaults)).toBe(true);
    expect(() => parseConfigText(fromDefaults, { path: '/x/agents.yml', env: {} })).not.toThrow();
  });

  it('the transport rules: rest needs port and takes no DWX keys; dwx takes no port or token and needs currency', () => {
    const mt4Props = (configJsonSchema() as any).else.properties.agents.additionalProperties.properties.mt4.properties;
    if (!('push_port' in mt4Props)) return; // a schema without the dwx transport
    const ok = (mt4: string) => schema.safeParse(data(`agents:\n  a1:\n    mt4: ${mt4}\n${RISK}`)).success;
    expect(ok('{host: 127.0.0.1, port: 8081}')).toBe(true);
    expect(ok('{host: 127.0.0.1}')).toBe(false);
    expect(ok('{host: 127.0.0.1, port: 8081, push_port: 32768}')).toBe(false);
    expect(ok('{host: 127.0.0.1, transport: dwx, currency: USD}')).toBe(true);
    expect(ok('{host: 127.0.0.1, transport: dwx, currency: USD, push_port: 40000, pull_port: 40001, pub_port: 40002}')).toBe(true);
    expect(ok('{host: 127.0.0.1, transport: dwx}')).toBe(false);
    expect(ok('{host: 127.0.0.1, transport: dwx, currency: USD, port: 8081}')).toBe(false);
    expect(ok('{host: 127.0.0.1, transport: dwx, currency: USD, token: "${X}"}')).toBe(false);
  });

  it('describes keys for editors (hover text) and keeps defaults', () => {
    const agent = (configJsonSchema() as any).else.properties.agents.additionalProperties;
    expect(agent.properties.risk.properties.max_daily_loss.description).toMatch(/fraction/);
    expect(agent.properties.mt4.properties.timeout_ms.default).toBe(5000);
    expect(agent.properties.mt4.properties.token.pattern).toBe('^\\$\\{([A-Za-z_][A-Za-z0-9_]*)\\}$');
  });

  it('`config schema` prints it on stdout', async () => {
    const r = await runCli(['config', 'schema'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(configJsonSchemaText());
    expect(r.stderr).toBe('');
  });
});

describe('config validate', () => {
  it('exits 0 with a one-line verdict when the file and every token are fine', async () => {
    const file = write(GOOD);
    const r = await runCli(['--config', file, 'config', 'validate'], { env: env({ CT_TOKEN_1: 'a', CT_TOKEN_2: 'b' }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid — 2 agents \(agent_1, agent_2\), every token resolves/);
  });

  it('lists every problem of the file at once, with file:line:column, and exits 2', async () => {
    const file = write(
      GOOD.replace('max_positions: 1\n', 'max_positon: 1\n')
        .replace('port: 8082', 'port: 8081')
        .replace('max_risk_per_trade: 0.015', 'max_risk_per_trade: "1.5%"'),
    );
    const r = await runCli(['--config', file, 'config', 'validate'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => /agents\.yml:\d+:\d+: /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(r.stderr).toContain('did you mean `max_positions`?');
    expect(r.stderr).toContain('is already used by agent_1');
    expect(r.stderr).toContain('fractions, not percentages');
    expect(r.stderr).toMatch(/max_positions: required key is missing/);
  });

  it('names every agent whose token cannot be resolved; --no-tokens checks the file alone', async () => {
    const file = write(GOOD);
    const r = await runCli(['--config', file, 'config', 'validate'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CT_TOKEN_1 is not set');
    expect(r.stderr).toContain('CT_TOKEN_2 is not set');
    const ok = await runCli(['--config', file, 'config', 'validate', '--no-tokens'], { env: env() });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/valid — 2 agents/);
    expect(ok.stdout).not.toContain('token');
  });

  it('--json gives the verdict as data, valid or not', async () => {
    const good = await runCli(['--json', '--config', write(GOOD), 'config', 'validate', '--no-tokens'], { env: env() });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, agents: ['agent_1', 'agent_2'], problems: [] });
    const bad = await runCli(['--config', write(GOOD.replace('port: 8082', 'port: 0')), 'config', 'validate', '--json'], { env: env() });
    expect(bad.code).toBe(2);
    const j = JSON.parse(bad.stdout);
    expect(j.valid).toBe(false);
    expect(j.problems).toHaveLength(1);
    expect(j.problems[0]).toMatch(/agents\.yml:\d+:\d+: agents\.agent_2\.mt4\.port: expected a TCP port/);
  });

  it('a YAML syntax error and a missing file are problems too (exit 2)', async () => {
    const broken = await runCli(['--config', write('agents:\n  agent_1: {mt4: [\n'), 'config', 'validate'], { env: env() });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/is not valid YAML/);
    const missing = await runCli(['--config', path.join(tmp, 'nope.yml'), 'config', 'validate'], { env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot be used: it does not exist/);
  });
});

describe('config show', () => {
  it('says where every value came from: the file, defaults:, built-in defaults, the environment, a flag', () => {
    const text = GOOD;
    const config = parseConfigText(text, { path: '/x/agents.yml', env: {} });
    const shown = explainConfig(text, config, { env: { CT_TOKEN_1: 'secret-value' }, timeoutMs: undefined });
    const a1 = Object.fromEntries(shown.agents[0]!.values.map((v) => [v.key, v]));
    expect(a1.name!.origin).toEqual({ kind: 'file', line: 6 });
    expect(a1['mt4.timeout_ms']!.origin).toEqual({ kind: 'defaults', line: 3 });
    expect(a1['mt4.transport']!.origin).toEqual({ kind: 'builtin' });
    expect(a1['risk.max_lots']!.origin).toEqual({ kind: 'derived', from: 'risk.lot_size' });
    expect(a1.id!.origin.kind).toBe('derived');
    expect(a1['mt4.token']).toMatchObject({ value: '<redacted>', origin: { kind: 'env', variable: 'CT_TOKEN_1', set: true, line: 10 } });
    const a2 = Object.fromEntries(shown.agents[1]!.values.map((v) => [v.key, v]));
    expect(a2['mt4.token']).toMatchObject({ value: '<not set>', origin: { kind: 'env', variable: 'CT_TOKEN_2', set: false } });
    expect(a2.name).toMatchObject({ value: 'agent_2', origin: { kind: 'derived', from: 'the id' } });
    const flagged = explainConfig(text, config, { env: {}, timeoutMs: 1500 });
    expect(flagged.agents[0]!.values.find((v) => v.key === 'mt4.timeout_ms')).toMatchObject({
      value: 1500,
      origin: { kind: 'flag', flag: '--timeout', file: 3000 },
    });
  });

  it('prints the resolved config with origins, never a token value', async () => {
    const file = write(GOOD);
    const secret = 'tok-very-secret-123';
    const r = await runCli(['--config', file, '--timeout', '2s', 'config', 'show'], { env: env({ CT_TOKEN_1: secret }) });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stdout).toMatch(/config\s+\S+agents\.yml\s+\(given with --config\)/);
    expect(r.stdout).toMatch(/^agent_1 \(Atlas\)$/m);
    expect(r.stdout).toMatch(/mt4\.token\s+<redacted>\s+env CT_TOKEN_1, named at \S+:10/);
    expect(r.stdout).toMatch(/mt4\.token\s+<not set>\s+env CT_TOKEN_2 \(not set\)/);
    expect(r.stdout).toMatch(/mt4\.timeout_ms\s+2000\s+--timeout \(file: 3000\)/);
    expect(r.stdout).toMatch(/risk\.require_stop_loss\s+false\s+default/);
    expect(r.stdout).toMatch(/state dir\s+\S+\s+\(env MT4GW_STATE_DIR\)/);
  });

  it('--json, for some agents, and the config found through MT4GW_CONFIG', async () => {
    const file = write(GOOD);
    const r = await runCli(['--json', 'config', 'show', 'agent_2'], { env: env({ MT4GW_CONFIG: file, CT_TOKEN_2: 'zzz-secret' }) });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('zzz-secret');
    const j = JSON.parse(r.stdout);
    expect(j.config).toMatchObject({ path: file, found: 'env' });
    expect(j.agents.map((a: { id: string }) => a.id)).toEqual(['agent_2']);
    const port = j.agents[0].values.find((v: { key: string }) => v.key === 'mt4.port');
    expect(port).toMatchObject({ value: 8082, origin: { kind: 'file' }, from: expect.stringMatching(/agents\.yml:\d+$/) });
  });

  it('an unknown agent is a usage error with a suggestion', async () => {
    const r = await runCli(['--config', write(GOOD), 'config', 'show', 'agent_9'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown agent "agent_9"/);
  });
});

describe('config init', () => {
  it('writes a commented agents.yml that validates, with the $schema line of the installed schema', async () => {
    const e = env();
    const r = await runCli(['config', 'init'], { env: e, cwd: dir() });
    expect(r.code).toBe(0);
    const target = path.join(e.XDG_CONFIG_HOME!, 'mt4gw', 'agents.yml');
    expect(r.stdout.trim()).toBe(target);
    const text = fs.readFileSync(target, 'utf8');
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${path.join(ROOT, 'agents.schema.json')}`);
    expect(text).toMatch(/^\s+token: \$\{MT4GW_AGENT1_TOKEN\}/m);
    expect(text.split('\n').filter((l) => l.trim().startsWith('#')).length).toBeGreaterThan(20);
    // Found through the XDG location by every other command.
    const v = await runCli(['config', 'validate', '--no-tokens'], { env: e, cwd: dir() });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/valid — 1 agent \(agent_1\)/);
  });

  it('never overwrites without --force', async () => {
    const file = path.join(dir(), 'agents.yml');
    fs.writeFileSync(file, 'mine\n');
    const r = await runCli(['config', 'init', file], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; nothing was written/);
    expect(r.stderr).toMatch(/--force/);
    expect(fs.readFileSync(file, 'utf8')).toBe('mine\n');
    const forced = await runCli(['config', 'init', file, '--force', '--no-schema'], { env: env() });
    expect(forced.code).toBe(0);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('yaml-language-server');
    expect(text).toMatch(/^agents:$/m);
  });

  it('writes where --config points, with a given $schema reference, creating directories', async () => {
    const file = path.join(dir(), 'deep', 'er', 'desk.yml');
    const r = await runCli(['--config', file, 'config', 'init', '--schema', './agents.schema.json'], { env: env() });
    expect(r.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./agents.schema.json');
    const d = path.dirname(file);
    const asDir = await runCli(['config', 'init', d], { env: env() });
    expect(asDir.code).toBe(2);
    expect(asDir.stderr).toMatch(/is a directory/);
  });

  it('the template itself passes the validator', () => {
    const config = parseConfigText(initTemplate({ schemaRef: '/x/agents.schema.json' }), { path: '/x/agents.yml', env: {} });
    expect(config.agents.map((a) => [a.id, a.mt4.transport === 'rest' && a.mt4.port, a.risk.lot_size])).toEqual([['agent_1', 8081, 0.01]]);
  });
});
