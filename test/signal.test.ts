// Unit tests of the signal parser, the derived id, the journal-based idempotency check, the skip
// rules and the exit code. The end-to-end behaviour is in e2e-signal.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../src/config/types.js';
import { EXIT, UsageError } from '../src/errors.js';
import { FilesStore } from '../src/state/files/store.js';
import type { DeskStore } from '../src/state/store.js';
import { setState } from '../src/trading/state-flows.js';
import {
  MAX_SIGNALS,
  exitCodeOf,
  parseSignals,
  previousHandling,
  signalContentHash,
  skipReason,
  validateSignals,
  type AgentResult,
  type Signal,
} from '../src/trading/signal.js';
import { findDuplicateKeys } from '../src/trading/json-duplicates.js';
import { MAX_SIGNAL_BYTES, readCapped, readSignalFile } from '../src/trading/signal-sources.js';

const OK = { symbol: 'XAUUSD', side: 'long', sl: 2648.27 };

/** The problems of a refused delivery (throws if it was accepted). */
function problems(raw: unknown): string[] {
  try {
    validateSignals(raw, 'test');
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(EXIT.USAGE);
    expect((e as UsageError).message).toMatch(/nothing was sent/);
    return (e as UsageError).problems;
  }
  throw new Error('the delivery was accepted');
}

describe('validateSignals', () => {
  it('accepts a minimal signal and normalizes it', () => {
    const [s] = validateSignals({ symbol: ' xauusd ', side: 'LONG', sl: 2648.27 }, 'test');
    expect(s).toMatchObject({ symbol: 'XAUUSD', side: 'buy', sl: 2648.27, derived_id: true });
    expect(s!.id).toMatch(/^sig-[0-9a-f]{16}$/);
    expect(validateSignals({ ...OK, side: 'short', sl: 2660 }, 't')[0]!.side).toBe('sell');
    expect(validateSignals({ ...OK, side: 'Sell', sl: 2660 }, 't')[0]!.side).toBe('sell');
  });

  it('keeps a given id and every optional field', () => {
    const [s] = validateSignals(
      { ...OK, id: 'model-7:2026-11-20T08:15', tp: 2660, entry: 2650, confidence: 0.78, created_at: '2026-11-20T10:15:00+02:00' },
      't',
    );
    expect(s).toEqual({
      id: 'model-7:2026-11-20T08:15',
      derived_id: false,
      symbol: 'XAUUSD',
      side: 'buy',
      sl: 2648.27,
      tp: 2660,
      entry: 2650,
      confidence: 0.78,
      created_at: '2026-11-20T08:15:00.000Z',
    });
  });

  it('reports every bad field at once, each with what was expected and what came', () => {
    const p = problems({ symbol: 'XAU USD', side: 'up', sl: 'abc', tp: -1, confidence: 78, created_at: 1732090500, extra: 1 });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^symbol: expected a symbol .*got "XAU USD"/),
        expect.stringMatching(/^side: expected long, short, buy or sell, got "up"/),
        expect.stringMatching(/^sl: expected the stop loss: a price > 0 and below 100000000, got "abc"/),
        expect.stringMatching(/^tp: expected the take profit: a price > 0 .*got -1/),
        expect.stringMatching(/^confidence: .*got 78 \(a fraction, not a percentage: write 0\.78 for 78%\)/),
        expect.stringMatching(/^created_at: .*got 1732090500 \(a time string, not a number of seconds\)/),
        expect.stringMatching(/^extra: unknown key \(a signal has id, symbol, side, sl, tp, entry, confidence, created_at\)/),
      ]),
    );
    expect(p).toHaveLength(7);
  });

  it('says which keys are missing', () => {
    expect(problems({})).toEqual([
      expect.stringMatching(/^symbol: missing/),
      expect.stringMatching(/^side: missing/),
      expect.stringMatching(/^sl: missing/),
    ]);
  });

  it('refuses NaN, infinities, huge and non-positive numbers', () => {
    for (const sl of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e8, 1e300, 0, -2648]) {
      expect(problems({ ...OK, sl })[0]).toMatch(/^sl: expected the stop loss: a price > 0 and below 100000000/);
    }
    expect(problems({ ...OK, confidence: Number.NaN })[0]).toMatch(/^confidence:/);
    expect(problems({ ...OK, confidence: 1.01 })[0]).toMatch(/^confidence:/);
    expect(validateSignals({ ...OK, confidence: 0 }, 't')[0]!.confidence).toBe(0);
    expect(validateSignals({ ...OK, confidence: 1 }, 't')[0]!.confidence).toBe(1);
    // From JSON text: 1e999 parses as Infinity.
    expect(() => parseSignals('{"symbol":"XAUUSD","side":"long","sl":1e999}', 't')).toThrow(UsageError);
  });

  it('refuses extra nesting and other shapes', () => {
    expect(problems({ ...OK, sl: { price: 2648 } })[0]).toMatch(/^sl: .*got a mapping/);
    expect(problems({ ...OK, sl: [2648] })[0]).toMatch(/^sl: .*got a list/);
    expect(problems({ ...OK, symbol: { name: 'XAUUSD' } })[0]).toMatch(/^symbol: .*got a mapping/);
    expect(problems({ signal: OK })).toEqual(expect.arrayContaining([expect.stringMatching(/^signal: unknown key/)]));
    expect(problems([[OK]])[0]).toMatch(/^\[0\]: expected a signal object/);
    expect(problems('XAUUSD long')[0]).toMatch(/^signal: expected a signal object/);
    expect(problems(null)[0]).toMatch(/^signal: expected a signal object/);
    expect(problems({ ...OK, id: 'two words' })[0]).toMatch(/^id: expected an id/);
    expect(problems({ ...OK, id: 'x'.repeat(129) })[0]).toMatch(/^id: expected an id/);
  });

  it('suggests the key that was meant', () => {
    expect(problems({ ...OK, stop_loss: 1 })).toEqual(expect.arrayContaining([expect.stringMatching(/^stop_loss: unknown key/)]));
    expect(problems({ ...OK, confidance: 0.7 })[0]).toMatch(/did you mean `confidence`\?/);
  });

  it('checks that the levels fit the side', () => {
    expect(problems({ ...OK, tp: 2640 })[0]).toMatch(
      /^sl: for a long signal the stop loss \(2648\.27\) must be below the take profit \(2640\)/,
    );
    expect(problems({ ...OK, entry: 2640 })[0]).toMatch(/must be below the entry \(2640\)/);
    expect(problems({ ...OK, side: 'short', sl: 2640, tp: 2650 })[0]).toMatch(
      /for a short signal the stop loss \(2640\) must be above the take profit/,
    );
    expect(problems({ ...OK, entry: 2661, tp: 2660 })).toEqual([
      expect.stringMatching(/^tp: for a long signal the take profit \(2660\) must be above the entry \(2661\)/),
    ]);
    expect(validateSignals({ ...OK, side: 'short', sl: 2660, tp: 2640, entry: 2650 }, 't')).toHaveLength(1);
  });

  it('created_at must carry its zone', () => {
    expect(problems({ ...OK, created_at: '2026-11-20 08:15' })[0]).toMatch(/^created_at: expected an ISO-8601 time with its zone/);
    expect(problems({ ...OK, created_at: '2026-11-20T08:15:00' })[0]).toMatch(/^created_at:/);
    expect(problems({ ...OK, created_at: '2026-13-45T08:15:00Z' })[0]).toMatch(/^created_at:/);
  });

  it('a list: every bad signal named by its index, nothing accepted when one is bad', () => {
    const p = problems([OK, { ...OK, sl: 'x' }, { symbol: 'EURUSD', side: 'short' }]);
    expect(p).toEqual([expect.stringMatching(/^\[1\]\.sl: /), expect.stringMatching(/^\[2\]\.sl: missing/)]);
    expect(validateSignals([OK, { ...OK, symbol: 'EURUSD', sl: 1.07 }], 't')).toHaveLength(2);
    expect(validateSignals([], 't')).toEqual([]);
    expect(problems(Array.from({ length: MAX_SIGNALS + 1 }, () => OK))[0]).toMatch(/at most 100/);
  });

  it('the same signal twice in one delivery is one; one id for two signals is an error', () => {
    expect(validateSignals([OK, { ...OK, side: 'buy' }], 't')).toHaveLength(1);
    expect(
      validateSignals(
        [
          { ...OK, id: 'a' },
          { ...OK, id: 'a', confidence: 0.5 },
        ],
        't',
      ),
    ).toHaveLength(1);
    expect(
      problems([
        { ...OK, id: 'a' },
        { ...OK, id: 'a', sl: 2640 },
      ])[0],
    ).toMatch(/id "a" names two different signals/);
  });

  it('never crashes on arbitrary JSON: a UsageError or valid signals', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          const signals = validateSignals(v, 'fuzz');
          for (const s of signals) expect(s.sl).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseSignals', () => {
  it('parses one signal or a list, with a byte-order mark', () => {
    expect(parseSignals(`\uFEFF${JSON.stringify(OK)}\n`, 't')).toHaveLength(1);
    expect(parseSignals(JSON.stringify([OK, { ...OK, sl: 2647 }]), 't')).toHaveLength(2);
  });
  it('refuses empty input and text that is not JSON', () => {
    expect(() => parseSignals('  \n', 'stdin')).toThrow(/no signal: stdin is empty/);
    expect(() => parseSignals('{symbol: XAUUSD}', 'stdin')).toThrow(/the signal from stdin is not JSON/);
    expect(() => parseSignals('NaN', 'stdin')).toThrow(/not JSON/);
  });
});

describe('the derived id', () => {
  const id = (raw: Record<string, unknown>) => validateSignals(raw, 't')[0]!.id;
  it('depends on symbol, side, sl, tp, entry and created_at only', () => {
    const base = id({ ...OK, tp: 2660 });
    expect(id({ tp: 2660, side: 'buy', sl: 2648.27, symbol: 'xauusd' })).toBe(base);
    expect(id({ ...OK, tp: 2660, confidence: 0.9 })).toBe(base);
    expect(id({ ...OK, tp: 2661 })).not.toBe(base);
    expect(id({ ...OK, sl: 2648.28, tp: 2660 })).not.toBe(base);
    expect(id({ ...OK, tp: 2660, entry: 2650 })).not.toBe(base);
    expect(id({ ...OK, side: 'short', sl: 2660 })).not.toBe(id({ ...OK, side: 'long', sl: 2640 }));
    // The same instant written in two zones is the same signal; another instant is another.
    expect(id({ ...OK, created_at: '2026-11-20T10:15:00+02:00' })).toBe(id({ ...OK, created_at: '2026-11-20T08:15:00Z' }));
    expect(id({ ...OK, created_at: '2026-11-20T08:16:00Z' })).not.toBe(id({ ...OK, created_at: '2026-11-20T08:15:00Z' }));
  });
  it('is stable (a golden value: changing it would re-execute every stored signal)', () => {
    expect(signalContentHash({ symbol: 'XAUUSD', side: 'buy', sl: 2648.27 })).toBe(
      signalContentHash({ symbol: 'XAUUSD', side: 'buy', sl: 2648.27, tp: undefined }),
    );
    expect(id(OK)).toBe(`sig-${signalContentHash({ symbol: 'XAUUSD', side: 'buy', sl: 2648.27 })}`);
    // sha256 of ["XAUUSD","buy",2648.27,null,null,null], first 16 hex digits.
    expect(id(OK)).toBe('sig-6ef356bd33222c11');
  });
});

describe('previousHandling', () => {
  const sig = validateSignals({ ...OK, id: 's1' }, 't')[0]!;
  const content = signalContentHash(sig);
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  /** A fresh files store holding these journal records (written through the store, in order). */
  const storeWith = async (records: Array<Record<string, unknown>>): Promise<DeskStore> => {
    const dir = mkdtempSync(join(tmpdir(), 'mt4gw-prev-'));
    dirs.push(dir);
    const store = new FilesStore(dir);
    for (const r of records) await store.append({ event: 'signal', ...r } as Parameters<DeskStore['append']>[0]);
    return store;
  };
  const handled = async (store: DeskStore, agent = 'agent_1') => {
    const p = await previousHandling(store, sig, agent);
    return p?.kind === 'handled' ? p.handled : p;
  };

  it('nothing journaled: not handled', async () => {
    expect(await previousHandling(await storeWith([]), sig, 'agent_1')).toBeUndefined();
  });
  it('a final record on this agent: handled, with what happened', async () => {
    const store = await storeWith([
      { agent: 'agent_1', signal_id: 's1', final: true, outcome: 'opened', ticket: 7, order_id: 'o1', content },
    ]);
    expect(await handled(store)).toMatchObject({ outcome: 'opened', ticket: 7, order_id: 'o1', same_content: true });
  });
  it('only this agent and this id count', async () => {
    const store = await storeWith([
      { agent: 'agent_2', signal_id: 's1', final: true, outcome: 'skipped' },
      { agent: 'agent_1', signal_id: 's2', final: true, outcome: 'opened' },
    ]);
    expect(await previousHandling(store, sig, 'agent_1')).toBeUndefined();
  });
  it('an intent with the signal id and no result (in flight, or its process died): unresolved — never sent twice', async () => {
    const store = await storeWith([{ event: 'intent', agent: 'agent_1', signal_id: 's1', order_id: 'o9' }]);
    expect(await previousHandling(store, sig, 'agent_1')).toMatchObject({ kind: 'unresolved', order_id: 'o9' });
    await store.append({ event: 'result', agent: 'agent_1', order_id: 'o9', outcome: 'opened', ticket: 12 });
    expect(await handled(store)).toMatchObject({ outcome: 'opened', ticket: 12 });
  });
  it('an order proven not sent or not opened may be tried again; one whose proof is uncertain may not', async () => {
    const store = await storeWith([
      { event: 'intent', agent: 'agent_1', signal_id: 's1', order_id: 'o1' },
      { event: 'result', agent: 'agent_1', order_id: 'o1', outcome: 'not_sent' },
      { agent: 'agent_1', signal_id: 's1', final: false, outcome: 'unreachable', order_id: 'o1' },
      { agent: 'agent_1', signal_id: 's1', final: false, outcome: 'unreachable' },
    ]);
    expect(await previousHandling(store, sig, 'agent_1')).toBeUndefined();
    await store.append({ event: 'intent', agent: 'agent_1', signal_id: 's1', order_id: 'o2' });
    await store.append({ event: 'result', agent: 'agent_1', order_id: 'o2', outcome: 'not_opened', proof: 'age', certain: true });
    expect(await previousHandling(store, sig, 'agent_1')).toBeUndefined();
    await store.append({ event: 'intent', agent: 'agent_1', signal_id: 's1', order_id: 'o3' });
    await store.append({ event: 'result', agent: 'agent_1', order_id: 'o3', outcome: 'not_opened', proof: 'age', certain: false });
    expect(await handled(store)).toMatchObject({ outcome: 'not_opened', order_id: 'o3' });
  });
  it('notices an id that came with other levels', async () => {
    const store = await storeWith([{ agent: 'agent_1', signal_id: 's1', final: true, outcome: 'skipped', content: 'something-else' }]);
    expect(await handled(store)).toMatchObject({ same_content: false });
  });
});

describe('skipReason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mt4gw-signal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = new FilesStore(join(dir, 'state'));
  const agent = (over: Partial<AgentConfig['strategy']> & { enabled?: boolean; id?: string } = {}): AgentConfig => ({
    id: over.id ?? 'agent_1',
    name: 'Atlas',
    description: '',
    enabled: over.enabled ?? true,
    mt4: { host: '127.0.0.1', port: 8081, timeout_ms: 1000, transport: 'rest' },
    strategy: { pairs: over.pairs ?? ['XAUUSD'], ...(over.min_confidence !== undefined ? { min_confidence: over.min_confidence } : {}) },
    risk: { initial_balance: 200, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, require_stop_loss: false },
  });
  const s = (extra: Record<string, unknown> = {}): Signal => validateSignals({ ...OK, ...extra }, 't')[0]!;

  it('acts when enabled, active, its pair and confident enough', async () => {
    const env = await store.readState();
    expect(skipReason(s(), agent(), env)).toBeUndefined();
    expect(skipReason(s({ confidence: 0.7 }), agent({ min_confidence: 0.7 }), env)).toBeUndefined();
  });
  it('says why it skips', async () => {
    const env = await store.readState();
    expect(skipReason(s(), agent({ enabled: false }), env)).toMatch(/disabled/);
    expect(skipReason(s(), agent({ pairs: ['EURUSD', 'GBPUSD'] }), env)).toBe('XAUUSD is not in its pairs (EURUSD, GBPUSD)');
    expect(skipReason(s(), agent({ pairs: [] }), env)).toMatch(/strategy\.pairs is empty/);
    expect(skipReason(s({ confidence: 0.69 }), agent({ min_confidence: 0.7 }), env)).toBe('confidence 69% is below its min_confidence 70%');
    expect(skipReason(s(), agent({ min_confidence: 0.7 }), env)).toMatch(/carries no confidence/);
  });
  it('skips a halted or reducing agent, with who and why', async () => {
    await setState(store, 'halted', 'news at 14:30', 'agent_2', 'test');
    expect(skipReason(s(), agent({ id: 'agent_2' }), await store.readState())).toMatch(/^trading is halted \(.*news at 14:30\)/);
    expect(skipReason(s(), agent(), await store.readState())).toBeUndefined();
    await setState(store, 'reducing', 'drawdown', undefined, 'test');
    expect(skipReason(s(), agent(), await store.readState())).toMatch(/^trading is reducing-only \(.*drawdown\)/);
  });
});

describe('exitCodeOf', () => {
  const r = (exit_code: AgentResult['exit_code']) => ({ exit_code }) as AgentResult;
  it('0 when every agent opened, skipped, was denied or had handled it', () => {
    expect(exitCodeOf([r(0), r(0)])).toBe(0);
    expect(exitCodeOf([])).toBe(0);
  });
  it('an unknown outcome beats a rejection, which beats an unreachable agent', () => {
    expect(exitCodeOf([r(0), r(3), r(5), r(6)])).toBe(6);
    expect(exitCodeOf([r(3), r(5)])).toBe(5);
    expect(exitCodeOf([r(2), r(3)])).toBe(3);
    expect(exitCodeOf([r(0), r(2)])).toBe(2);
  });
});

describe('signal sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mt4gw-signal-src-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, and refuses a regular file over the cap unread', async () => {
    writeFileSync(join(dir, 's.json'), JSON.stringify(OK));
    expect(parseSignals(await readSignalFile(join(dir, 's.json')), 's.json')).toHaveLength(1);
    writeFileSync(join(dir, 'big.json'), ' '.repeat(101));
    await expect(readSignalFile(join(dir, 'big.json'), 100)).rejects.toThrow(
      /big\.json holds more than 100 bytes of signals; nothing was sent/,
    );
  });

  it('a device without end is read only up to the cap', async () => {
    await expect(readSignalFile('/dev/zero', 100_000)).rejects.toThrow(/\/dev\/zero holds more than 100000 bytes of signals/);
  });

  it('a FIFO is read through the cap, and its writer is cut off there', async () => {
    const fifo = join(dir, 'signals.fifo');
    execFileSync('mkfifo', [fifo]);
    let written = 0;
    const writer = (async () => {
      const h = await open(fifo, 'w');
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      try {
        for (let i = 0; i < 64; i++) written += (await h.write(chunk)).bytesWritten;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code; // EPIPE: the reader stopped
      } finally {
        await h.close();
      }
      return 'wrote everything';
    })();
    await expect(readSignalFile(fifo, MAX_SIGNAL_BYTES)).rejects.toThrow(/signals\.fifo holds more than 1048576 bytes of signals/);
    expect(await writer).toBe('EPIPE');
    expect(written).toBeLessThan(4 * 1024 * 1024);
  });

  it('a missing file or a directory: a UsageError saying what', async () => {
    await expect(readSignalFile(join(dir, 'nope.json'))).rejects.toThrow(/cannot read --file .*nope\.json: no such file; nothing was sent/);
    await expect(readSignalFile(dir)).rejects.toThrow(/: it is a directory; nothing was sent/);
  });

  it('readCapped stops at the cap: it never takes more than one chunk past it', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield Buffer.alloc(1000);
      }
    }
    await expect(readCapped(endless(), 'test', 10_000)).rejects.toBeInstanceOf(UsageError);
    expect(pulled).toBe(11);
  });
});

describe('duplicate keys in signal JSON', () => {
  const dups = (text: string) => findDuplicateKeys(text).map((d) => d.path);

  it('finds a key given twice in one object, with its path; JSON.parse alone keeps the last', () => {
    const text = '{"symbol": "XAUUSD", "side": "long", "sl": 2600, "sl": 2700}';
    expect((JSON.parse(text) as { sl: number }).sl).toBe(2700);
    expect(findDuplicateKeys(text)).toEqual([{ key: 'sl', path: 'sl', offset: text.lastIndexOf('"sl"') }]);
    expect(dups('[{"a": 1}, {"b": 1, "c": [1, {"d": 1, "d": 2}], "b": 3}]')).toEqual(['[1].c[1].d', '[1].b']);
  });

  it('decodes escapes: "s\\u006c" is "sl"; a quote or a brace inside a string is only text', () => {
    expect(dups('{"sl": 1, "s\\u006c": 2}')).toEqual(['sl']);
    expect(dups('{"a\\"b": 1, "a\\"b": 2}')).toEqual(['"a\\"b"']);
    expect(dups('{"id": "x\\\\", "x": "{\\"id\\": 1, \\"id\\": 2}", "y": "}", "id2": "]"}')).toEqual([]);
    expect(dups('{"k": "\\\\", "k": 1}')).toEqual(['k']);
  });

  it('equal keys in different objects are not duplicates', () => {
    expect(dups('[{"sl": 1}, {"sl": 2}]')).toEqual([]);
    expect(dups('{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}')).toEqual([]);
    expect(dups(`${'['.repeat(5000)}{"a": 1, "a": 2}${']'.repeat(5000)}`)).toEqual([`${'[0]'.repeat(5000)}.a`]);
  });

  it('parseSignals refuses them, naming the key and the path; nothing else changes', () => {
    const e = (() => {
      try {
        parseSignals(
          '[{"symbol": "XAUUSD", "side": "long", "sl": 2600}, {"symbol": "XAUUSD", "side": "long", "sl": 2600, "sl": 2700}]',
          'stdin',
        );
      } catch (err) {
        return err as UsageError;
      }
      throw new Error('accepted');
    })();
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('the signal from stdin is malformed; nothing was sent');
    expect(e.problems).toEqual(['[1].sl: duplicate key "sl": given more than once in the same object (JSON would keep only the last)']);
    expect(parseSignals(JSON.stringify([OK, { ...OK, sl: 2640 }]), 't')).toHaveLength(2);
  });

  it('listed with the other problems of the delivery, duplicates first', () => {
    try {
      parseSignals('{"symbol": "XAUUSD", "side": "up", "side": "long", "sl": "x"}', 'stdin');
    } catch (e) {
      expect((e as UsageError).problems).toEqual([
        'side: duplicate key "side": given more than once in the same object (JSON would keep only the last)',
        expect.stringMatching(/^sl: expected the stop loss/),
      ]);
      return;
    }
    throw new Error('accepted');
  });
});
