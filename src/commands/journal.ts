import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { toJson } from '../output/json.js';
import { contextOf, examples, parseTimeArg, TIME_RANGE } from './run.js';

export function register(program: Command): void {
  program
    .command('journal')
    .option('--agent <id>', 'only this agent')
    .option('--order <id>', 'only this order id (as in the mt4gw:<id> comment)')
    .option('--since <time>', `from: ${TIME_RANGE}`)
    .option('--limit <n>', 'the last N records', '50')
    .description('the order journal: every intent, request, response and reconciliation, newest last')
    .addHelpText(
      'after',
      examples(['mt4gw journal', 'mt4gw journal --agent agent_1 --since 1d', 'mt4gw journal --order 7k2m9q4x1z --json']),
    )
    .action(async (flags: { agent?: string; order?: string; since?: string; limit: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const since = flags.since === undefined ? undefined : parseTimeArg(flags.since, '--since').getTime();
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit ${JSON.stringify(flags.limit)} must be a whole number of at least 1`);
      const { Journal } = await import('../trading/journal.js');
      const journal = new Journal(ctx.env);
      const { records, skipped } = journal.read();
      if (skipped)
        ctx.warn(`${skipped} unreadable line${skipped === 1 ? '' : 's'} in ${journal.file} (a write cut short by a crash); skipped`);
      const rows = records
        .filter(
          (r) =>
            (flags.agent === undefined || r.agent === flags.agent) &&
            (flags.order === undefined || r.order_id === flags.order) &&
            (since === undefined || Date.parse(r.ts) >= since),
        )
        .slice(-limit);
      if (ctx.json) return ctx.write(toJson(rows));
      if (rows.length === 0) return ctx.info(`No journal records${records.length ? ' match' : ` yet (${journal.file})`}.`);
      const { renderTable } = await import('../output/table.js');
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
    });
}

function detail(r: Record<string, unknown>): string {
  const skip = new Set(['ts', 'event', 'order_id', 'agent', 'user', 'host', 'pid']);
  const text = Object.entries(r)
    .filter(([k, v]) => !skip.has(k) && v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}
