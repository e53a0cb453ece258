// `mt4gw config validate|show|init|schema` (src/commands/config.ts). None of them talks to a bridge.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configJsonSchemaText } from '../../config/json-schema.js';
import { locateConfig, parseConfigText, readConfigText, resolveTokenDetailed } from '../../config/load.js';
import { describeOrigin, explainConfig } from '../../config/origin.js';
import { initTemplate, installedSchemaPath } from '../../config/template.js';
import { ConfigError, type MtError, UsageError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import { stateDir } from '../../state/dir.js';
import type { InitArgs, InitOptions, ShowArgs, ValidateOptions } from '../config.js';
import type { Context } from '../context.js';
import { selectAgents } from '../select.js';

const SOURCE_TEXT = {
  flag: 'given with --config',
  env: 'from $MT4GW_CONFIG',
  cwd: 'found in the current directory',
  xdg: 'found in $XDG_CONFIG_HOME/mt4gw (~/.config/mt4gw)',
} as const;

export function validate(_args: unknown, flags: ValidateOptions, ctx: Context): Promise<void> {
  return validateConfig(ctx, flags.tokens);
}

export function show(args: ShowArgs, _options: unknown, ctx: Context): Promise<void> {
  return showConfig(ctx, args.agents);
}

export function init(args: InitArgs, flags: InitOptions, ctx: Context): Promise<void> {
  return initConfig(ctx, args.file, flags);
}

/** Prints the JSON Schema; it reads no global flag. */
export function schema(_args: unknown, _options: unknown, ctx: Context): void {
  ctx.write(configJsonSchemaText());
}

async function validateConfig(ctx: Context, checkTokens: boolean): Promise<void> {
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

async function showConfig(ctx: Context, ids: string[]): Promise<void> {
  const loc = locateConfig({ flag: ctx.configFlag, env: ctx.env, cwd: ctx.cwd });
  const text = readConfigText(loc.path, loc.display);
  const config = parseConfigText(text, { path: loc.path, display: loc.display, env: ctx.env });
  for (const w of config.warnings) ctx.warn(w);
  const chosen = new Set(selectAgents(config, ids).map((a) => a.id));
  const explained = explainConfig(text, config, { env: ctx.env, timeoutMs: ctx.timeoutMs });
  const agents = explained.agents.filter((a) => chosen.has(a.id));
  // Where the desk's state lives: the files, or PostgreSQL — named by where its URL comes from, never the URL.
  const target = await (await import('../../state/target.js')).stateTarget(ctx.env, { config: async () => config, configText: () => text });
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

async function initConfig(ctx: Context, file: string | undefined, flags: InitOptions): Promise<void> {
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
