// The DWX reply parser and the meaning of every reply shape DWX_ZeroMQ_Server_v2.0.1_RC8.mq4 can
// write (each literal below is assembled the way the EA concatenates it), plus malformed input:
// nothing but a DwxParseError ever comes out, whatever the text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DwxDict, DwxParseError, parseDwx, parseDwxDict, type DwxValue } from '../src/bridge/dwx/parser.js';
import {
  abortedReason,
  estimateOffsetMinutes,
  formatNumber,
  interpretAccount,
  interpretClose,
  interpretModify,
  interpretOpen,
  interpretOpenTrades,
  interpretTrackPrices,
  isStopped,
  parseQuote,
  parseWallTime,
  sanitizeComment,
  stopPoints,
  stopPrices,
  trackPricesCommand,
  tradeCommand,
  wallToIso,
} from '../src/bridge/dwx/protocol.js';

/** A dict as plain data (repeated keys collected in arrays), for compact assertions. */
function plain(v: DwxValue): unknown {
  if (v instanceof DwxDict) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v.entries) {
      const key = String(k);
      o[key] = key in o ? [o[key], plain(x)].flat() : plain(x);
    }
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

const D = (x: number) => x.toFixed(8); // DoubleToString's default

describe('replies of every command, as the EA writes them', () => {
  it('HEARTBEAT', () => {
    const d = parseDwxDict("{'_action': 'heartbeat', '_response': 'loud and clear!'}");
    expect(plain(d)).toEqual({ _action: 'heartbeat', _response: 'loud and clear!' });
  });

  it('every …__ABORTED_COMMAND of CheckOpsStatus, and EA_IS_STOPPED', () => {
    for (const reason of [
      'TRADING_IS_NOT_ALLOWED',
      'EA_IS_DISABLED',
      'TRADE_CONTEXT_BUSY',
      'DLLS_DISABLED',
      'LIBS_DISABLED',
      'NO_BROKER_CONNECTION',
    ]) {
      const d = parseDwxDict(`{'_response': '${reason}__ABORTED_COMMAND'}`);
      expect(abortedReason(d)).toBe(reason);
      expect(isStopped(d)).toBe(false);
    }
    const stopped = parseDwxDict("{'_response': 'EA_IS_STOPPED'}");
    expect(isStopped(stopped)).toBe(true);
    expect(abortedReason(stopped)).toBeUndefined();
    // A reply with an _action is never an abort, whatever its _response says.
    expect(abortedReason(parseDwxDict("{'_action': 'EXECUTION', '_response': 'X__ABORTED_COMMAND'}"))).toBeUndefined();
  });

  describe('TRADE;OPEN (EXECUTION)', () => {
    const head = "{'_action': 'EXECUTION'";
    const opened = `${head}, '_symbol': 'EURUSD', '_magic': 123456, '_ticket': 42, '_open_time': '2026.11.22 10:15:03', '_open_price': ${D(1.08512)}`;

    it('the EA guards: LOT_SIZE_ERROR → 131, NUM_ORDERS_ERROR → 148, with the words and what to raise', () => {
      const lot = interpretOpen(parseDwxDict(`${head}, '_response': 'LOT_SIZE_ERROR', 'response_value': 'MAX_LOT_SIZE_EXCEEDED'}`));
      expect(lot).toMatchObject({ ok: false, code: 131 });
      expect((lot as { message: string }).message).toMatch(/^LOT_SIZE_ERROR \(MAX_LOT_SIZE_EXCEEDED\).*MaximumLotSize/);
      const num = interpretOpen(
        parseDwxDict(`${head}, '_response': 'NUM_ORDERS_ERROR', 'response_value': 'MAX_NUMBER_OF_ORDERS_EXCEEDED'}`),
      );
      expect(num).toMatchObject({ ok: false, code: 148 });
      expect((num as { message: string }).message).toMatch(/NUM_ORDERS_ERROR.*MaximumOrders/);
    });

    it('OrderSend failing: the MT4 code (response_value without the underscore)', () => {
      expect(interpretOpen(parseDwxDict(`${head}, '_response': '134', 'response_value': 'not enough money'}`))).toEqual({
        ok: false,
        code: 134,
        message: 'not enough money',
      });
      expect(interpretOpen(parseDwxDict(`${head}, '_response': '4106', 'response_value': 'unknown symbol'}`))).toMatchObject({
        ok: false,
        code: 4106,
      });
    });

    it('opened without stops', () => {
      expect(interpretOpen(parseDwxDict(`${opened}}`))).toEqual({
        ok: true,
        ticket: 42,
        price: 1.08512,
        symbol: 'EURUSD',
        magic: 123456,
        openTime: '2026.11.22 10:15:03',
        sl: undefined,
        tp: undefined,
      });
    });

    it('opened and stops set in DMA mode, through a busy trade context (repeated _response keys)', () => {
      const text = `${opened}, '_response': 'TRADE_CONTEXT_BUSY', '_response': 'TRADE_CONTEXT_NOW_FREE', '_sl': ${D(1.08012)}, '_tp': ${D(1.09012)}}`;
      const d = parseDwxDict(text);
      expect(d.all('_response')).toEqual(['TRADE_CONTEXT_BUSY', 'TRADE_CONTEXT_NOW_FREE']);
      expect(interpretOpen(d)).toMatchObject({ ok: true, ticket: 42, sl: 1.08012, tp: 1.09012 });
    });

    it('DMA mode failing to set the stops (SL=0 with TP>0): three MODIFY failures, the trade closed again, ERROR_SETTING_SL_TP', () => {
      const attempt = `, '_response': '130', '_response_value': 'invalid stops', '_sl_attempted': 1.08512, '_tp_attempted': 1.09012`;
      const text = `${opened}${attempt}${attempt}${attempt}, '_close_price': ${D(1.08492)}, '_close_lots': ${D(0.01)}, '_response': 'ERROR_SETTING_SL_TP'}`;
      const r = interpretOpen(parseDwxDict(text));
      expect(r).toMatchObject({ ok: false, code: 130, ticket: 42, price: 1.08512, closedAgain: true });
      expect((r as { message: string }).message).toMatch(/^ERROR_SETTING_SL_TP \(130, invalid stops\)/);
    });

    it('ERROR_SETTING_SL_TP where closing it failed too: the ticket is reported, not closed again', () => {
      const attempt = `, '_response': '130', '_response_value': 'invalid stops', '_sl_attempted': 1.08512, '_tp_attempted': 1.09012`;
      const closeFail = `, '_response': '136', '_response_value': 'off quotes', '_response': '0', '_response_value': 'no error'`;
      const r = interpretOpen(parseDwxDict(`${opened}${attempt}${closeFail}${closeFail}${closeFail}, '_response': 'ERROR_SETTING_SL_TP'}`));
      expect(r).toMatchObject({ ok: false, code: 130, ticket: 42, closedAgain: false });
    });

    it('a wait for the trade context that ran out (a number as _response_value) and EA_STOPPED_BY_USER', () => {
      const d = parseDwxDict(`${opened}, '_response': 'TRADE_CONTEXT_BUSY', '_response': 'WAIT_LIMIT_EXCEEDED', '_response_value': 30}`);
      expect(d.all('_response_value')).toEqual([30]);
      expect(interpretOpen(d)).toMatchObject({ ok: true, ticket: 42 }); // opened; its stops are another matter
      const stopped = parseDwxDict(`${opened}, '_response': 'TRADE_CONTEXT_BUSY', '_response_value': 'EA_STOPPED_BY_USER'}`);
      expect(plain(stopped)).toMatchObject({ _response_value: 'EA_STOPPED_BY_USER' });
    });

    it('an EXECUTION without ticket or code is not taken for a success', () => {
      expect(interpretOpen(parseDwxDict(`${head}}`))).toMatchObject({ ok: false, code: 2 });
    });
  });

  describe('TRADE;MODIFY', () => {
    it('success, an MT4 error with the attempted stops, NOT_FOUND', () => {
      expect(interpretModify(parseDwxDict(`{'_action': 'MODIFY', '_sl': ${D(2640.5)}, '_tp': ${D(0)}}`))).toEqual({
        ok: true,
        sl: 2640.5,
        tp: 0,
      });
      expect(
        interpretModify(
          parseDwxDict(
            "{'_action': 'MODIFY', '_response': '130', '_response_value': 'invalid stops', '_sl_attempted': 2651.20, '_tp_attempted': 2660.00}",
          ),
        ),
      ).toEqual({
        ok: false,
        code: 130,
        message: '130, invalid stops',
      });
      expect(interpretModify(parseDwxDict("{'_action': 'MODIFY', '_response': 'NOT_FOUND'}"))).toEqual({
        ok: false,
        code: 4108,
        message: 'NOT_FOUND',
      });
      expect(
        interpretModify(
          parseDwxDict(
            "{'_action': 'MODIFY', '_response': '1', '_response_value': 'no error', '_sl_attempted': 1.0, '_tp_attempted': 2.0}",
          ),
        ),
      ).toMatchObject({ ok: false, code: 1 });
    });
  });

  describe('TRADE;CLOSE, CLOSE_PARTIAL', () => {
    it('closed at market', () => {
      const d = parseDwxDict(
        `{'_action': 'CLOSE', '_ticket': 42, '_close_price': ${D(2650.12)}, '_close_lots': ${D(0.01)}, '_response': 'CLOSE_MARKET', '_response_value': 'SUCCESS'}`,
      );
      expect(interpretClose(d)).toEqual({ ok: true, price: 2650.12, lots: 0.01, pending: false });
    });

    it("SUCCESS when every OrderClose failed: GetLastError()'s second, zero, reading skipped; not closed", () => {
      const fail = ", '_response': '129', '_response_value': 'invalid price', '_response': '0', '_response_value': 'no error'";
      const d = parseDwxDict(
        `{'_action': 'CLOSE', '_ticket': 42${fail}${fail}${fail}, '_response': 'CLOSE_MARKET', '_response_value': 'SUCCESS'}`,
      );
      const r = interpretClose(d);
      expect(r).toMatchObject({ ok: false, code: 129 });
      expect((r as { message: string }).message).toMatch(/invalid price.*not closed, although the EA answered SUCCESS/);
    });

    it('SUCCESS after waiting for the trade context in vain: 146', () => {
      const wait = ", '_response': 'TRADE_CONTEXT_BUSY', '_response': 'WAIT_LIMIT_EXCEEDED', '_response_value': 30";
      expect(
        interpretClose(
          parseDwxDict(
            `{'_action': 'CLOSE', '_ticket': 42${wait}${wait}${wait}, '_response': 'CLOSE_MARKET', '_response_value': 'SUCCESS'}`,
          ),
        ),
      ).toMatchObject({ ok: false, code: 146 });
    });

    it('a pending order (deleted without a check), NOT_FOUND', () => {
      expect(
        interpretClose(parseDwxDict("{'_action': 'CLOSE', '_ticket': 43, '_response': 'CLOSE_PENDING', '_response_value': 'SUCCESS'}")),
      ).toEqual({ ok: true, price: null, lots: null, pending: true });
      expect(interpretClose(parseDwxDict("{'_action': 'CLOSE', '_ticket': 44, '_response': 'NOT_FOUND'}"))).toEqual({
        ok: false,
        code: 4108,
        message: 'NOT_FOUND',
      });
    });

    it('CLOSE_PARTIAL: closed, failed, not selectable, and the empty {} of its OrderType() quirk', () => {
      expect(
        interpretClose(
          parseDwxDict(
            `{'_action': 'CLOSE', '_ticket': 42, '_response': 'CLOSE_PARTIAL', '_close_price': ${D(1.0851)}, '_close_lots': ${D(0.02)}}`,
          ),
        ),
      ).toEqual({ ok: true, price: 1.0851, lots: 0.02, pending: false });
      expect(
        interpretClose(
          parseDwxDict(
            "{'_action': 'CLOSE', '_ticket': 42, '_response': 'CLOSE_PARTIAL', '_response': '131', '_response_value': 'invalid trade volume'}",
          ),
        ),
      ).toMatchObject({ ok: false, code: 131 });
      expect(interpretClose(parseDwxDict("{'_action': 'CLOSE', '_ticket': 42, '_response': 'CLOSE_PARTIAL_FAILED'}"))).toMatchObject({
        ok: false,
        code: 4108,
      });
      const empty = parseDwxDict('{}');
      expect(empty.size).toBe(0);
    });
  });

  it('TRADE;CLOSE_ALL and CLOSE_MAGIC: nested dicts keyed by ticket, a trailing ", " when the last entry is not index 0', () => {
    const all = parseDwxDict(
      `{'_action': 'CLOSE_ALL', '_responses': {44: {'_symbol':'EURUSD', '_magic': 0, '_close_price': ${D(1.085)}, '_close_lots': ${D(0.01)}, '_response': 'CLOSE_MARKET'}, 43: {'_symbol':'EURUSD', '_magic': 7, '_response': 'CLOSE_PENDING'}}, '_response_value': 'SUCCESS'}`,
    );
    const rows = all.get('_responses') as DwxDict;
    expect(rows.entries.map(([k]) => k)).toEqual([44, 43]);
    expect(interpretClose(rows.get(44) as DwxDict)).toMatchObject({ ok: true, price: 1.085 });
    expect(plain(parseDwxDict("{'_action': 'CLOSE_ALL', '_responses': {}, '_response': 'NOT_FOUND'}"))).toEqual({
      _action: 'CLOSE_ALL',
      _responses: {},
      _response: 'NOT_FOUND',
    });
    const magic = parseDwxDict(
      `{'_action': 'CLOSE_ALL_MAGIC', '_magic': 123, '_responses': {45: {'_symbol':'XAUUSD', '_close_price': ${D(2650)}, '_close_lots': ${D(0.01)}, '_response': 'CLOSE_MARKET'}, }, '_response_value': 'SUCCESS'}`,
    );
    expect((magic.get('_responses') as DwxDict).size).toBe(1);
  });

  describe('TRADE;GET_OPEN_TRADES', () => {
    const row = (t: number, type: number, comment: string, extra = '') =>
      `${t}: {'_magic': 0, '_symbol': 'XAUUSD', '_lots': ${D(0.01)}, '_type': ${type}, '_open_price': ${D(2650.27)}, '_open_time': '2026.11.22 10:15:03', '_SL': ${D(2640)}, '_TP': ${D(0)}, '_pnl': ${D(-1.5)}, '_comment': '${comment}'${extra}}`;

    it('none', () => {
      expect(interpretOpenTrades(parseDwxDict("{'_action': 'OPEN_TRADES', '_trades': {}}"))).toEqual([]);
    });

    it('positions and pending orders, newest first, comments as they are', () => {
      const d = parseDwxDict(
        `{'_action': 'OPEN_TRADES', '_trades': {${row(12, 2, '')}, ${row(11, 1, 'mt4gw:0123456789 x')}, ${row(10, 0, 'from #7')}}}`,
      );
      const trades = interpretOpenTrades(d);
      expect(trades).toEqual([
        expect.objectContaining({ ticket: 12, type: 'buy_limit', comment: '' }),
        expect.objectContaining({ ticket: 11, type: 'sell', comment: 'mt4gw:0123456789 x' }),
        expect.objectContaining({
          ticket: 10,
          type: 'buy',
          lots: 0.01,
          openPrice: 2650.27,
          openTime: '2026.11.22 10:15:03',
          sl: 2640,
          tp: 0,
          pnl: -1.5,
          magic: 0,
          symbol: 'XAUUSD',
        }),
      ]);
    });

    it("an order gone between OrdersTotal() and OrderSelect() leaves '}, ' before the closing brace", () => {
      const d = parseDwxDict(`{'_action': 'OPEN_TRADES', '_trades': {${row(11, 1, 'a')}, }}`);
      expect(interpretOpenTrades(d)).toHaveLength(1);
    });

    it('a comment with an unescaped apostrophe, a colon, a brace or a comma inside', () => {
      for (const c of ["don't", "it's, ok", 'a:b', 'x}y', "o'neil's [tp]"]) {
        const d = parseDwxDict(`{'_action': 'OPEN_TRADES', '_trades': {${row(11, 0, c)}}}`);
        expect((interpretOpenTrades(d) as { comment: string }[])[0]!.comment).toBe(c);
      }
    });

    it('a row missing a field is reported, not guessed', () => {
      const d = parseDwxDict("{'_action': 'OPEN_TRADES', '_trades': {11: {'_magic': 0, '_symbol': 'XAUUSD'}}}");
      expect(interpretOpenTrades(d)).toMatch(/trade 11: .*lots/);
      expect(interpretOpenTrades(parseDwxDict("{'_action': 'OPEN_TRADES'}"))).toMatch(/_trades/);
    });
  });

  it('TRADE;GET_ACCOUNT_INFO (note the space in `account_leverage :`)', () => {
    const text =
      `{'_action': 'GET_ACCOUNT_INFORMATION', 'account_number':22437, '_data': [{'currenttime': '2026.11.22 10:15', 'account_name':'John Doe', 'account_balance':${D(200)}, ` +
      `'account_equity':${D(198.5)}, 'account_profit':${D(-1.5)}, 'account_free_margin':${D(193.2)}, 'account_leverage' :500}]}`;
    expect(interpretAccount(parseDwxDict(text))).toEqual({
      login: 22437,
      name: 'John Doe',
      currentTime: '2026.11.22 10:15',
      balance: 200,
      equity: 198.5,
      profit: -1.5,
      freeMargin: 193.2,
      leverage: 500,
    });
    expect(interpretAccount(parseDwxDict("{'_action': 'GET_ACCOUNT_INFORMATION', 'account_number':1, '_data': [{}]}"))).toMatch(/missing/);
  });

  it('TRACK_PRICES and TRACK_RATES: the EA fixed 11-field array makes the unused fields error symbols', () => {
    const ten = parseDwxDict(
      `{'_action': 'TRACK_PRICES', '_data': {'symbol_count':10, 'error_symbols':[${Array(9).fill("''").join(', ')}]}}`,
    );
    expect(interpretTrackPrices(ten)).toEqual({ errorSymbols: Array(9).fill('') });
    expect(
      interpretTrackPrices(parseDwxDict("{'_action': 'TRACK_PRICES', '_data': {'symbol_count':2, 'error_symbols':['XAUUSD.x']}}")),
    ).toEqual({ errorSymbols: ['XAUUSD.x'] });
    expect(interpretTrackPrices(parseDwxDict("{'_action': 'TRACK_PRICES', '_data': {'symbol_count': 0}}"))).toEqual({ errorSymbols: [] });
    expect(plain(parseDwxDict("{'_action': 'TRACK_RATES', '_data': {'instrument_count':5, 'error_symbols':['', '']}}"))).toMatchObject({
      _data: { instrument_count: 5 },
    });
  });

  it('HIST: a list of rate dicts, or NOT_AVAILABLE', () => {
    const bar = (t: string) =>
      `{'time':'${t}', 'open':${D(1.1)}, 'high':${D(1.2)}, 'low':${D(1.0)}, 'close':${D(1.15)}, 'tick_volume':120, 'spread':0, 'real_volume':0}`;
    const d = parseDwxDict(
      `{'_action': 'HIST', '_symbol': 'EURUSD_D1', '_data': [${bar('2026.11.20 00:00')}, ${bar('2026.11.21 00:00')}]}`,
    );
    expect((d.get('_data') as DwxValue[]).length).toBe(2);
    expect(plain(parseDwxDict("{'_action': 'HIST', '_symbol': 'EURUSD_UNKNOWN', '_response': 'NOT_AVAILABLE'}"))).toMatchObject({
      _response: 'NOT_AVAILABLE',
    });
  });

  it('PUB messages: SYMBOL:|:bid;ask with %f, rates ignored, garbage refused', () => {
    expect(parseQuote('XAUUSD:|:2650.120000;2650.390000')).toEqual({ symbol: 'XAUUSD', bid: 2650.12, ask: 2650.39 });
    expect(parseQuote('EURUSD_M1:|:1795312423;1.1;1.2;1.0;1.15;12;0;0')).toBeUndefined();
    for (const bad of ['', 'XAUUSD', ':|:1;2', 'X:|:abc;1', 'X:|:2;1', 'X:|:0;1', 'X:|:']) expect(parseQuote(bad)).toBeUndefined();
  });
});

describe('commands and conversions', () => {
  it('TRADE commands have the 11 fields of the EA, comments made safe, numbers plain', () => {
    expect(tradeCommand({ action: 'OPEN', type: 1, symbol: 'EURUSD', comment: "mt4gw:abc; it's", lots: 0.1, magic: 7 })).toBe(
      'TRADE;OPEN;1;EURUSD;0;0;0;mt4gw:abc_ it_s;0.1;7;0',
    );
    expect(tradeCommand({ action: 'GET_OPEN_TRADES' }).split(';')).toHaveLength(11);
    expect(formatNumber(0.30000000000000004)).toBe('0.3');
    expect(formatNumber(1e-7)).toBe('0.0000001');
    expect(formatNumber(-0)).toBe('0');
    expect(sanitizeComment('x'.repeat(40))).toHaveLength(31);
    expect(trackPricesCommand(['A', 'B'])).toBe('TRACK_PRICES;A;B');
  });

  it('stops in points from the open price; "none" lands exactly on 0, never SL=0 points', () => {
    // buy XAUUSD at 2650.27: SL 2640.00 → 1027 points below; TP 2660.27 → 1000 above.
    expect(stopPoints('buy', 2650.27, 0.01, 2640, 2660.27)).toEqual({ sl: 1027, tp: 1000 });
    expect(stopPrices('buy', 2650.27, 0.01, 2, 1027, 1000)).toEqual({ sl: 2640, tp: 2660.27 });
    // sell EURUSD at 1.08512: SL 1.09012 (500 points above), no TP.
    const s = stopPoints('sell', 1.08512, 0.00001, 1.09012, null);
    expect(s.sl).toBe(500);
    expect(stopPrices('sell', 1.08512, 0.00001, 5, s.sl, s.tp)).toEqual({ sl: 1.09012, tp: 0 });
    // No stops at all: both land on 0.
    const none = stopPoints('buy', 2650.27, 0.01, null, null);
    expect(none.sl).not.toBe(0);
    expect(stopPrices('buy', 2650.27, 0.01, 2, none.sl, none.tp)).toEqual({ sl: 0, tp: 0 });
  });

  it('stops round-trip for any price on the point grid', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 10_000_000 })),
        fc.option(fc.integer({ min: 1, max: 10_000_000 })),
        (openPts, digits, buy, slPts, tpPts) => {
          const point = 10 ** -digits;
          const price = (p: number | null) => (p === null ? null : Number((p * point).toFixed(digits)));
          const open = price(openPts)!;
          const sl = price(slPts);
          const tp = price(tpPts);
          const pts = stopPoints(buy ? 'buy' : 'sell', open, point, sl, tp);
          expect(stopPrices(buy ? 'buy' : 'sell', open, point, digits, pts.sl, pts.tp)).toEqual({ sl: sl ?? 0, tp: tp ?? 0 });
        },
      ),
    );
  });

  it("broker wall time, and the broker's offset estimated from a minute-truncated clock", () => {
    const wall = parseWallTime('2026.11.22 03:15')!;
    expect(new Date(wall).toISOString()).toBe('2026-11-22T03:15:00.000Z');
    expect(parseWallTime('2026.11.22 03:15:09')).toBe(wall + 9000);
    for (const bad of ['', '2026-11-22 03:15', '2026.02.30 00:00', '2026.11.22 24:00', '2026.11.22'])
      expect(parseWallTime(bad)).toBeUndefined();
    const now = Date.parse('2026-11-22T01:15:42Z');
    expect(estimateOffsetMinutes(wall, now)).toBe(120);
    expect(estimateOffsetMinutes(parseWallTime('2026.11.21 20:16')!, now)).toBe(-300);
    expect(estimateOffsetMinutes(parseWallTime('2026.11.20 03:15')!, now)).toBeUndefined(); // a weekend-stale clock
    expect(wallToIso(wall, 120)).toBe('2026-11-22T03:15:00+02:00');
  });
});

describe('malformed input never throws anything but a clean DwxParseError', () => {
  const cases = [
    '',
    ' ',
    '{',
    '}',
    "{'a'}",
    "{'a': }",
    "{'a': 1,, 'b': 2}",
    "{'a': 1 'b': 2}",
    "{'a: 1}",
    '{a: 1}',
    '{1.5: 2}',
    "{'a': 1}}",
    "{'a': [1, 2}",
    "{'a': 1e}",
    "{'a': 12abc}",
    "{'a': --1}",
    "{'a': undefined}",
    '['.repeat(100) + ']'.repeat(100),
    "{'_action': 'OPEN_TRADES', '_trades': {12: {'_comment': 'x",
    '\u0000\u0001',
  ];
  for (const text of cases) {
    it(JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text), () => {
      expect(() => parseDwx(text)).toThrow(DwxParseError);
    });
  }

  it('the error names the position and quotes only printable characters', () => {
    try {
      parseDwx("{'a': 1 \u0007 'b'}");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DwxParseError);
      expect((e as Error).message).toMatch(/at character \d+ \(near "[ -~…]*"\)/);
    }
  });

  it('non-dict replies are refused by parseDwxDict', () => {
    expect(() => parseDwxDict('[1]')).toThrow(DwxParseError);
    expect(parseDwx('None')).toBeNull();
  });

  it('fuzz: any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          parseDwx(s);
        } catch (e) {
          expect(e).toBeInstanceOf(DwxParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Values the EA can write; strings avoid a quote followed by a delimiter (the one ambiguity of
  // unescaped quoting).
  const safeString = fc.string({ maxLength: 12 }).filter((s) => !/'\s*([,:}\]]|$)/.test(s) && !s.startsWith("'") && !/"/.test(s));
  const number = fc.oneof(
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => Number(x.toFixed(8))),
  );
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, safeString, number, tie('list'), tie('dict')),
    list: fc.array(tie('v'), { maxLength: 4 }),
    dict: fc
      .array(fc.tuple(fc.oneof(safeString, fc.integer({ min: 0, max: 1e9 })), tie('v')), { maxLength: 4 })
      .map((e) => ({ __dict: e })),
  })).v;
  const render = (v: unknown): string => {
    if (typeof v === 'string') return `'${v}'`;
    if (typeof v === 'number') return String(v).includes('e') ? v.toFixed(8) : String(v);
    if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
    const e = (v as { __dict: [string | number, unknown][] }).__dict;
    return `{${e.map(([k, x]) => `${typeof k === 'string' ? `'${k}'` : k}: ${render(x)}`).join(', ')}}`;
  };
  const expected = (v: unknown): unknown => {
    if (typeof v === 'string' || typeof v === 'number') return typeof v === 'number' ? Number(render(v)) : v;
    if (Array.isArray(v)) return v.map(expected);
    return (v as { __dict: [string | number, unknown][] }).__dict.map(([k, x]) => [k, expected(x)]);
  };
  const actual = (v: DwxValue): unknown => {
    if (v instanceof DwxDict) return v.entries.map(([k, x]) => [k, actual(x)]);
    if (Array.isArray(v)) return v.map(actual);
    return v;
  };

  it('fuzz: what the EA can write parses back to itself, spaces and trailing ", " included', () => {
    fc.assert(
      fc.property(value, fc.boolean(), (v, trailing) => {
        let text = render(v);
        if (trailing) text = text.replace(/\}$/, ', }').replace(/^\{, \}$/, '{}');
        expect(actual(parseDwx(text))).toEqual(expected(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('fuzz: a valid reply cut short or with a character changed fails cleanly', () => {
    const reply =
      "{'_action': 'OPEN_TRADES', '_trades': {11: {'_magic': 0, '_symbol': 'XAUUSD', '_lots': 0.01000000, '_type': 0, '_comment': 'mt4gw:x'}}}";
    fc.assert(
      fc.property(fc.nat(reply.length - 1), fc.string({ minLength: 1, maxLength: 1 }), fc.boolean(), (at, ch, cut) => {
        const text = cut ? reply.slice(0, at) : reply.slice(0, at) + ch + reply.slice(at + 1);
        try {
          parseDwx(text);
        } catch (e) {
          expect(e).toBeInstanceOf(DwxParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
