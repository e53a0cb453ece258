// The scenarios of `npm run bench` (docs/performance.md explains each). Every scenario runs its
// baselines and, for every build being measured (this one, and with --compare the other one too),
// its mt4gw variants, all interleaved in the same rounds. Each returns rows: for every build, the
// mt4gw samples and the baseline (samples from the same rounds, or one computed figure).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { NODE, ROOT, TIME, fillPositions, interleave, peakRss, request, runQuiet, subsetConfig, timed } from './lib.mjs';

const mt4gw = (b, ...args) => [NODE, b.bin, ...args];

/** One variant per build: named `name@build`. */
const perBuild = (builds, name, make) => builds.map((b) => ({ name: `${name}@${b.id}`, build: b, ...make(b) }));

/** A row for every build from samples named `name@build` against the baseline `base(build)`. */
function rows(builds, s, { id, scenario, target, name, base, unit = 'ms' }) {
  return {
    id,
    scenario,
    target,
    unit,
    builds: Object.fromEntries(builds.map((b) => [b.id, { mt4gw: s[`${name}@${b.id}`], baseline: base(b) }])),
  };
}

export const SCENARIOS = {
  async start({ h, opts, builds, s3 }) {
    // 1. Start-up: one round trip (0 ms bridge latency), --version, --help — against `node -e 0`.
    const v = [
      { name: 'node -e 0', argv: () => [NODE, '-e', '0'] },
      ...perBuild(builds, 'account', (b) => ({ argv: () => mt4gw(b, '-c', s3.config, 'account', 'agent_1') })),
      ...perBuild(builds, '--version', (b) => ({ argv: () => mt4gw(b, '--version') })),
      ...perBuild(builds, '--help', (b) => ({ argv: () => mt4gw(b, '--help') })),
    ];
    const s = await interleave(h, v, { ...opts.rounds, measure: (x) => timed(h, x.argv(), { env: h.env({}, x.build?.home) }) });
    const node = () => s['node -e 0'];
    return {
      samples: s,
      rows: [
        rows(builds, s, {
          id: 'start.account',
          scenario: 'start: account agent_1 (1 round trip) vs node -e 0',
          target: 1.6,
          name: 'account',
          base: node,
        }),
        rows(builds, s, { id: 'start.version', scenario: 'start: --version vs node -e 0', target: 1.3, name: '--version', base: node }),
        rows(builds, s, { id: 'start.help', scenario: 'start: --help vs node -e 0', target: 1.3, name: '--help', base: node }),
      ],
    };
  },

  async floor({ h, opts, builds, s3 }) {
    // 2. `summary --json` over 3 agents against a ~20-line node:http script doing the same requests concurrently.
    const targets = s3.agents.map((a) => `${a.host}:${a.port}`);
    const v = [
      { name: 'floor.mjs', argv: () => [NODE, path.join(ROOT, 'bench', 'floor.mjs'), ...targets] },
      ...perBuild(builds, 'summary --json', (b) => ({ argv: () => mt4gw(b, '-c', s3.config, 'summary', '--json') })),
    ];
    const s = await interleave(h, v, { ...opts.rounds, measure: (x) => timed(h, x.argv(), { env: h.env({}, x.build?.home) }) });
    return {
      samples: s,
      rows: [
        rows(builds, s, {
          id: 'floor',
          scenario: 'summary --json, 3 agents vs node:http floor script',
          target: 1.3,
          name: 'summary --json',
          base: () => s['floor.mjs'],
        }),
      ],
    };
  },

  async fanout({ h, opts, builds, s50 }) {
    // 3. `summary` over 50 agents at 50 ms each against `summary` over one of them (its own 1-agent agents.yml).
    const one = subsetConfig(h, s50, 1, 'fanout-1');
    const v = [
      ...perBuild(builds, '1 agent', (b) => ({ argv: () => mt4gw(b, '-c', one, 'summary') })),
      ...perBuild(builds, '50 agents', (b) => ({ argv: () => mt4gw(b, '-c', s50.config, 'summary') })),
    ];
    const s = await interleave(h, v, { ...opts.rounds, measure: (x) => timed(h, x.argv(), { env: h.env({}, x.build.home) }) });
    return {
      samples: s,
      rows: [
        rows(builds, s, {
          id: 'fanout',
          scenario: 'summary, 50 agents @50 ms vs 1 agent @50 ms',
          target: 1.3,
          name: '50 agents',
          base: (b) => s[`1 agent@${b.id}`],
        }),
      ],
    };
  },

  async panic({ h, opts, builds, p10 }) {
    // 4. panic: 10 agents × 20 positions, 20 ms per trade, one trade at a time per terminal.
    //    Ideal: start-up + 20 × 20 ms. Start-up is measured in the same rounds two ways: `panic --yes`
    //    on the same desk when it is already flat (the same command with nothing to close), and `--version`.
    //    Each build keeps one state directory for all its runs, like a desk (its config cache warm,
    //    its journal growing); after every panic only what a panic changed is undone — the desk's
    //    halt, with that build's own `resume --all --yes` (not timed).
    const POSITIONS = 20;
    const TRADE_MS = 20;
    const runs = Math.max(3, Math.min(opts.rounds.runs, 10));
    const warmup = Math.min(opts.rounds.warmup, 1);
    const desk = (b) => h.env({ MT4GW_STATE_DIR: h.dir(`state-panic-${b.id}`) }, b.home);
    const resume = (b) => () => void runQuiet(h, mt4gw(b, '-c', p10.config, 'resume', '--all', '--yes'), desk(b));
    const v = [
      ...perBuild(builds, 'panic 10x20', (b) => ({
        argv: () => mt4gw(b, '-c', p10.config, 'panic', '--yes'),
        env: () => desk(b),
        before: () => fillPositions(p10.agents, POSITIONS),
        afterEach: resume(b),
      })),
      ...perBuild(builds, 'panic flat', (b) => ({
        argv: () => mt4gw(b, '-c', p10.config, 'panic', '--yes'),
        env: () => desk(b),
        afterEach: resume(b),
      })),
      ...perBuild(builds, '--version', (b) => ({ argv: () => mt4gw(b, '--version'), env: () => desk(b) })),
    ];
    const s = await interleave(h, v, { runs, warmup, measure: (x) => timed(h, x.argv(), { env: x.env() }) });
    const serial = POSITIONS * TRADE_MS;
    const sum = (xs) => xs.map((x) => x + serial);
    return {
      samples: { ...s, positions_per_agent: POSITIONS, trade_latency_ms: TRADE_MS, agents: p10.agents.length },
      rows: [
        rows(builds, s, {
          id: 'panic',
          scenario: `panic 10 agents × ${POSITIONS} positions @${TRADE_MS} ms/trade vs flat-desk panic + ${serial} ms`,
          target: 1.2,
          name: 'panic 10x20',
          base: (b) => sum(s[`panic flat@${b.id}`]),
        }),
        rows(builds, s, {
          id: 'panic.version',
          scenario: `panic, as above, vs --version + ${serial} ms`,
          target: 1.2,
          name: 'panic 10x20',
          base: (b) => sum(s[`--version@${b.id}`]),
        }),
      ],
    };
  },

  async signal({ h, opts, builds, sig10 }) {
    // 5. One signal to 10 agents against one agent, 20 ms latency on every request. Each build keeps
    //    one state directory (a desk: caches warm); its journal — the only thing a signal leaves
    //    there, and what the next signal reads — is removed after every round, so every signal
    //    starts from an empty journal as on a fresh desk.
    const one = subsetConfig(h, sig10, 1, 'signal-1');
    let seq = 0;
    const runId = Date.now().toString(36);
    let currentBid = 0;
    const signalArgv = (b, config) => {
      // A stop 30 pips under the current bid: inside every agent's 2 % risk at 0.01 lots or more.
      const sl = (Math.round((currentBid - 0.003) * 1e5) / 1e5).toFixed(5);
      return mt4gw(b, '-c', config, 'signal', 'EURUSD', 'long', '--sl', sl, '--id', `bench-${runId}-${seq++}`, '--yes');
    };
    const refreshBid = async () => {
      const { body } = await request(sig10.agents[0], 'GET', '/tick/EURUSD');
      currentBid = body.bid;
    };
    // Every round opens one position on agent_1 per variant and one on each other agent. Check that,
    // then close them all, so that no run is cheaper for being denied (max_positions, margin). The
    // spread lost on those closes counts against the daily-loss limit (5 % of a 200 balance): a
    // profitable trade in today's history, balance unchanged, keeps the limit out of reach.
    await Promise.all(
      sig10.agents.map(async (a) => {
        const r = await request(a, 'POST', '/_sim/history', {
          trades: [{ symbol: 'EURUSD', type: 'buy', lots: 0.01, open_price: 1.08, close_price: 1.08, profit: 1000 }],
          adjust_balance: false,
        });
        if (r.status !== 200) throw new Error(`sim history on ${a.id}: ${JSON.stringify(r.body)}`);
      }),
    );
    const desk = (b) => h.dir(`state-signal-${b.id}`);
    let incomplete = 0;
    const perAgent1 = 2 * builds.length; // agent_1 is in both configs: one position per run of every variant
    const after = async () => {
      const lists = await Promise.all(sig10.agents.map(async (a) => ({ a, positions: (await request(a, 'GET', '/positions')).body })));
      if (lists.some(({ a, positions }) => positions.length !== (a.id === 'agent_1' ? perAgent1 : builds.length))) incomplete++;
      await Promise.all(
        lists.map(async ({ a, positions }) => {
          for (const p of positions) await request(a, 'POST', '/trade', { action: 'close', ticket: p.ticket });
        }),
      );
    };
    const v = [
      ...perBuild(builds, '1 agent', (b) => ({ argv: () => signalArgv(b, one), before: refreshBid })),
      ...perBuild(builds, '10 agents', (b) => ({ argv: () => signalArgv(b, sig10.config), before: refreshBid })),
    ];
    // The journal goes after each run, not only each round: the 10-agent run must not read the 1-agent run's records.
    for (const x of v) x.afterEach = () => rmSync(path.join(desk(x.build), 'journal.jsonl'), { force: true });
    const s = await interleave(h, v, {
      ...opts.rounds,
      after,
      measure: (x) => timed(h, x.argv(), { env: h.env({ MT4GW_STATE_DIR: desk(x.build) }, x.build.home) }),
    });
    const row = rows(builds, s, {
      id: 'signal',
      scenario: 'signal EURUSD long to 10 agents @20 ms vs 1 agent',
      target: 1.3,
      name: '10 agents',
      base: (b) => s[`1 agent@${b.id}`],
    });
    if (incomplete) row.note = `in ${incomplete} round(s) not every agent opened its position`;
    return { samples: { ...s, rounds_where_not_every_agent_opened: incomplete }, rows: [row] };
  },

  async memory({ h, opts, builds, s50 }) {
    // 6. Peak RSS of `summary` over 50 agents against `node -e 0`.
    if (!TIME) return { skip: 'not measured: no /usr/bin/time (GNU time) on this machine', id: 'memory', target: 1.5 };
    const runs = Math.max(3, Math.min(opts.rounds.runs, 9));
    const v = [
      { name: 'node -e 0', argv: () => [NODE, '-e', '0'] },
      ...perBuild(builds, 'summary 50', (b) => ({ argv: () => mt4gw(b, '-c', s50.config, 'summary') })),
    ];
    const s = await interleave(h, v, { runs, warmup: 1, measure: (x) => peakRss(h, x.argv(), { env: h.env({}, x.build?.home) }) });
    if (builds.some((b) => s[`summary 50@${b.id}`].length === 0))
      return { skip: 'not measured: GNU time gave no %M', id: 'memory', target: 1.5 };
    return {
      samples: s,
      rows: [
        rows(builds, s, {
          id: 'memory',
          scenario: 'peak RSS: summary over 50 agents vs node -e 0',
          target: 1.5,
          name: 'summary 50',
          base: () => s['node -e 0'],
          unit: 'KiB',
        }),
      ],
    };
  },

  // 7. One order with the PostgreSQL desk store against the local files (bench/pg-order.mjs).
  pgorder: (ctx) => import('./pg-order.mjs').then((m) => m.pgorder(ctx)),
};
