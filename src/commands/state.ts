// `mt4gw state status|migrate|import`: the desk store — where it is, whether it answers, its schema
// and who holds which lock; the desk database's schema brought up to date; a machine's local state
// brought into the database (docs/shared-desk.md). Never prints the database URL.
import type { Command } from 'commander';
import { EXIT, MtError } from '../errors.js';
import { toJson } from '../output/json.js';
import { contextOf, examples } from './run.js';

export function register(program: Command): void {
  const state = program
    .command('state')
    .description('the desk store: local files, or PostgreSQL shared by several machines (status, migrate, import)')
    .addHelpText(
      'after',
      examples(['mt4gw state status', 'mt4gw state status --json', 'mt4gw state migrate', 'mt4gw state import']) +
        `
Without MT4GW_STATE_URL (or a \`state:\` block in agents.yml) the desk's state is files in the
state directory, binding the mt4gw processes of one machine. With it, the halt, the per-agent
locks and the journal live in PostgreSQL and bind every machine of the desk (docs/shared-desk.md).
`,
    );

  state
    .command('status', { isDefault: true })
    .description('backend, where (never the URL), reachable, schema version, trading state, locks held and by whom')
    .addHelpText(
      'after',
      `${examples(['mt4gw state status', 'mt4gw state status --json'])}
Exit 0 when the store answers; 3 when the desk database cannot be reached or used (the report is
printed all the same: nothing can be ordered until it answers).
`,
    )
    .action(async (_flags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const [{ deskStatus }, store] = await Promise.all([import('../trading/desk-state.js'), ctx.store()]);
      const s = await deskStatus(store);
      if (ctx.json) ctx.write(toJson(s));
      else {
        const c = ctx.out;
        const lines = [
          `${c.bold('backend')}    ${s.backend === 'postgres' ? 'PostgreSQL (shared desk)' : 'local files (this machine)'}`,
          `${c.bold('where')}      ${s.where}${s.chosen_by ? `  (${s.chosen_by})` : ''}`,
          `${c.bold('reachable')}  ${s.reachable ? c.green('yes') : c.red(`NO — ${s.error}`)}`,
        ];
        if (s.backend === 'postgres')
          lines.push(
            `${c.bold('schema')}     ${s.schema_version === null ? 'unknown' : `version ${s.schema_version}`} (this mt4gw: ${s.schema_latest ?? '?'})${s.schema_version === 0 ? ' — not created yet: mt4gw state migrate' : ''}`,
          );
        lines.push(
          `${c.bold('trading')}    ${s.trading === null ? c.yellow('unknown (the desk state cannot be read)') : s.trading.desk === 'active' ? 'desk active' : c.yellow(s.trading.desk)}`,
        );
        for (const [a, why] of Object.entries(s.trading?.agents ?? {})) lines.push(`             ${c.yellow(`${a}: ${why}`)}`);
        if (s.local_only.length)
          lines.push(
            `${c.bold('local')}      ${c.yellow(`${s.local_only.join(', ')} restricted on THIS machine only (recorded while the database was down); mt4gw resume here lifts it`)}`,
          );
        lines.push(`${c.bold('locks')}      ${s.locks.length === 0 ? (s.reachable ? 'none held' : 'unknown') : ''}`);
        for (const l of s.locks) lines.push(`  ${l.name}: pid ${l.pid} on ${l.host}${l.purpose ? ` (${l.purpose})` : ''} since ${l.since}`);
        ctx.write(`${lines.join('\n')}\n`);
      }
      if (!s.reachable)
        throw new MtError(`the desk state is unreachable: ${s.error}`, EXIT.BRIDGE, {
          hint: 'No order can be sent until it answers. docs/shared-desk.md, "When the database is down".',
        });
    });

  state
    .command('migrate')
    .description("create or upgrade the desk database's schema (also done on first use); run it as the database's owner role")
    .addHelpText('after', examples(['mt4gw state migrate', 'mt4gw state migrate --json']))
    .action(async (_flags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const [{ migrateDesk }, store] = await Promise.all([import('../trading/desk-state.js'), ctx.store()]);
      const r = await migrateDesk(store);
      if (ctx.json)
        ctx.write(
          toJson({ where: store.where, from: r.from, to: r.to, applied: r.applied.map((m) => ({ version: m.version, name: m.name })) }),
        );
      else if (r.applied.length === 0) ctx.info(`${store.where}: schema version ${r.to}, up to date; nothing to do.`);
      else {
        for (const m of r.applied) ctx.info(`applied version ${m.version}: ${m.name}`);
        ctx.info(`${store.where}: schema version ${r.from} → ${r.to}.`);
      }
    });

  state
    .command('import')
    .description("bring this machine's local journal, orders in flight and trading state into the desk database")
    .addHelpText(
      'after',
      `${examples(['MT4GW_STATE_URL=… mt4gw state import', 'mt4gw state import --json'])}
Reads the state directory of this machine (MT4GW_STATE_DIR or its default) and writes it into the
database in one transaction: every journal record (importing again adds nothing), every order in
flight, and each trading state that is stricter than the database's (an import never lifts a
halt). Then renames the local files aside (*.imported-<time>). Refused while an mt4gw process
here holds a local lock.
`,
    )
    .action(async (_flags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const [{ importDesk }, store] = await Promise.all([import('../trading/desk-state.js'), ctx.store()]);
      const r = await importDesk(store);
      if (ctx.json) return ctx.write(toJson(r));
      ctx.info(
        `imported from ${r.from} into ${r.into}: ${r.journal.added} journal record(s)${r.journal.already ? ` (${r.journal.already} already there)` : ''}${r.journal.unreadable ? `, ${r.journal.unreadable} unreadable line(s) skipped` : ''}, ${r.pending.added} order(s) in flight, ${r.orders} order row(s)${r.state.length ? `, trading state of ${r.state.join(', ')}` : ''}.`,
      );
      for (const m of r.moved) ctx.info(`moved aside: ${m}`);
    });
}
