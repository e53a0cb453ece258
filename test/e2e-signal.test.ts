// End-to-end: `mt4gw signal` through the built binary against paper bridges. The worked example of
// the architecture document (Atlas 0.01, Orion skipped, Nova capped at 0.05), re-delivery,
// concurrent deliveries, an agent down, malformed signals, --dry-run, min_confidence, halts,
// rejections and --from-url against a local HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_AGENTS, startDesk, type Desk, type DeskAgent } from './helpers/desk.js';

let desk: Desk | undefined;
let server: Server | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  server = undefined;
});

const ALL = ['agent_1', 'agent_2', 'agent_3'];
/**
 * 2.00 below Atlas's ask after setPrice(2650) (2650.30 with the sim's spread: SL 2648.30): a tick of
 * 0.01 is worth $1 per lot, so 0.01 lots lose exactly $2.00 (1% of $200) there.
 */
let SL = Number.NaN;

async function open(agents: DeskAgent[] = DESIGN_AGENTS): Promise<Desk> {
  desk = await startDesk(agents);
  const q = desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
  SL = Number((q.ask - 2).toFixed(2));
  desk.sim.agent('agent_3').setPrice('XAUUSD', 2650);
  for (const id of ['agent_2', 'agent_3']) desk.sim.agent(id).setPrice('EURUSD', 1.08);
  return desk;
}

const trades = (d: Desk, id: string) =>
  d.sim
    .agent(id)
    .requests()
    .filter((r) => r.path === '/trade');
const requestsAnywhere = (d: Desk) => ALL.reduce((n, id) => n + d.sim.agent(id).requests().length, 0);
const journal = (d: Desk) =>
  existsSync(join(d.dir, 'state', 'journal.jsonl'))
    ? readFileSync(join(d.dir, 'state', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

interface Row {
  agent_id: string;
  status: string;
  reason: string | null;
  lots: number | null;
  ticket: number | null;
  risk_money: number | null;
  risk_percent: number | null;
  codes: string[];
  mt4_code: number | null;
  order_id: string | null;
}
interface Out {
  dry_run: boolean;
  exit_code: number;
  signals: Array<{ signal: { id: string; derived_id: boolean; side: string; symbol: string }; agents: Row[] }>;
}
const parse = (stdout: string): Out => JSON.parse(stdout) as Out;
const rowsOf = (stdout: string, i = 0): Record<string, Row> =>
  Object.fromEntries(parse(stdout).signals[i]!.agents.map((r) => [r.agent_id, r]));

describe('signal: the worked example', () => {
  it('Atlas opens 0.01 ($2, 1%), Orion skips (not its pair), Nova opens capped at 0.05; Orion is never contacted', async () => {
    const d = await open();
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--confidence', '0.78', '--id', 'w1', '--yes', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = parse(r.stdout);
    expect(out).toMatchObject({ dry_run: false, exit_code: 0 });
    expect(out.signals[0]!.signal).toMatchObject({ id: 'w1', derived_id: false, side: 'buy', symbol: 'XAUUSD' });
    const rows = rowsOf(r.stdout);
    expect(rows.agent_1).toMatchObject({ status: 'opened', lots: 0.01 });
    expect(rows.agent_1!.risk_money).toBeCloseTo(2, 6);
    expect(rows.agent_1!.risk_percent).toBeCloseTo(1, 6);
    expect(rows.agent_2).toMatchObject({ status: 'skipped', lots: null, ticket: null });
    expect(rows.agent_2!.reason).toMatch(/XAUUSD is not in its pairs \(EURUSD, GBPUSD\)/);
    // $1000 × 2% = $20 buys 0.1 lots at this stop; Nova's max_lots (its lot_size) caps it at 0.05.
    expect(rows.agent_3).toMatchObject({ status: 'opened', lots: 0.05 });
    expect(rows.agent_3!.risk_money!).toBeLessThanOrEqual(20);

    const atlas = d.sim.agent('agent_1').positions();
    expect(atlas).toHaveLength(1);
    expect(atlas[0]).toMatchObject({ ticket: rows.agent_1!.ticket, type: 'buy', symbol: 'XAUUSD', lots: 0.01, sl: SL });
    expect(atlas[0]!.comment).toBe(`mt4gw:${rows.agent_1!.order_id}`);
    const nova = d.sim.agent('agent_3').positions();
    expect(nova).toHaveLength(1);
    expect(nova[0]).toMatchObject({ ticket: rows.agent_3!.ticket, lots: 0.05 });
    expect(d.sim.agent('agent_2').requests()).toHaveLength(0);

    // The one order path: intent (with the signal id), request, response, result; then the signal record.
    const j = journal(d);
    for (const id of ['agent_1', 'agent_3']) {
      const orderId = rows[id]!.order_id;
      expect(j.filter((x) => x.order_id === orderId && x.event !== 'signal').map((x) => x.event)).toEqual([
        'intent',
        'request',
        'response',
        'result',
      ]);
      expect(j.find((x) => x.event === 'intent' && x.order_id === orderId)).toMatchObject({ signal_id: 'w1', agent: id });
    }
    expect(
      j
        .filter((x) => x.event === 'signal')
        .map((x) => [x.agent, x.outcome, x.final])
        .sort(),
    ).toEqual([
      ['agent_1', 'opened', true],
      ['agent_2', 'skipped', true],
      ['agent_3', 'opened', true],
    ]);
  });

  it('prints a row per agent for a person', async () => {
    const d = await open();
    const r = await d.run(['signal', 'XAUUSD', 'buy', '--sl', String(SL), '--id', 'w2', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`signal w2: LONG XAUUSD  sl ${SL.toFixed(2)}`);
    expect(r.stdout).toMatch(/agent_1\s+Atlas\s+opened\s+0\.01\s+\d+\s+2\.00 USD \(1\.00%\)/);
    expect(r.stdout).toMatch(/agent_2\s+Orion\s+skipped.*not in its pairs/);
    expect(r.stdout).toMatch(/agent_3\s+Nova\s+opened\s+0\.05/);
  });

  it('a denial is a legitimate outcome: the codes are listed, nothing is sent there, exit 0', async () => {
    const d = await open();
    // A stop 10.27 away: Atlas's $2 buys 0.0019 lots (never rounded up); Nova's $20 buys 0.01.
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', '2640', '--yes', '--json']);
    expect(r.code).toBe(0);
    const rows = rowsOf(r.stdout);
    expect(rows.agent_1).toMatchObject({ status: 'denied', codes: ['SIZE_BELOW_MIN_LOT'] });
    expect(rows.agent_1!.reason).toMatch(/SIZE_BELOW_MIN_LOT/);
    expect(trades(d, 'agent_1')).toHaveLength(0);
    expect(rows.agent_3).toMatchObject({ status: 'opened', lots: 0.01 });
  });
});

describe('signal: idempotency', () => {
  it('a re-delivered id opens nothing new and says "already handled" on every agent', async () => {
    const d = await open();
    expect((await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'again', '--yes'])).code).toBe(0);
    const before = { a1: trades(d, 'agent_1').length, a3: trades(d, 'agent_3').length };
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'again', '--yes', '--json']);
    expect(r.code).toBe(0);
    const rows = rowsOf(r.stdout);
    for (const id of ALL) expect(rows[id]!.status).toBe('duplicate');
    expect(rows.agent_1!.reason).toMatch(/^already handled at .*: opened ticket \d+/);
    expect(rows.agent_2!.reason).toMatch(/already handled .*skipped \(XAUUSD is not in its pairs/);
    expect(trades(d, 'agent_1')).toHaveLength(before.a1);
    expect(trades(d, 'agent_3')).toHaveLength(before.a3);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(1);
    // The text form says it too.
    const text = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'again', '--yes']);
    expect(text.stdout).toMatch(/agent_3\s+Nova\s+already handled/);
  });

  it('a signal without an id is known by its content, whichever way it arrives', async () => {
    const d = await open();
    const first = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--tp', '2660', '--yes', '--json']);
    expect(first.code).toBe(0);
    const id = parse(first.stdout).signals[0]!.signal.id;
    expect(id).toMatch(/^sig-[0-9a-f]{16}$/);
    expect(parse(first.stdout).signals[0]!.signal.derived_id).toBe(true);
    // The same trade as JSON on stdin: other key order, "BUY" for long, a confidence (not part of the identity).
    const again = await d.run(['signal', '-', '--yes', '--json'], {
      input: `{"tp": 2660, "sl": ${SL}, "side": "BUY", "symbol": "xauusd", "confidence": 0.9}`,
    });
    expect(again.code).toBe(0);
    expect(parse(again.stdout).signals[0]!.signal.id).toBe(id);
    for (const row of Object.values(rowsOf(again.stdout))) expect(row.status).toBe('duplicate');
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(1);
    // Other levels are another signal.
    const other = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--tp', '2661', '--yes', '--json']);
    expect(parse(other.stdout).signals[0]!.signal.id).not.toBe(id);
    expect(rowsOf(other.stdout).agent_3!.status).toBe('opened');
  });

  it('four concurrent deliveries of one signal open once per agent', async () => {
    // Atlas may hold 3 positions here, so only idempotency (not max_positions) can stop a second one.
    const d = await open([{ ...DESIGN_AGENTS[0]!, maxPositions: 3 }, DESIGN_AGENTS[1]!, DESIGN_AGENTS[2]!]);
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'race', '--yes', '--json'], { timeoutMs: 60_000 }),
      ),
    );
    for (const r of runs) expect(r.code).toBe(0);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(1);
    expect(trades(d, 'agent_1')).toHaveLength(1);
    expect(trades(d, 'agent_3')).toHaveLength(1);
    for (const id of ['agent_1', 'agent_3']) {
      const statuses = runs.map((r) => rowsOf(r.stdout)[id]!.status).sort();
      expect(statuses).toEqual(['duplicate', 'duplicate', 'duplicate', 'opened']);
    }
  }, 90_000);

  it('an MT4 rejection is final: exit 5 with the code, and a re-delivery does not retry it', async () => {
    const d = await open();
    d.sim.agent('agent_3').setFaults([{ kind: 'trade_error', code: 134, count: 1 }]);
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'rej', '--yes', '--json']);
    expect(r.code).toBe(5);
    const rows = rowsOf(r.stdout);
    expect(rows.agent_1!.status).toBe('opened');
    expect(rows.agent_3).toMatchObject({ status: 'failed', mt4_code: 134 });
    expect(r.stderr).toMatch(/agent_3 \(Nova\): failed: MT4 rejected it: error 134, not enough money/);
    const again = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'rej', '--yes', '--json']);
    expect(again.code).toBe(0);
    expect(rowsOf(again.stdout).agent_3!.status).toBe('duplicate');
    expect(trades(d, 'agent_3')).toHaveLength(1);
  });
});

describe('signal: agents decide for themselves', () => {
  it('one agent down while the others trade: exit 3; a re-delivery then trades only there', async () => {
    const d = await open();
    await d.sim.agent('agent_3').goDown();
    const r = await d.run(['--timeout', '1s', 'signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'down', '--yes', '--json']);
    expect(r.code).toBe(3);
    const rows = rowsOf(r.stdout);
    expect(rows.agent_1!.status).toBe('opened');
    expect(rows.agent_2!.status).toBe('skipped');
    expect(rows.agent_3!.status).toBe('unreachable');
    expect(r.stderr).toMatch(/agent_3 \(Nova\): unreachable/);
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);

    await d.sim.agent('agent_3').goUp();
    const again = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'down', '--yes', '--json']);
    expect(again.code).toBe(0);
    const rows2 = rowsOf(again.stdout);
    expect(rows2.agent_1!.status).toBe('duplicate');
    expect(rows2.agent_3).toMatchObject({ status: 'opened', lots: 0.05 });
    expect(d.sim.agent('agent_1').positions()).toHaveLength(1);
    expect(d.sim.agent('agent_3').positions()).toHaveLength(1);
  });

  it('skips an agent below its min_confidence, or when the signal carries none', async () => {
    const d = await open();
    const yml = readFileSync(d.configPath, 'utf8').replace(
      'pairs: [XAUUSD, EURUSD, GBPUSD, USDJPY]',
      'pairs: [XAUUSD, EURUSD, GBPUSD, USDJPY]\n      min_confidence: 0.8',
    );
    writeFileSync(d.configPath, yml);
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--confidence', '0.78', '--yes', '--json']);
    expect(r.code).toBe(0);
    const rows = rowsOf(r.stdout);
    expect(rows.agent_1!.status).toBe('opened');
    expect(rows.agent_3!.status).toBe('skipped');
    expect(rows.agent_3!.reason).toMatch(/confidence 78% is below its min_confidence 80%/);
    const none = await d.run(['signal', 'XAUUSD', 'long', '--sl', '2648', '--yes', '--json']);
    expect(rowsOf(none.stdout).agent_3!.reason).toMatch(/carries no confidence/);
    const enough = await d.run(['signal', 'XAUUSD', 'long', '--sl', '2647', '--confidence', '80%', '--yes', '--json']);
    expect(rowsOf(enough.stdout).agent_3!.status).toBe('opened');
    expect(trades(d, 'agent_3')).toHaveLength(1);
  });

  it('skips a halted agent without a trade request; the others trade', async () => {
    const d = await open();
    expect((await d.run(['halt', 'agent_1', '--reason', 'broker maintenance'])).code).toBe(0);
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--yes', '--json']);
    expect(r.code).toBe(0);
    const rows = rowsOf(r.stdout);
    expect(rows.agent_1!.status).toBe('skipped');
    expect(rows.agent_1!.reason).toMatch(/halted .*broker maintenance/);
    expect(trades(d, 'agent_1')).toHaveLength(0);
    expect(rows.agent_3!.status).toBe('opened');
  });

  it('--dry-run prints the plan, sends no trade and marks nothing handled', async () => {
    const d = await open();
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'dry', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const out = parse(r.stdout);
    expect(out.dry_run).toBe(true);
    const rows = rowsOf(r.stdout);
    expect(rows.agent_1).toMatchObject({ status: 'would_open', lots: 0.01, ticket: null });
    expect(rows.agent_2!.status).toBe('skipped');
    expect(rows.agent_3).toMatchObject({ status: 'would_open', lots: 0.05 });
    for (const id of ALL) expect(trades(d, id)).toHaveLength(0);
    expect(journal(d).filter((j) => j.event === 'signal' || j.event === 'intent')).toHaveLength(0);
    const text = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'dry', '--dry-run']);
    expect(text.stdout).toMatch(/agent_1\s+Atlas\s+would open\s+0\.01/);
    expect(text.stderr).toMatch(/dry run: nothing was sent/);
    // It did not count as handling: the real delivery opens.
    const real = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL), '--id', 'dry', '--yes', '--json']);
    expect(rowsOf(real.stdout).agent_1!.status).toBe('opened');
  });

  it('without a terminal and without --yes it refuses and sends nothing at all', async () => {
    const d = await open();
    const r = await d.run(['signal', 'XAUUSD', 'long', '--sl', String(SL)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(requestsAnywhere(d)).toBe(0);
  });

  it('a list from a file: each signal goes to the agents that trade its symbol', async () => {
    const d = await open();
    const file = join(d.dir, 'signals.json');
    writeFileSync(
      file,
      JSON.stringify([
        { id: 'f1', symbol: 'XAUUSD', side: 'long', sl: SL },
        { id: 'f2', symbol: 'EURUSD', side: 'short', sl: 1.085, tp: 1.07 },
      ]),
    );
    const r = await d.run(['signal', '--file', file, '--yes', '--json']);
    expect(r.code).toBe(0);
    const eur = rowsOf(r.stdout, 1);
    expect(eur.agent_1!.status).toBe('skipped');
    expect(eur.agent_2!.status).toBe('opened');
    expect(eur.agent_3!.status).toBe('opened');
    expect(d.sim.agent('agent_2').positions()[0]).toMatchObject({ type: 'sell', symbol: 'EURUSD', sl: 1.085, tp: 1.07 });
  });
});

describe('signal: malformed signals send nothing', () => {
  const BAD: Array<[string, string[], string | undefined, RegExp]> = [
    ['no stop loss', ['XAUUSD', 'long'], undefined, /sl: missing: expected the stop loss/],
    ['an unknown side', ['XAUUSD', 'up', '--sl', '2640'], undefined, /side: expected long, short, buy or sell, got "up"/],
    ['a stop loss that is not a number', ['XAUUSD', 'long', '--sl', 'abc'], undefined, /--sl "abc" is not a number/],
    ['NaN', ['XAUUSD', 'long', '--sl', 'NaN'], undefined, /not a number/],
    ['a percentage as confidence', ['XAUUSD', 'long', '--sl', '2640', '--confidence', '78'], undefined, /write 0\.78 for 78%/],
    [
      'a stop above the target of a long',
      ['XAUUSD', 'long', '--sl', '2660', '--tp', '2650'],
      undefined,
      /stop loss \(2660\) must be below the take profit \(2650\)/,
    ],
    ['not a symbol', ['XAU USD', 'long', '--sl', '2640'], undefined, /symbol: expected a symbol/],
    ['not JSON', ['-'], '{"symbol": "XAUUSD", side: long}', /is not JSON/],
    ['empty stdin', ['-'], '', /no signal: stdin is empty/],
    [
      'a quoted number',
      ['-'],
      '{"symbol":"XAUUSD","side":"long","sl":"2640"}',
      /sl: expected the stop loss: a price > 0 .* got "2640" \(write numbers without quotes\)/,
    ],
    ['an infinite number', ['-'], '{"symbol":"XAUUSD","side":"long","sl":1e999}', /sl: .*got Infinity/],
    ['a huge price', ['-'], '{"symbol":"XAUUSD","side":"long","sl":1e12}', /below 100000000/],
    ['an unknown key', ['-'], '{"symbol":"XAUUSD","side":"long","sl":2640,"lots":5}', /lots: unknown key/],
    [
      'a misspelt key',
      ['-'],
      '{"symbol":"XAUUSD","side":"long","sl":2640,"confidance":0.8}',
      /confidance: unknown key — did you mean `confidence`\?/,
    ],
    ['extra nesting', ['-'], '{"symbol":"XAUUSD","side":"long","sl":{"price":2640}}', /sl: .*got a mapping/],
    ['a list of lists', ['-'], '[[{"symbol":"XAUUSD","side":"long","sl":2640}]]', /\[0\]: expected a signal object/],
    [
      'one bad signal in a list',
      ['-'],
      '[{"symbol":"XAUUSD","side":"long","sl":2640},{"symbol":"EURUSD","side":"short"}]',
      /\[1\]\.sl: missing/,
    ],
    [
      'one id for two signals',
      ['-'],
      '[{"id":"x","symbol":"XAUUSD","side":"long","sl":2640},{"id":"x","symbol":"XAUUSD","side":"long","sl":2641}]',
      /id "x" names two different signals/,
    ],
    [
      'a time without its zone',
      ['-'],
      '{"symbol":"XAUUSD","side":"long","sl":2640,"created_at":"2026-11-20 08:15"}',
      /created_at: expected an ISO-8601 time with its zone/,
    ],
    ['two sources', ['XAUUSD', 'long', '--sl', '2640', '--file', 'x.json'], undefined, /one way, not/],
    [
      'levels with JSON input',
      ['-', '--sl', '2640'],
      '{"symbol":"XAUUSD","side":"long","sl":2640}',
      /--sl belongs to the command-line form/,
    ],
  ];
  for (const [name, args, input, message] of BAD) {
    it(`${name}: exit 2, a clear message, no request to any bridge`, async () => {
      const d = desk ?? (await open());
      const r = await d.run(['signal', ...args, '--yes'], input === undefined ? {} : { input });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/nothing was sent|not a number|one way|belongs to/);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(requestsAnywhere(d)).toBe(0);
    });
  }

  it('lists every bad field at once', async () => {
    const d = await open();
    const r = await d.run(['signal', '-', '--yes'], { input: '{"symbol":"XAUUSD","side":"up","sl":-1,"confidence":2,"extra":true}' });
    expect(r.code).toBe(2);
    for (const f of ['side:', 'sl:', 'confidence:', 'extra: unknown key']) expect(r.stderr).toContain(`  ${f}`);
  });
});

describe('signal --from-url', () => {
  async function serve(handler: (path: string, res: import('node:http').ServerResponse) => void): Promise<string> {
    server = createServer((req, res) => handler(req.url ?? '', res));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('takes a list from a model service', async () => {
    const d = await open();
    let asked = '';
    const base = await serve((path, res) => {
      asked = path;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify([
          { id: 'm1', symbol: 'XAUUSD', side: 'long', sl: SL, confidence: 0.78, created_at: '2026-11-20T08:15:00+02:00' },
          { id: 'm2', symbol: 'EURUSD', side: 'short', sl: 1.085 },
        ]),
      );
    });
    const r = await d.run(['signal', '--from-url', `${base}/signals/latest?token=SECRET123`, '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(asked).toBe('/signals/latest?token=SECRET123');
    const out = parse(r.stdout);
    expect(out.signals.map((s) => s.signal.id)).toEqual(['m1', 'm2']);
    expect(rowsOf(r.stdout, 0).agent_1!.status).toBe('opened');
    expect(rowsOf(r.stdout, 1).agent_2!.status).toBe('opened');
    // Delivered again by the next cron run: nothing new.
    const again = await d.run(['signal', '--from-url', `${base}/signals/latest?token=SECRET123`, '--yes', '--json']);
    expect(again.code).toBe(0);
    expect(
      parse(again.stdout)
        .signals.flatMap((s) => s.agents)
        .every((a) => a.status === 'duplicate'),
    ).toBe(true);
  });

  it('"no signal now" (204 or []) is exit 0 and sends nothing', async () => {
    const d = await open();
    const base = await serve((path, res) => {
      if (path.startsWith('/empty')) res.writeHead(200).end('[]');
      else res.writeHead(204).end();
    });
    for (const p of ['/none', '/empty']) {
      const r = await d.run(['signal', '--from-url', `${base}${p}`, '--yes', '--json']);
      expect(r.code).toBe(0);
      expect(parse(r.stdout).signals).toEqual([]);
    }
    expect(requestsAnywhere(d)).toBe(0);
  });

  it('a failing service exits 2, never printing the query (it may hold a token)', async () => {
    const d = await open();
    const base = await serve((_path, res) => res.writeHead(500).end('boom'));
    const r = await d.run(['-v', 'signal', '--from-url', `${base}/signals?token=SECRET123`, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${base}/signals answered HTTP 500`);
    expect(r.stderr + r.stdout).not.toContain('SECRET123');
    expect(requestsAnywhere(d)).toBe(0);
  });

  it('a hanging service is given up on within --timeout', async () => {
    const d = await open();
    const base = await serve(() => undefined); // never answers
    const r = await d.run(['--timeout', '500ms', 'signal', '--from-url', `${base}/s?key=SECRET123`, '--yes'], { timeoutMs: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did not answer within 500 ms/);
    expect(r.stderr).not.toContain('SECRET123');
    expect(r.ms).toBeLessThan(5_000);
    expect(requestsAnywhere(d)).toBe(0);
  });

  it('a dead service, a bad body and a non-http scheme exit 2 without leaking the URL', async () => {
    const d = await open();
    const dead = await serve(() => undefined);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const refused = await d.run(['signal', '--from-url', `${dead}/s?token=SECRET123`, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/could not fetch the signals from http:\/\/127\.0\.0\.1:\d+\/s/);
    expect(refused.stderr).not.toContain('SECRET123');
    const base = await serve((_p, res) => res.writeHead(200).end('<html>oops</html>'));
    const html = await d.run(['signal', '--from-url', `${base}/s?token=SECRET123`, '--yes']);
    expect(html.code).toBe(2);
    expect(html.stderr).toMatch(/is not JSON/);
    expect(html.stderr).not.toContain('SECRET123');
    const ftp = await d.run(['signal', '--from-url', 'ftp://127.0.0.1/s?token=SECRET123', '--yes']);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/http:\/\/ or https:\/\//);
    expect(ftp.stderr).not.toContain('SECRET123');
    expect(requestsAnywhere(d)).toBe(0);
  });
});
