// Commands as data. Each subcommand is one definition: its name, arguments, options, help text and
// examples, and a reference to its handler that is only followed when the command runs. src/cli.ts
// turns the list (src/commands/index.ts) into the commander program, so `--help`, `help <command>`
// and completion read definitions only and load no handler code; the one mechanism for start-up
// speed is the handler's dynamic import here, and esbuild gives each handler its own chunk.
//
// A handler takes (args, options, ctx), returns nothing or throws (an MtError for anything the user
// is meant to read) and never exits the process: src/cli.ts maps what it throws to an exit code.
// Tests call handlers in-process with a Context of their own (makeContext with captured output).
//
// This module is read at every start: it holds types and one function, and imports nothing at run time.
import type { Context } from './context.js';

export interface ArgumentDef {
  /** commander's syntax: `<agent>` required, `[agent]` optional, `[agents...]` any number. */
  readonly name: string;
  readonly description?: string;
  readonly choices?: readonly string[];
}

export interface OptionDef {
  /** commander's syntax: `-y, --yes` (a switch), `--sl <price>` (takes a value), `--no-tokens` (negates). */
  readonly flags: string;
  readonly description: string;
  readonly default?: string | boolean;
  readonly choices?: readonly string[];
  /** May be given more than once: the handler gets every value, in order (`--agent a --agent b`). */
  readonly repeatable?: boolean;
  /** Must be given: a usage error (exit 2) otherwise. */
  readonly required?: boolean;
  /** Another option, by its attribute name (`verbose`), that it cannot be given with. */
  readonly conflicts?: string;
}

/**
 * Which global flags (src/cli.ts GLOBAL_OPTIONS) a command reads. 'all': its context is made from
 * them (a bad --timeout is refused before the handler runs). 'none': the command ignores them all
 * (it prints a fixed text, as `completion` and `config schema` do) and gets a default context.
 */
export type GlobalFlagUse = 'all' | 'none';

/** What a command does, called with its named arguments, its options and the context. */
export type Handler<A = never, O = never> = (args: A, options: O, ctx: Context) => Promise<void> | void;

export interface CommandDefinition<
  A extends readonly ArgumentDef[] = readonly ArgumentDef[],
  O extends readonly OptionDef[] = readonly OptionDef[],
> {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** The line in the parent's command list, when it should be shorter than the description. */
  readonly summary?: string;
  readonly description: string;
  readonly args?: A;
  readonly options?: O;
  /** Command lines shown under "Examples:" in its --help. */
  readonly examples?: readonly string[];
  /** More help text after the examples (starts with a newline, ends with one). */
  readonly help?: string;
  /** Default 'all'. */
  readonly globalFlags?: GlobalFlagUse;
  readonly subcommands?: readonly AnyCommandDefinition[];
  /**
   * The handler, loaded when the command runs: `async () => (await import('./handlers/x.js')).x`.
   * A command with subcommands and no handler of its own only shows its help.
   */
  readonly handler?: () => Promise<Handler<ArgsOf<A>, OptionsOf<O>>>;
}

/** Any definition, whatever its arguments and options (the list cli.ts builds from). */
// biome-ignore lint/suspicious/noExplicitAny: the list holds definitions of every shape; each is checked where it is defined.
export type AnyCommandDefinition = CommandDefinition<any, any>;

/**
 * A command definition. Declare `args` and `options` as `as const` arrays beside it and type the
 * handler with ArgsOf<typeof args> and OptionsOf<typeof options>: the handler is then checked
 * against the definition (a renamed option or a missing argument is a type error).
 */
export function defineCommand<const A extends readonly ArgumentDef[] = [], const O extends readonly OptionDef[] = []>(
  definition: CommandDefinition<A, O>,
): CommandDefinition<A, O> {
  return definition;
}

// ───────────────────── the handler's view of the arguments and options ─────────────────────

/** `risk-money` → `riskMoney`, as commander names option attributes. */
export type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** `<order-id>` → `orderId`; `[agents...]` → `agents`. */
type ArgKey<N extends string> = N extends `${'<' | '['}${infer K}...${'>' | ']'}`
  ? Camel<K>
  : N extends `${'<' | '['}${infer K}${'>' | ']'}`
    ? Camel<K>
    : never;
type ArgValue<D extends ArgumentDef> = D['name'] extends `${string}...${string}`
  ? string[]
  : (D extends { choices: readonly (infer C)[] } ? C : string) | (D['name'] extends `<${string}` ? never : undefined);

/** The handler's `args`: one property per argument, by its camel-cased name. */
export type ArgsOf<A extends readonly ArgumentDef[]> = { [D in A[number] as ArgKey<D['name']>]: ArgValue<D> };

type LongName<F extends string> = F extends `${string}--${infer L}` ? (L extends `${infer N} ${string}` ? N : L) : never;
type OptionKey<F extends string> = LongName<F> extends `no-${infer N}` ? Camel<N> : Camel<LongName<F>>;
type OptionValue<D extends OptionDef> = D['flags'] extends `${string}--no-${string}`
  ? boolean
  : D['flags'] extends `${string}<${string}>${string}`
    ?
        | (D extends { repeatable: true } ? string[] : D extends { choices: readonly (infer C)[] } ? C : string)
        | (D extends { required: true } | { default: string } ? never : undefined)
    : boolean | undefined;

/** The handler's `options`: one property per option, by commander's attribute name. */
export type OptionsOf<O extends readonly OptionDef[]> = { [D in O[number] as OptionKey<D['flags']>]: OptionValue<D> };

/** The property name commander and ArgsOf give an argument: `<order-id>` → `orderId`. */
export function argumentKey(name: string): string {
  return name.replace(/^[<[]|(\.\.\.)?[>\]]$/g, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
