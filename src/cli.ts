// Builds the commander program from the command definitions (src/commands/index.ts), runs the one
// asked for, and maps every outcome to an exit code. The only place that exits the process.
import { Argument, Command, CommanderError, Option } from 'commander';
import { durationRange } from './commands/args.js';
import type { GlobalFlags } from './commands/context.js';
import { type AnyCommandDefinition, type ArgumentDef, argumentKey, type OptionDef } from './commands/define.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, MtError, type ExitCode } from './errors.js';
import { setInterruptExit } from './interrupt.js';

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

/** The flags every command accepts, before or after its name (what a Context is made from). */
export const GLOBAL_OPTIONS: readonly OptionDef[] = [
  {
    flags: '-c, --config <path>',
    description: 'agents.yml to use (else $MT4GW_CONFIG, ./agents.yml, $XDG_CONFIG_HOME/mt4gw/agents.yml)',
  },
  { flags: '--json', description: 'machine-readable JSON on stdout' },
  { flags: '--no-color', description: 'no colours (also: NO_COLOR=1, or when not a terminal)' },
  {
    flags: '--timeout <duration>',
    description: `per-request timeout for every agent, e.g. 3s or 500ms (${durationRange('--timeout')}), overriding mt4.timeout_ms`,
  },
  { flags: '-v, --verbose', description: 'debug lines on stderr (never a token)' },
  { flags: '-q, --quiet', description: 'only data and errors', conflicts: 'verbose' },
];

/** What the process learns from the command it ran, to end properly (see main). */
interface RunState {
  /** The command asked for the desk store: close it. */
  store: boolean;
  /** End within this long once everything is closed, even if a stray handle is still open. */
  leaveWithinMs: number;
}

/** Runs a definition's handler: its context from the global flags, its arguments by name. */
function runner(state: RunState | undefined) {
  return async (def: AnyCommandDefinition, cmd: Command): Promise<void> => {
    const flags: GlobalFlags = def.globalFlags === 'none' ? {} : cmd.optsWithGlobals<GlobalFlags>();
    const declared: readonly ArgumentDef[] = def.args ?? [];
    const args = Object.fromEntries(declared.map((a, i) => [argumentKey(a.name), cmd.processedArgs[i]]));
    const [{ makeContext }, handler] = await Promise.all([import('./commands/context.js'), def.handler!()]);
    const ctx = makeContext(
      flags,
      state && {
        onStore: () => {
          state.store = true;
        },
        leaveWithin: (ms) => {
          state.leaveWithinMs = Math.min(state.leaveWithinMs, ms);
        },
      },
    );
    await handler(args as never, cmd.opts() as never, ctx);
  };
}

function toOption(o: OptionDef): Option {
  const option = new Option(o.flags, o.description);
  if (o.choices) option.choices(o.choices);
  if (o.default !== undefined) option.default(o.default);
  if (o.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  if (o.required) option.makeOptionMandatory();
  if (o.conflicts) option.conflicts(o.conflicts);
  return option;
}

/** The definition as a subcommand of parent, with its subcommands. */
function addCommand(parent: Command, def: AnyCommandDefinition, run: ReturnType<typeof runner>): void {
  const cmd = parent.command(def.name);
  for (const alias of def.aliases ?? []) cmd.alias(alias);
  if (def.summary) cmd.summary(def.summary);
  cmd.description(def.description);
  for (const a of (def.args ?? []) as readonly ArgumentDef[]) {
    const arg = new Argument(a.name, a.description);
    if (a.choices) arg.choices(a.choices);
    cmd.addArgument(arg);
  }
  for (const o of (def.options ?? []) as readonly OptionDef[]) cmd.addOption(toOption(o));
  const examples = def.examples?.length ? `\nExamples:\n${def.examples.map((l) => `  $ ${l}`).join('\n')}\n` : '';
  if (examples || def.help) cmd.addHelpText('after', examples + (def.help ?? ''));
  if (def.handler) cmd.action((...params: unknown[]) => run(def, params.at(-1) as Command));
  for (const sub of def.subcommands ?? []) addCommand(cmd, sub, run);
}

/** The whole program. `state` is main's; without it (tests walking the tree) commands still run. */
export function buildProgram(state?: RunState): Command {
  const program = new Command('mt4gw')
    .description('Trading console for several MetaTrader 4 accounts, each behind an EA Bridge.')
    .version(VERSION, '-V, --version');
  for (const o of GLOBAL_OPTIONS) program.addOption(toOption(o));
  program
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    })
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  const run = runner(state);
  for (const def of COMMANDS) addCommand(program, def, run);
  // On TAB, the script of `mt4gw completion` asks this for the candidates. It answers from this
  // program's tree and the config, on stdout only, and never fails: nothing may print into the
  // command line being typed. It loads the completer, no handler.
  program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .helpOption(false)
    .allowUnknownOption()
    .action(async (words: string[]) => {
      let lines: string[] = [];
      try {
        lines = await (await import('./commands/complete.js')).complete(program, words, process.env);
      } catch {
        // Never an error in the middle of a command line being typed.
      }
      if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
    });
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

/**
 * How the process ends early: a second Ctrl-C with an order in flight (src/interrupt.ts) exits
 * here, with its code (130, or 143 for SIGTERM). main() installs it before any command runs.
 */
export function installExitHooks(): void {
  setInterruptExit((code) => process.exit(code));
}

export async function main(argv: string[]): Promise<void> {
  installExitHooks();
  // `mt4gw positions | head -1`: the reader may leave early. Its EPIPE must neither print a stack
  // trace nor stop the command halfway (an order or a panic finishes; the rest of the output is dropped).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  const state: RunState = { store: false, leaveWithinMs: 2000 };
  const program = buildProgram(state);
  let code: ExitCode = EXIT.OK;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    code = reportError(e, argv.includes('-v') || argv.includes('--verbose'));
  }
  // A shared store holds connections: close them so the process can end on its own. (Commands
  // open it through their context only, so a command that did not ask for it has none to close.)
  if (state.store) await (await import('./state/open.js')).closeStore().catch(() => undefined);
  process.exitCode = code;
  // Everything is closed by now; if a stray handle keeps the loop alive, do not hang a cron job.
  setTimeout(() => process.exit(code), state.leaveWithinMs).unref();
}
