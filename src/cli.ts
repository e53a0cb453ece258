// Builds the commander program and maps every outcome to an exit code. The only place that exits.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, MtError, type ExitCode } from './errors.js';
import { durationRange } from './commands/context.js';
import { register as account } from './commands/account.js';
import { register as agents } from './commands/agents.js';
import { register as history } from './commands/history.js';
import { register as orders } from './commands/orders.js';
import { register as positions } from './commands/positions.js';
import { register as sim } from './commands/sim.js';
import { register as status } from './commands/status.js';
import { register as summary } from './commands/summary.js';
import { register as tick } from './commands/tick.js';
import { register as trade } from './commands/trade.js';
import { register as close } from './commands/close.js';
import { register as modify } from './commands/modify.js';
import { register as closeAll } from './commands/close-all.js';
import { register as journal } from './commands/journal.js';
import { register as panic } from './commands/panic.js';
import { register as halt } from './commands/halt.js';
import { register as reduce } from './commands/reduce.js';
import { register as resume } from './commands/resume.js';
import { register as watch } from './commands/watch.js';
import { register as configCmd } from './commands/config.js';
import { register as completion } from './commands/completion.js';
import { register as signal } from './commands/signal.js';
import { register as deskState } from './commands/state.js';

declare const __MT4GW_VERSION__: string;
export const VERSION = typeof __MT4GW_VERSION__ === 'string' ? __MT4GW_VERSION__ : '0.0.0-dev';

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  internal error (a bug: please report it, with --verbose output)
  2  usage, config or bad input — nothing was sent
  3  a bridge unreachable or answering outside the protocol
  4  order denied by the risk checks — nothing was sent
  5  order rejected by MT4
  6  order sent but its outcome could not be determined — check positions
  7  panic could not verify every agent flat
`;

export function buildProgram(): Command {
  const program = new Command('mt4gw')
    .description('Trading console for several MetaTrader 4 accounts, each behind an EA Bridge.')
    .version(VERSION, '-V, --version')
    .option('-c, --config <path>', 'agents.yml to use (else $MT4GW_CONFIG, ./agents.yml, $XDG_CONFIG_HOME/mt4gw/agents.yml)')
    .option('--json', 'machine-readable JSON on stdout')
    .option('--no-color', 'no colours (also: NO_COLOR=1, or when not a terminal)')
    .option(
      '--timeout <duration>',
      `per-request timeout for every agent, e.g. 3s or 500ms (${durationRange('--timeout')}), overriding mt4.timeout_ms`,
    )
    .option('-v, --verbose', 'debug lines on stderr (never a token)')
    .addOption(new Option('-q, --quiet', 'only data and errors').conflicts('verbose'))
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    })
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  for (const register of [
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
    configCmd,
    completion,
  ])
    register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Prints an error for a person (stderr) and returns its exit code. */
export function reportError(e: unknown, verbose: boolean): ExitCode {
  const red = (s: string) =>
    process.stderr.isTTY && !process.env.NO_COLOR && !process.argv.includes('--no-color') ? `\x1b[31m${s}\x1b[39m` : s;
  if (e instanceof CommanderError) {
    // commander has already printed its message (unknown option, missing argument, …).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
    return EXIT.USAGE;
  }
  if (e instanceof MtError) {
    const lines = [`${red('error:')} ${e.message}`];
    lines.push(...e.problems.map((p) => `  ${p}`));
    if (e.hint) lines.push(`hint: ${e.hint}`);
    if (verbose && e.cause instanceof Error) lines.push(`cause: ${e.cause.message}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`${red('internal error:')} ${err.message}\n`);
  process.stderr.write(verbose ? `${err.stack ?? ''}\n` : 'Run again with --verbose for details, and please report it.\n');
  return EXIT.INTERNAL;
}

export async function main(argv: string[]): Promise<void> {
  // `mt4gw positions | head -1`: the reader may leave early. Its EPIPE must neither print a stack
  // trace nor stop the command halfway (an order or a panic finishes; the rest of the output is dropped).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  const program = buildProgram();
  let code: ExitCode = EXIT.OK;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    code = reportError(e, argv.includes('-v') || argv.includes('--verbose'));
  }
  // A shared store holds connections: close them so the process can end on its own.
  await (await import('./state/open.js')).closeStore().catch(() => undefined);
  process.exitCode = code;
  // Everything is closed by now; if a stray handle keeps the loop alive, do not hang a cron job.
  setTimeout(() => process.exit(code), 2000).unref();
}
