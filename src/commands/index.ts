// Every subcommand, in the order `mt4gw --help` lists them. A new command is one definition
// (src/commands/define.ts) added here.
import type { Command } from 'commander';
import { account } from './account.js';
import { agents } from './agents.js';
import { register as closeAll } from './close-all.js';
import { register as close } from './close.js';
import { register as completion } from './completion.js';
import { register as config } from './config.js';
import type { AnyCommandDefinition } from './define.js';
import { halt, reduce } from './halt.js';
import { register as history } from './history.js';
import { register as journal } from './journal.js';
import { register as modify } from './modify.js';
import { register as panic } from './panic.js';
import { orders, positions } from './positions.js';
import { register as resume } from './resume.js';
import { register as signal } from './signal.js';
import { register as sim } from './sim.js';
import { status } from './status.js';
import { summary } from './summary.js';
import { tick } from './tick.js';
import { register as trade } from './trade.js';
import { register as watch } from './watch.js';

/** A command not yet converted to a definition: it registers itself with commander. */
export type LegacyRegister = (program: Command) => void;

export const COMMANDS: readonly (AnyCommandDefinition | LegacyRegister)[] = [
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
  sim,
  watch,
  config,
  completion,
];
