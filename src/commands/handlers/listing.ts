// A command that lists rows of one kind from several agents (positions, orders): concurrent reads,
// a table or `{<jsonKey>: [...], offline: [...]}`, and exit 3 when an agent did not answer.
import type { Bridge } from '../../bridge/transport.js';
import * as format from '../../output/format.js';
import { toJson } from '../../output/json.js';
import { type Column, renderTable } from '../../output/table.js';
import { gather } from '../../trading/read.js';
import type { Context } from '../context.js';
import type { ListingArgs } from '../positions.js';
import { failIfOffline, withBridges } from '../run.js';
import { selectAgents } from '../select.js';

export function listing<T extends object>(spec: {
  jsonKey: string;
  empty: string;
  read: (bridge: Bridge) => Promise<T[]>;
  columns: (f: typeof format) => Column<T & { agent_id: string }>[];
}): (args: ListingArgs, options: unknown, ctx: Context) => Promise<void> {
  return async (args, _options, ctx) => {
    const agents = selectAgents(await ctx.config(), args.agents);
    const { rows, offline } = await withBridges(ctx, agents, async (bridges) => gather(agents, bridges, spec.read, await ctx.store()));
    if (ctx.json) ctx.write(toJson({ [spec.jsonKey]: rows, offline }));
    else if (rows.length === 0) ctx.info(spec.empty);
    else ctx.write(renderTable(spec.columns(format), rows, ctx.out));
    failIfOffline(offline, agents.length);
  };
}
