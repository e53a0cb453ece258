// `mt4gw state status|migrate|import` and agents.yml's `state:` block, through the built binary,
// against a real PostgreSQL server (a database per test). The URL's password never shows.
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore } from '../../src/state/open.js';
import { startCli } from '../helpers/cli.js';
import { DESIGN_AGENTS, startDesk, type Desk } from '../helpers/desk.js';
import { createDatabase, type TestDatabase } from '../helpers/pg.js';

let desk: Desk | undefined;
let db: TestDatabase | undefined;
afterEach(async () => {
  await desk?.close();
  await db?.drop();
  desk = undefined;
  db = undefined;
});
const LONG = { timeoutMs: 60_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const password = (url: string) => new URL(url).password;

describe('mt4gw state', () => {
  it('status on the local files: the backend, the directory, the locks; migrate and import need a database (exit 2)', async () => {
    desk = await startDesk();
    const r = await desk.run(['state', 'status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'files', where: desk.env.MT4GW_STATE_DIR, reachable: true, locks: [] });
    for (const sub of ['migrate', 'import']) {
      const m = await desk.run(['state', sub]);
      expect(m.code).toBe(2);
      expect(m.stderr).toMatch(/the desk state is local files .*there is no database/);
    }
  });

  it('status on a shared desk: reachable, schema version, who holds which lock; migrate is idempotent', async () => {
    db = await createDatabase('cmd');
    desk = await startDesk(DESIGN_AGENTS, {}, '', { stateUrl: db.url });
    const m = await desk.run(['state', 'migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ from: 0, to: 1, applied: [{ version: 1 }] });
    const again = await desk.run(['state', 'migrate']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/schema version 1, up to date/);

    desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
    const b = desk.machine('B');
    const holder = startCli(['--config', desk.configPath, 'trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'], {
      env: { ...b.env, MT4GW_STOP_AT: 'before_send' },
      timeoutMs: 60_000,
    });
    const store = await desk.store();
    const until = Date.now() + 20_000;
    while ((await store.locks()).length === 0 && Date.now() < until) await sleep(50);
    const s = await desk.run(['state', 'status', '--json']);
    expect(s.code, s.stderr).toBe(0);
    const j = JSON.parse(s.stdout);
    expect(j).toMatchObject({ backend: 'postgres', chosen_by: 'MT4GW_STATE_URL', reachable: true, schema_version: 1, schema_latest: 1 });
    expect(j.where).toMatch(/^postgres 127\.0\.0\.1:\d+\/mt4gw_cmd_/);
    expect(j.locks).toEqual([expect.objectContaining({ name: 'agent_1', pid: holder.child.pid, purpose: 'buy XAUUSD' })]);
    const text = await desk.run(['state']);
    expect(text.stdout).toMatch(/backend\s+PostgreSQL \(shared desk\)/);
    expect(text.stdout).toMatch(/agent_1: pid \d+ on .* \(buy XAUUSD\)/);
    for (const out of [s.stdout, s.stderr, text.stdout, text.stderr]) expect(out).not.toContain(password(db.url));
    holder.child.kill('SIGKILL');
    await holder.done;
  });

  it('status with the database down: exit 3, reachable false, trading unknown, the password not shown', async () => {
    desk = await startDesk(DESIGN_AGENTS, {}, '', { stateUrl: 'postgres://ops:pw-not-shown-5521@127.0.0.1:9/desk' });
    const r = await desk.run(['state', 'status', '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ backend: 'postgres', reachable: false, trading: null });
    expect(j.error).toMatch(/postgres 127\.0\.0\.1:9\/desk could not be/);
    const t = await desk.run(['state', 'status']);
    expect(t.stdout).toMatch(/trading\s+unknown/);
    for (const out of [r.stdout, r.stderr, t.stdout, t.stderr]) expect(out).not.toContain('pw-not-shown-5521');
  });

  it("import: a machine's journal, orders in flight and halt into the database, once; the local files moved aside", async () => {
    desk = await startDesk();
    const d = desk;
    d.sim.agent('agent_1').setPrice('XAUUSD', 2650);
    expect((await d.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes'])).code).toBe(0);
    // An order killed before its send leaves its marker; then a halt of agent_3.
    const killed = startCli(['--config', d.configPath, 'trade', 'agent_3', 'buy', 'XAUUSD', '0.05', '--yes'], {
      env: { ...d.env, MT4GW_CRASH_AT: 'before_send' },
    });
    d.sim.agent('agent_3').setPrice('XAUUSD', 2650);
    await killed.done;
    expect((await d.run(['halt', 'agent_3', '--reason', 'broker maintenance'])).code).toBe(0);
    const local = await createStore(d.env);
    const localRecords = (await local.query()).records;
    expect((await local.pending()).length).toBe(1);

    db = await createDatabase('import');
    const env = { ...d.env, MT4GW_STATE_URL: db.url };
    const r = await d.run(['state', 'import', '--json'], { ...LONG, env });
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep).toMatchObject({
      journal: { read: localRecords.length, added: localRecords.length, already: 0 },
      pending: { added: 1 },
      state: ['agent_3'],
    });
    expect(rep.moved.length).toBe(3);
    expect(readdirSync(d.env.MT4GW_STATE_DIR!).filter((f) => f.includes('.imported-'))).toHaveLength(3);
    expect(existsSync(join(d.env.MT4GW_STATE_DIR!, 'journal.jsonl'))).toBe(false);

    const shared = await createStore(env);
    try {
      expect((await shared.query()).records).toEqual(localRecords);
      expect((await shared.pending()).map((m) => m.agent)).toEqual(['agent_3']);
      expect((await shared.readState()).agents.agent_3).toMatchObject({ state: 'halted' });
      // From another machine: agent_3 is halted, and the imported order in flight is found never sent.
      const b = d.machine('B');
      const rb = await b.run(['trade', 'agent_3', 'buy', 'XAUUSD', '0.05', '--yes'], {
        ...LONG,
        env: { ...b.env, MT4GW_STATE_URL: db.url },
      });
      expect(rb.code).toBe(4);
      expect(rb.stderr).toContain('TRADING_HALTED');
      const again = await d.run(['state', 'import', '--json'], { ...LONG, env });
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ journal: { read: 0, added: 0 }, pending: { added: 0 } });
    } finally {
      await shared.close();
      await local.close();
    }
  });
});

describe("agents.yml's state: block", () => {
  it('url: ${VAR} chooses PostgreSQL without MT4GW_STATE_URL; url_file: too; config show names where it comes from, never the URL', async () => {
    db = await createDatabase('yml');
    desk = await startDesk(DESIGN_AGENTS, {}, 'state:\n  url: ${DESK_DB}\n');
    const env = { ...desk.env, DESK_DB: db.url };
    const r = await desk.run(['state', 'status', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'postgres', chosen_by: 'agents.yml state.url (${DESK_DB})', reachable: true });
    const show = await desk.run(['config', 'show'], { env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/desk state PostgreSQL, URL from agents.yml state.url \(\$\{DESK_DB\}\) \(not shown\)/);
    expect(show.stdout + show.stderr).not.toContain(password(db.url));
    // The variable unset: no order can be sent (exit 3), never the files silently.
    desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
    const t = await desk.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
    expect(t.code, t.stderr).toBe(3);
    expect(t.stderr).toMatch(/environment variable DESK_DB is not set/);

    const file = join(desk.dir, 'desk-db.url');
    writeFileSync(file, `${db.url}\n`);
    chmodSync(file, 0o600);
    writeFileSync(
      desk.configPath,
      `${(await import('node:fs')).readFileSync(desk.configPath, 'utf8').replace('url: ${DESK_DB}', `url_file: ${file}`)}`,
    );
    const f = await desk.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
    expect(f.code, f.stderr).toBe(0);
    const rows = await db.sql<{ event: string }>('SELECT event FROM mt4gw.journal ORDER BY id');
    expect(rows.map((x) => x.event)).toEqual(['intent', 'request', 'response', 'result']);
  });

  it('a literal URL, both keys, or an unknown key are refused (exit 2) without repeating the URL', async () => {
    desk = await startDesk();
    const base = (await import('node:fs')).readFileSync(desk.configPath, 'utf8');
    const cases: Array<[string, RegExp]> = [
      ['state:\n  url: postgres://ops:literal-secret-77@db:5432/desk\n', /state\.url: holds a literal URL/],
      ['state:\n  url: ${A}\n  url_file: /x\n', /set either `url` or `url_file`, not both/],
      ['state:\n  uri: ${A}\n', /unknown key `uri`; did you mean `url`\?/],
      ['state:\n  url: $A\n', /not a valid environment reference/],
      ['state: {}\n', /expected `url: \$\{NAME\}`/],
    ];
    for (const [yaml, message] of cases) {
      writeFileSync(desk.configPath, `${base}${yaml}`);
      const r = await desk.run(['config', 'validate', '--no-tokens']);
      expect(r.code, yaml).toBe(2);
      expect(r.stderr, yaml).toMatch(message);
      expect(r.stderr).not.toContain('literal-secret-77');
      // An order with such a file: refused before anything is sent.
      desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
      const t = await desk.run(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--yes']);
      expect([2, 3]).toContain(t.code);
      expect(t.stderr).not.toContain('literal-secret-77');
    }
    expect(
      desk.sim
        .agent('agent_1')
        .requests()
        .filter((q) => q.path === '/trade'),
    ).toEqual([]);
  });
});
