import { UsageError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import { parseTimeArg } from '../args.js';
import type { Context } from '../context.js';
import type { JournalOptions } from '../journal.js';

export async function journal(_args: unknown, flags: JournalOptions, ctx: Context): Promise<void> {
  const since = flags.since === undefined ? undefined : parseTimeArg(flags.since, '--since').getTime();
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit ${JSON.stringify(flags.limit)} must be a whole number of at least 1`);
  const store = await ctx.store();
  const { records: rows, skipped } = await store.query({ agent: flags.agent, order_id: flags.order, since, limit });
  if (skipped)
    ctx.warn(`${skipped} unreadable record${skipped === 1 ? '' : 's'} in ${store.where} (a write cut short by a crash); skipped`);
  if (ctx.json) return ctx.write(toJson(rows));
  if (rows.length === 0) return ctx.info(`No journal records match (${store.where}).`);
  ctx.write(
    renderTable(
      [
        { header: 'TIME', value: (r) => r.ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z') },
        { header: 'EVENT', value: (r) => r.event },
        { header: 'AGENT', value: (r) => r.agent ?? '-' },
        { header: 'ORDER', value: (r) => r.order_id ?? '-' },
        { header: 'DETAIL', value: (r) => detail(r) },
      ],
      rows,
      ctx.out,
    ),
  );
}

function detail(r: Record<string, unknown>): string {
  const skip = new Set(['ts', 'event', 'order_id', 'agent', 'user', 'host', 'pid']);
  const text = Object.entries(r)
    .filter(([k, v]) => !skip.has(k) && v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}
