// Every subcommand, in the order `mt4gw --help` lists them. A new command is one definition
// (src/commands/define.ts: metadata and a lazily loaded handler) added here.
import { account } from './account.js';
import { agents } from './agents.js';
import { closeAll } from './close-all.js';
import { close } from './close.js';
import { completion } from './completion.js';
import { config } from './config.js';
import type { AnyCommandDefinition } from './define.js';
import { halt, reduce } from './halt.js';
import { history } from './history.js';
import { journal } from './journal.js';
import { modify } from './modify.js';
import { panic } from './panic.js';
import { orders, positions } from './positions.js';
import { resume } from './resume.js';
import { signal } from './signal.js';
import { sim } from './sim.js';
import { deskState } from './state.js';
import { status } from './status.js';
import { summary } from './summary.js';
import { tick } from './tick.js';
import { trade } from './trade.js';
import { watch } from './watch.js';

export const COMMANDS: readonly AnyCommandDefinition[] = [
  agents,
  status,
  summary,
  account,
  positions,
  orders,
  history,
  tick,
  trade,
  signal,
  close,
  modify,
  closeAll,
  panic,
  halt,
  reduce,
  resume,
  journal,
  deskState,
  sim,
  watch,
  config,
  completion,
];
