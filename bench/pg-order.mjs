// `npm run bench` scenario "pgorder": the cost of one order with the PostgreSQL desk store
// (docs/shared-desk.md) against the same order with the local files — one `trade` process each,
// interleaved, on one paper agent with no injected latency, against a throw-away PostgreSQL
// server on 127.0.0.1 (scripts/pg-server.mjs, its data directory removed at the end). The
// difference is what a shared desk adds to an order: connecting (pool and lock session), the
// schema check, and the committed transactions of intent, request, response and result.
import { spawnSync } from 'node:child_process';
import { findPgBin, startPgServer } from '../scripts/pg-server.mjs';
import { NODE, interleave, request, startSim, timed } from './lib.mjs';

const ID = 'pgorder';
const TITLE = 'trade, 1 agent: PostgreSQL desk store vs local files';

export async function pgorder({ h, opts, builds }) {
  if (!findPgBin()) return { skip: 'not measured: no PostgreSQL server binaries (apt-get install postgresql)', id: ID, target: 1.5 };
  const hasState = (b) => {
    const r = spawnSync(NODE, [b.bin, 'state', '--help'], { env: h.env({}, b.home), encoding: 'utf8', timeout: 30_000 });
    return r.status === 0 && /migrate/.test(r.stdout);
  };
  if (!builds.every(hasState))
    return { skip: 'not measured: a build without the PostgreSQL store (no `mt4gw state`)', id: ID, target: 1.5 };
  const server = await startPgServer();
  try {
    const sim = await startSim(h, opts.bin, 'pg1', 1);
    const agent = sim.agents[0];
    const variants = [];
    for (const b of builds) {
      // A database per build, migrated before measuring (first use would migrate it inside a sample).
      const db = `bench_${b.id}`;
      spawnSync('psql', [server.urlFor('postgres'), '-qc', `CREATE DATABASE ${db}`], { stdio: 'ignore' });
      const url = server.urlFor(db);
      const pgDir = h.freshDir('pgstate');
      const trade = () => [NODE, b.bin, '-c', sim.config, 'trade', agent.id, 'buy', 'EURUSD', '0.01', '--yes'];
      timed(h, [NODE, b.bin, '-c', sim.config, 'state', 'migrate'], {
        env: h.env({ MT4GW_STATE_URL: url, MT4GW_STATE_DIR: pgDir }, b.home),
      });
      variants.push(
        { name: `files@${b.id}`, argv: trade, env: () => h.env({ MT4GW_STATE_DIR: h.freshDir('state') }, b.home) },
        { name: `postgres@${b.id}`, argv: trade, env: () => h.env({ MT4GW_STATE_DIR: pgDir, MT4GW_STATE_URL: url }, b.home) },
      );
    }
    // Every order opens a position: close them after each round so none is denied for max_positions.
    const after = async () => {
      const { body } = await request(agent, 'GET', '/positions');
      for (const p of body) await request(agent, 'POST', '/trade', { action: 'close', ticket: p.ticket });
    };
    const s = await interleave(h, variants, { ...opts.rounds, after, measure: (v) => timed(h, v.argv(), { env: v.env() }) });
    return {
      samples: s,
      rows: [
        {
          id: ID,
          scenario: TITLE,
          target: 1.5,
          unit: 'ms',
          builds: Object.fromEntries(builds.map((b) => [b.id, { mt4gw: s[`postgres@${b.id}`], baseline: s[`files@${b.id}`] }])),
        },
      ],
    };
  } finally {
    server.stop();
  }
}
