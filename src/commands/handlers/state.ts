// `halt` and `reduce`: the same command for two trading states.
import { toJson } from '../../output/json.js';
import { setState } from '../../trading/state-flows.js';
import type { Context } from '../context.js';
import { type StateArgs, type StateOptions, WHAT } from '../halt.js';
import { findAgent } from '../select.js';

async function setStateCommand(name: 'halt' | 'reduce', args: StateArgs, flags: StateOptions, ctx: Context): Promise<void> {
  const w = WHAT[name];
  // Validate the agent against the config; the desk-wide form needs no config at all.
  const agent = args.agent === undefined ? undefined : findAgent(await ctx.config(), args.agent).id;
  const store = await ctx.store();
  const { entry, effective } = await setState(store, w.state, flags.reason, agent, name);
  if (ctx.json) ctx.write(toJson({ scope: agent ?? 'desk', ...entry, ...(effective ? { effective: effective.state } : {}) }));
  else {
    ctx.info(`${agent ?? 'the desk'} is now ${w.state} (${w.says}). Undo with: mt4gw resume${agent ? ` ${agent}` : ''}`);
    if (effective && effective.state !== w.state) ctx.warn(`${agent} trades as ${effective.state}: ${effective.reason}`);
  }
}

export const halt = (args: StateArgs, flags: StateOptions, ctx: Context) => setStateCommand('halt', args, flags, ctx);
export const reduce = (args: StateArgs, flags: StateOptions, ctx: Context) => setStateCommand('reduce', args, flags, ctx);
