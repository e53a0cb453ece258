// The handlers of `mt4gw state` (its definition: src/commands/state.ts).
import { EXIT, MtError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import { deskStatus, importDesk, migrateDesk } from '../../trading/desk-state.js';
import type { Context } from '../context.js';

export async function status(_args: unknown, _options: unknown, ctx: Context): Promise<void> {
  const s = await deskStatus(await ctx.store());
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
}

export async function migrate(_args: unknown, _options: unknown, ctx: Context): Promise<void> {
  const store = await ctx.store();
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
}

export async function importLocal(_args: unknown, _options: unknown, ctx: Context): Promise<void> {
  const r = await importDesk(await ctx.store());
  if (ctx.json) return ctx.write(toJson(r));
  ctx.info(
    `imported from ${r.from} into ${r.into}: ${r.journal.added} journal record(s)${r.journal.already ? ` (${r.journal.already} already there)` : ''}${r.journal.unreadable ? `, ${r.journal.unreadable} unreadable line(s) skipped` : ''}, ${r.pending.added} order(s) in flight, ${r.orders} order row(s)${r.state.length ? `, trading state of ${r.state.join(', ')}` : ''}.`,
  );
  for (const m of r.moved) ctx.info(`moved aside: ${m}`);
}
