// Property tests: whatever a bridge answers, whatever agents.yml holds, whatever a signal service
// sends, the parsers return a value or a clean, typed error — never an unexpected exception.
import fc from 'fast-check';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BridgeClient, decodeAnswer } from '../../src/bridge/client.js';
import { BridgeError } from '../../src/bridge/errors.js';
import { AccountSchema, PositionSchema, TradeReplySchema } from '../../src/bridge/schemas.js';
import { parseConfigText } from '../../src/config/load.js';
import { Secret } from '../../src/config/secret.js';
import { ConfigError, EXIT, UsageError } from '../../src/errors.js';
import { findDuplicateKeys } from '../../src/trading/json-duplicates.js';
import { MAX_PRICE, SIGNAL_KEYS, parseSignals, validateSignals } from '../../src/trading/signal.js';

const schemas = [AccountSchema, PositionSchema.array(), TradeReplySchema];

describe('bridge answer parser', () => {
  it('any status and any text: a value or a BridgeError naming agent and endpoint', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(200, 200, 200, 400, 401, 404, 500, 503),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.constant('{"balance":"x"}'),
        ),
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
    const valid = {
      login: 1,
      name: 'n',
      server: 's',
      currency: 'USD',
      leverage: 500,
      balance: 1,
      equity: 1,
      margin: 0,
      free_margin: 1,
      margin_level: 0,
      profit: 0,
      server_time: '2026-11-22T10:15:00+02:00',
      trade_allowed: true,
    };
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
    const client = new BridgeClient({
      id: 'agent_1',
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      timeoutMs: 2000,
      token: new Secret(token),
    });
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
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.constantFrom('agents:', 'agents: []', '- a', 'a: *b', '&a [*a]', ': :', 'agents:\n  x: {mt4: }'),
        ),
        (text) => {
          try {
            parse(text);
          } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('any YAML value at any place of a valid agent: a Config or a ConfigError naming the field', () => {
    const keys = [
      'name',
      'enabled',
      'mt4.host',
      'mt4.port',
      'mt4.timeout_ms',
      'mt4.token',
      'strategy.pairs',
      'risk.initial_balance',
      'risk.max_risk_per_trade',
      'risk.max_daily_loss',
      'risk.max_positions',
      'risk.lot_size',
      'risk.max_lots',
      'risk.allowed_pairs',
    ];
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

describe('signal parser', () => {
  // A valid signal with every field; the properties below change it a little, the way a buggy or
  // hostile signal service might.
  const VALID = {
    id: 'model-7:2026-11-20T08:15',
    symbol: 'XAUUSD',
    side: 'long',
    sl: 2640.5,
    tp: 2660,
    entry: 2650,
    confidence: 0.78,
    created_at: '2026-11-20T08:15:00Z',
  };
  const KEYS = [...SIGNAL_KEYS];
  /** Values a field might wrongly carry: every JSON shape, and the numbers that break naive code. */
  const oddValue = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      1e300,
      -1e300,
      Number.MAX_SAFE_INTEGER,
      5e-324,
      MAX_PRICE,
      MAX_PRICE - 1e-6,
      0,
      -1,
      1.0000001,
    ),
    fc.double(),
    fc.constantFrom(
      '',
      ' ',
      '2640',
      '2,640.5',
      '78%',
      'LONG',
      ' short ',
      'buy\n',
      'xauusd',
      'XAU USD',
      '2026-11-20',
      '2026-11-20T08:15:00+02:00',
      '\u0000',
      'a'.repeat(200),
    ),
    fc.dictionary(fc.constantFrom(...KEYS, 'value', 'price'), fc.jsonValue(), { maxKeys: 3 }),
    fc.array(fc.jsonValue(), { maxLength: 3 }),
  );
  /** One edit to the valid signal: a field set to an odd value, a field dropped, or a key added. */
  const edit = fc.oneof(
    fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...KEYS), value: oddValue }),
    fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...KEYS) }),
    fc.record({
      op: fc.constant('add' as const),
      key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('stop_loss', 'Symbol', 'sl ', 'confidance', '__proto__', 'constructor')),
      value: fc.jsonValue(),
    }),
  );
  const apply = (base: Record<string, unknown>, edits: Array<{ op: 'set' | 'drop' | 'add'; key: string; value?: unknown }>) => {
    const o: Record<string, unknown> = { ...base };
    for (const e of edits) {
      if (e.op === 'drop') delete o[e.key];
      else Object.defineProperty(o, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    }
    return o;
  };

  /** What every accepted signal must be, whatever came in. */
  function wellFormed(s: ReturnType<typeof validateSignals>[number]): void {
    expect(s.symbol).toMatch(/^[A-Z0-9._#+-]+$/);
    expect(['buy', 'sell']).toContain(s.side);
    for (const p of [s.sl, s.tp, s.entry]) if (p !== undefined) expect(p > 0 && p < MAX_PRICE && Number.isFinite(p)).toBe(true);
    if (s.confidence !== undefined) expect(s.confidence >= 0 && s.confidence <= 1).toBe(true);
    if (s.tp !== undefined) expect(s.side === 'buy' ? s.sl < s.tp : s.sl > s.tp).toBe(true);
    expect(s.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:@#+/-]{0,127}$/);
    if (s.created_at !== undefined) expect(Number.isNaN(Date.parse(s.created_at))).toBe(false);
  }

  /** A refusal is a UsageError (exit 2) saying nothing was sent, one problem per line. */
  function cleanRefusal(e: unknown): UsageError {
    expect(e).toBeInstanceOf(UsageError);
    const u = e as UsageError;
    expect(u.exitCode).toBe(EXIT.USAGE);
    expect(u.message).toMatch(/nothing was sent/);
    for (const line of u.problems) expect(line).not.toMatch(/\n/);
    return u;
  }

  it('near-valid signals (one to three edits): well-formed signals, or a UsageError naming the field', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const raw = apply(VALID, edits);
        let signals;
        try {
          signals = validateSignals(raw, 'fuzz');
        } catch (e) {
          const problems = cleanRefusal(e).problems.join('\n');
          // Some edited field is named (levels that contradict each other are reported on sl or tp).
          const named =
            edits.some((x) => problems.includes(x.op === 'add' ? `${x.key}: unknown key` : `${x.key}:`)) ||
            /^(sl|tp): for a (long|short) signal/m.test(problems);
          expect(named, `${JSON.stringify(edits)}\n${problems}`).toBe(true);
          return;
        }
        expect(signals).toHaveLength(1);
        wellFormed(signals[0]!);
      }),
      { numRuns: 1500 },
    );
  });

  it('near-valid lists, as JSON text: well-formed signals, or a UsageError — the same text always the same answer', () => {
    fc.assert(
      fc.property(fc.array(fc.array(edit, { maxLength: 2 }), { minLength: 0, maxLength: 4 }), fc.boolean(), (lists, asList) => {
        const items = lists.map((edits, i) => apply({ ...VALID, id: `s-${i}` }, edits));
        const text = JSON.stringify(asList || items.length !== 1 ? items : items[0]);
        const run = () => {
          try {
            return { ok: parseSignals(text, 'fuzz') };
          } catch (e) {
            return { err: cleanRefusal(e).message };
          }
        };
        const first = run();
        expect(run()).toEqual(first); // deterministic: derived ids and messages included
        if ('ok' in first) for (const s of first.ok!) wellFormed(s);
      }),
      { numRuns: 500 },
    );
  });

  it("a valid signal's JSON text cut short or with a byte changed: a signal or a clean refusal, never a crash", () => {
    const text = JSON.stringify(VALID);
    fc.assert(
      fc.property(
        fc.nat({ max: text.length }),
        fc.nat({ max: text.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (cut, at, byte, truncate) => {
          const mangled = truncate ? text.slice(0, cut) : text.slice(0, at) + String.fromCharCode(byte) + text.slice(at + 1);
          try {
            for (const s of parseSignals(mangled, 'fuzz')) wellFormed(s);
          } catch (e) {
            cleanRefusal(e);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('duplicate-key scanner (signal JSON)', () => {
  // JSON trees whose objects may repeat keys (JSON.stringify cannot write those), serialized by
  // hand with or without \u escapes in the keys and with odd whitespace; the expected duplicates
  // come from the tree itself.
  type Tree = { t: 'obj'; entries: [string, Tree][] } | { t: 'arr'; items: Tree[] } | { t: 'leaf'; v: unknown };
  const KEYS = ['sl', 'tp', 'a', 'é', 'x"y', 'back\\slash', '{', ']', '', '__proto__'];
  const { node: tree } = fc.letrec<{ node: Tree; leaf: Tree; obj: Tree; arr: Tree }>((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('obj'), tie('arr')),
    leaf: fc.jsonValue({ maxDepth: 1 }).map((v) => ({ t: 'leaf' as const, v })),
    obj: fc.array(fc.tuple(fc.constantFrom(...KEYS), tie('node')), { maxLength: 5 }).map((entries) => ({ t: 'obj' as const, entries })),
    arr: fc.array(tie('node'), { maxLength: 4 }).map((items) => ({ t: 'arr' as const, items })),
  }));
  const seg = (base: string, s: string | number) =>
    typeof s === 'number' ? `${base}[${s}]` : `${base}${base === '' ? '' : '.'}${/^[A-Za-z_$][\w$-]*$/.test(s) ? s : JSON.stringify(s)}`;
  const keyText = (k: string, escaped: boolean) =>
    escaped ? `"${[...k].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(k);
  function write(t: Tree, escaped: boolean, ws: string): string {
    if (t.t === 'leaf') return JSON.stringify(t.v);
    if (t.t === 'arr') return `[${ws}${t.items.map((i) => write(i, escaped, ws)).join(`${ws},${ws}`)}${ws}]`;
    return `{${ws}${t.entries.map(([k, v]) => `${keyText(k, escaped)}${ws}:${ws}${write(v, escaped, ws)}`).join(`,${ws}`)}${ws}}`;
  }
  function expected(t: Tree, path: string, out: string[]): string[] {
    if (t.t === 'arr') for (const [i, item] of t.items.entries()) expected(item, seg(path, i), out);
    if (t.t === 'obj') {
      const seen = new Set<string>();
      for (const [k, v] of t.entries) {
        if (seen.has(k)) out.push(seg(path, k));
        seen.add(k);
        expected(v, seg(path, k), out);
      }
    }
    return out;
  }

  it('finds exactly the keys repeated in one object, with their paths, in text order', () => {
    fc.assert(
      fc.property(tree, fc.boolean(), fc.constantFrom('', ' ', '\n\t '), (t, escaped, ws) => {
        const text = write(t, escaped, ws);
        expect(() => JSON.parse(text)).not.toThrow();
        expect(findDuplicateKeys(text, Number.POSITIVE_INFINITY).map((d) => d.path)).toEqual(expected(t, '', []));
      }),
      { numRuns: 2000 },
    );
  });

  it('JSON.stringify output never has duplicates; any text never makes the scanner throw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(findDuplicateKeys(JSON.stringify(v) ?? 'null')).toEqual([]);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'a', ' ') }), (s) => {
        expect(Array.isArray(findDuplicateKeys(s))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid signal with one of its keys given twice: always refused, naming that key and its path', () => {
    const VALID = { symbol: 'XAUUSD', side: 'long', sl: 2640.5, tp: 2660, confidence: 0.78 };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(VALID)), fc.jsonValue(), fc.nat({ max: 5 }), fc.boolean(), (key, value, at, asList) => {
        const entries = Object.entries(VALID).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
        entries.splice(Math.min(at, entries.length), 0, `${JSON.stringify(key)}: ${JSON.stringify(value) ?? 'null'}`);
        const one = `{${entries.join(', ')}}`;
        const text = asList ? `[${JSON.stringify({ ...VALID, id: 'other' })}, ${one}]` : one;
        try {
          parseSignals(text, 'fuzz');
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          expect((e as UsageError).problems).toContain(
            `${asList ? '[1].' : ''}${key}: duplicate key "${key}": given more than once in the same object (JSON would keep only the last)`,
          );
          return;
        }
        throw new Error(`accepted ${text}`);
      }),
      { numRuns: 500 },
    );
  });
});
