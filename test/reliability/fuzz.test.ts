// Property tests: whatever a bridge answers, whatever agents.yml holds, the parsers return a value
// or a clean, typed error — never an unexpected exception.
import fc from 'fast-check';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BridgeClient, decodeAnswer } from '../../src/bridge/client.js';
import { BridgeError } from '../../src/bridge/errors.js';
import { AccountSchema, PositionSchema, TradeReplySchema } from '../../src/bridge/schemas.js';
import { parseConfigText } from '../../src/config/load.js';
import { Secret } from '../../src/config/secret.js';
import { ConfigError } from '../../src/errors.js';

const schemas = [AccountSchema, PositionSchema.array(), TradeReplySchema];

describe('bridge answer parser', () => {
  it('any status and any text: a value or a BridgeError naming agent and endpoint', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(200, 200, 200, 400, 401, 404, 500, 503),
        fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.constant('{"balance":"x"}')),
        fc.constantFrom(...schemas),
        (status, text, schema) => {
          try {
            decodeAnswer('agent_9', 'GET /account', status, text, schema);
            expect(status).toBe(200);
          } catch (e) {
            expect(e).toBeInstanceOf(BridgeError);
            expect((e as Error).message.startsWith('agent_9: GET /account: ')).toBe(true);
            expect((e as Error).message).not.toMatch(/\n/);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('objects close to a valid account, with fields mutated: a value or a BridgeError', () => {
    const valid = { login: 1, name: 'n', server: 's', currency: 'USD', leverage: 500, balance: 1, equity: 1, margin: 0, free_margin: 1, margin_level: 0, profit: 0, server_time: '2026-11-22T10:15:00+02:00', trade_allowed: true };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(valid)), fc.jsonValue(), (key, value) => {
        const text = JSON.stringify({ ...valid, [key]: value });
        try {
          const a = decodeAnswer('a', 'GET /account', 200, text, AccountSchema);
          expect(typeof a.balance).toBe('number');
        } catch (e) {
          expect(e).toBeInstanceOf(BridgeError);
          expect((e as Error).message).toContain(`field \`${key}\``);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a bridge echoing the token in its error never makes the client print it', async () => {
    const token = 'tok-ECHO-1234567890';
    const server = createServer((req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal', message: `bad header ${req.headers.authorization}` }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new BridgeClient({ id: 'agent_1', host: '127.0.0.1', port: (server.address() as AddressInfo).port, timeoutMs: 2000, token: new Secret(token) });
    try {
      const err = await client.account().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BridgeError);
      expect((err as Error).message).toContain('[redacted]');
      expect((err as Error).message).not.toContain(token);
    } finally {
      await client.close();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('config loader', () => {
  const parse = (text: string) => parseConfigText(text, { path: '/tmp/fuzz/agents.yml', display: 'agents.yml', env: {} });

  it('any text: a Config or a ConfigError, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('agents:', 'agents: []', '- a', 'a: *b', '&a [*a]', ': :', 'agents:\n  x: {mt4: }')), (text) => {
        try {
          parse(text);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('any YAML value at any place of a valid agent: a Config or a ConfigError naming the field', () => {
    const keys = ['name', 'enabled', 'mt4.host', 'mt4.port', 'mt4.timeout_ms', 'mt4.token', 'strategy.pairs', 'risk.initial_balance', 'risk.max_risk_per_trade', 'risk.max_daily_loss', 'risk.max_positions', 'risk.lot_size', 'risk.max_lots', 'risk.allowed_pairs'];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (key, value) => {
        const agent: Record<string, Record<string, unknown> | unknown> = {
          name: 'A',
          mt4: { host: '127.0.0.1', port: 8081 },
          strategy: { pairs: ['XAUUSD'] },
          risk: { initial_balance: 200, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, lot_size: 0.01 },
        };
        const [a, b] = key.split('.');
        if (b) (agent[a!] as Record<string, unknown>)[b] = value;
        else agent[a!] = value;
        try {
          parse(JSON.stringify({ agents: { agent_1: agent } }));
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect((e as ConfigError).problems.join('\n')).toMatch(/agents\.yml:\d+:\d+: /);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
