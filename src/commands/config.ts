// `mt4gw config validate|show|init|schema`: check agents.yml listing every problem, show the
// resolved configuration with where each value came from (tokens redacted), write a commented
// starting file, and print the JSON Schema editors use. None of them talks to a bridge.
import type { Command } from 'commander';
import { ConfigError, type MtError, UsageError } from '../errors.js';
import { toJson } from '../output/json.js';
import type { Context } from './context.js';
import { contextOf, examples, selectAgents } from './run.js';

const SOURCE_TEXT = {
  flag: 'given with --config',
  env: 'from $MT4GW_CONFIG',
  cwd: 'found in the current directory',
  xdg: 'found in $XDG_CONFIG_HOME/mt4gw (~/.config/mt4gw)',
} as const;

export function register(program: Command): void {
  const config = program
    .command('config')
    .description('agents.yml tools: validate, show (with where each value came from), init, schema')
    .addHelpText(
      'after',
      examples(['mt4gw config validate', 'mt4gw config show agent_1', 'mt4gw config init', 'mt4gw config schema > agents.schema.json']) +
        '\nNone of these talks to a bridge. docs/configuration.md describes every key.\n',
    );

  config
    .command('validate')
    .description('check agents.yml and list every problem (exit 0 when valid, 2 otherwise)')
    .option('--no-tokens', 'do not check that every token resolves (e.g. in CI, where the secrets are not set)')
    .addHelpText(
      'after',
      examples(['mt4gw config validate', 'mt4gw --config staging.yml config validate --no-tokens', 'mt4gw config validate --json']),
    )
    .action(async (flags: { tokens: boolean }, cmd: Command) => validate(contextOf(cmd), flags.tokens));

  config
    .command('show')
    .argument('[agents...]', 'agent ids (default: every agent)')
    .description('the resolved configuration, tokens redacted, and where each value came from (file, defaults, environment, flag)')
    .addHelpText('after', examples(['mt4gw config show', 'mt4gw config show agent_2', 'mt4gw --timeout 3s config show --json']))
    .action(async (ids: string[], _flags, cmd: Command) => show(contextOf(cmd), ids));

  config
    .command('init')
    .argument('[file]', 'where to write it (default: --config, else $XDG_CONFIG_HOME/mt4gw/agents.yml)')
    .description('write a commented agents.yml to start from (never overwrites without --force)')
    .option('--force', 'overwrite an existing file')
    .option('--schema <ref>', 'path or URL for the yaml-language-server $schema line (default: the installed agents.schema.json)')
    .option('--no-schema', 'leave the $schema line out')
    .addHelpText(
      'after',
      examples(['mt4gw config init', 'mt4gw config init ./agents.yml', 'mt4gw config init ~/.config/mt4gw/agents.yml --force']),
    )
    .action(async (file: string | undefined, flags: { force?: boolean; schema: string | boolean }, cmd: Command) =>
      init(contextOf(cmd), file, flags),
    );

  config
    .command('schema')
    .description('print the JSON Schema of agents.yml (generated from the validator) for editors')
    .addHelpText(
      'after',
      examples(['mt4gw config schema > agents.schema.json']) +
        '\nThen start agents.yml with:  # yaml-language-server: $schema=./agents.schema.json\n',
    )
    .action(async () => {
      const { configJsonSchemaText } = await import('../config/json-schema.js');
      process.stdout.write(configJsonSchemaText());
    });
}

async function validate(ctx: Context, checkTokens: boolean): Promise<void> {
  const { locateConfig, readConfigText, parseConfigText, resolveTokenDetailed } = await import('../config/load.js');
  let display = ctx.configFlag ?? 'agents.yml';
  let path: string | undefined;
  const problems: string[] = [];
  const warnings: string[] = [];
  let agents: string[] = [];
  let failure: MtError | undefined;
  try {
    const loc = locateConfig({ flag: ctx.configFlag, env: ctx.env, cwd: ctx.cwd });
    display = loc.display;
    path = loc.path;
    const config = parseConfigText(readConfigText(loc.path, loc.display), { path: loc.path, display: loc.display, env: ctx.env });
    warnings.push(...config.warnings);
    agents = config.agents.map((a) => a.id);
    if (checkTokens) {
      for (const a of config.agents) {
        try {
          const r = resolveTokenDetailed(a, ctx.env);
          if (r.warning && !warnings.includes(r.warning)) warnings.push(r.warning);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          problems.push(e.message);
        }
      }
    }
    if (problems.length > 0) {
      failure = new ConfigError(`${display}: ${problems.length} agent${problems.length === 1 ? '' : 's'} cannot get a token`, problems, {
        hint: 'Set the variables (export NAME=…) or fix the token files; --no-tokens checks the file alone.',
      });
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    failure = e;
    problems.push(...(e.problems.length > 0 ? e.problems : [e.message]));
  }
  if (ctx.json) {
    ctx.write(toJson({ valid: failure === undefined, path: path ?? null, agents, problems, warnings }));
  } else {
    for (const w of warnings) ctx.warn(w);
    if (!failure)
      ctx.write(
        `${display}: valid — ${agents.length} agent${agents.length === 1 ? '' : 's'} (${agents.join(', ')})${checkTokens ? ', every token resolves' : ''}\n`,
      );
  }
  if (failure) throw failure;
}

async function show(ctx: Context, ids: string[]): Promise<void> {
  const [{ locateConfig, readConfigText, parseConfigText }, { explainConfig, describeOrigin }, { stateDir }] = await Promise.all([
    import('../config/load.js'),
    import('../config/origin.js'),
    import('../state/dir.js'),
  ]);
  const loc = locateConfig({ flag: ctx.configFlag, env: ctx.env, cwd: ctx.cwd });
  const text = readConfigText(loc.path, loc.display);
  const config = parseConfigText(text, { path: loc.path, display: loc.display, env: ctx.env });
  for (const w of config.warnings) ctx.warn(w);
  const chosen = new Set(selectAgents(config, ids).map((a) => a.id));
  const explained = explainConfig(text, config, { env: ctx.env, timeoutMs: ctx.timeoutMs });
  const agents = explained.agents.filter((a) => chosen.has(a.id));
  // Where the desk's state lives: the files, or PostgreSQL — named by where its URL comes from, never the URL.
  const target = await (await import('../state/target.js')).stateTarget(ctx.env, { config: async () => config, configText: () => text });
  const deskState = target
    ? {
        backend: 'postgres',
        from: target.origin,
        usable: !('unavailable' in target.url),
        problem: 'unavailable' in target.url ? target.url.unavailable : null,
      }
    : { backend: 'files', from: 'default (no MT4GW_STATE_URL, no state: block)', usable: true, problem: null };
  const state = {
    path: stateDir(ctx.env),
    from: ctx.env.MT4GW_STATE_DIR
      ? 'env MT4GW_STATE_DIR'
      : ctx.env.XDG_STATE_HOME
        ? 'env XDG_STATE_HOME'
        : 'default (~/.local/state/mt4gw)',
  };

  if (ctx.json) {
    ctx.write(
      toJson({
        config: { path: loc.path, found: loc.source, how: SOURCE_TEXT[loc.source] },
        state_dir: state,
        desk_state: deskState,
        timeout_override_ms: ctx.timeoutMs ?? null,
        agents: agents.map((a) => ({
          id: a.id,
          name: a.name,
          values: a.values.map((v) => ({ ...v, from: describeOrigin(v.origin, loc.display) })),
        })),
        symbols:
          ids.length > 0
            ? []
            : explained.symbols.map((s) => ({
                symbol: s.symbol,
                values: s.values.map((v) => ({ ...v, from: describeOrigin(v.origin, loc.display) })),
              })),
      }),
    );
    return;
  }
  const { renderTable } = await import('../output/table.js');
  const c = ctx.out;
  const fmt = (v: unknown): string => (Array.isArray(v) ? `[${v.join(', ')}]` : v === '' ? '""' : String(v));
  const out: string[] = [
    `${c.bold('config')}     ${loc.path}  (${SOURCE_TEXT[loc.source]})`,
    `${c.bold('state dir')}  ${state.path}  (${state.from})`,
    `${c.bold('desk state')} ${deskState.backend === 'postgres' ? `PostgreSQL, URL from ${deskState.from} (not shown)${deskState.problem ? `: ${deskState.problem}` : ''}` : 'local files in the state dir'}`,
  ];
  if (ctx.timeoutMs !== undefined) out.push(`${c.bold('timeout')}    ${ctx.timeoutMs} ms for every agent (--timeout)`);
  const table = (rows: { key: string; value: unknown; origin: Parameters<typeof describeOrigin>[0] }[]) =>
    renderTable(
      [
        { header: 'KEY', value: (r: (typeof rows)[number]) => r.key },
        { header: 'VALUE', value: (r) => fmt(r.value), color: (r, t, k) => (r.origin.kind === 'env' && !r.origin.set ? k.yellow(t) : t) },
        {
          header: 'FROM',
          value: (r) => describeOrigin(r.origin, loc.display),
          color: (r, t, k) => (r.origin.kind === 'file' ? t : k.dim(t)),
        },
      ],
      rows,
      c,
    )
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`);
  for (const a of agents) {
    out.push('', c.bold(`${a.id}${a.name !== a.id ? ` (${a.name})` : ''}`), ...table(a.values));
  }
  if (ids.length === 0) {
    for (const s of explained.symbols) out.push('', c.bold(`symbols.${s.symbol}`), ...table(s.values));
  }
  ctx.write(`${out.join('\n')}\n`);
}

async function init(ctx: Context, file: string | undefined, flags: { force?: boolean; schema: string | boolean }): Promise<void> {
  const [fs, path, os, { initTemplate, installedSchemaPath }, { parseConfigText }] = await Promise.all([
    import('node:fs'),
    import('node:path'),
    import('node:os'),
    import('../config/template.js'),
    import('../config/load.js'),
  ]);
  const home = ctx.env.HOME || os.homedir();
  const expand = (p: string) => (p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p);
  let target: string;
  if (file !== undefined) target = path.resolve(ctx.cwd, expand(file));
  else if (ctx.configFlag !== undefined) target = path.resolve(ctx.cwd, expand(ctx.configFlag));
  else {
    const xdg = ctx.env.XDG_CONFIG_HOME && path.isAbsolute(ctx.env.XDG_CONFIG_HOME) ? ctx.env.XDG_CONFIG_HOME : path.join(home, '.config');
    target = path.join(xdg, 'mt4gw', 'agents.yml');
  }
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (st?.isDirectory())
    throw new UsageError(`${target} is a directory`, { hint: `Name the file: mt4gw config init ${path.join(target, 'agents.yml')}` });
  if (st && !flags.force) {
    throw new UsageError(`${target} already exists; nothing was written`, {
      hint: 'Check it with `mt4gw config validate`, or add --force to replace it with the commented starting file.',
    });
  }
  const schemaRef = flags.schema === false ? undefined : typeof flags.schema === 'string' ? flags.schema : installedSchemaPath();
  const text = initTemplate({ schemaRef });
  // The template must always load; if it ever stops, that is a bug, not the user's problem.
  parseConfigText(text, { path: target, env: ctx.env });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  fs.renameSync(tmp, target);
  ctx.write(`${target}\n`);
  ctx.info(
    `wrote a commented agents.yml${st ? ' (replacing the old one)' : ''}. Next: edit it, export MT4GW_AGENT1_TOKEN=…, then run \`mt4gw${file === undefined && ctx.configFlag === undefined ? '' : ` --config ${target}`} config validate\`.`,
  );
}
