// Shell completion. `mt4gw completion bash|zsh` prints a small script; on TAB the script runs the
// hidden `mt4gw __complete -- <words…>`, which answers from the command tree itself (subcommands,
// flags, choices — so new commands complete without touching this file) and from the current
// config (agent ids; an agent's symbols: strategy.pairs and risk.allowed_pairs). No network, no
// token, nothing on stderr: a completion must never print into the user's command line.
import type { Argument, Command, Option } from 'commander';
import { SHELLS } from './completion.js';

/** Printed alone as the first line: let the shell complete file names. */
export const FILES = '__files__';

interface Known {
  agents: { id: string; symbols: string[] }[];
}

/** Agent ids and symbols from the config mt4gw would load; undefined when there is none usable. */
async function known(configFlag: string | undefined, env: NodeJS.ProcessEnv): Promise<Known | undefined> {
  try {
    const { loadConfig } = await import('../config/load.js');
    const config = loadConfig({ path: configFlag, env, cwd: process.cwd() });
    return {
      agents: config.agents.map((a) => ({ id: a.id, symbols: [...new Set([...a.strategy.pairs, ...(a.risk.allowed_pairs ?? [])])] })),
    };
  } catch {
    return undefined;
  }
}

function findOption(cmd: Command, word: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.options.find((x) => x.long === word || x.short === word);
    if (o) return o;
  }
  return undefined;
}

function subcommand(cmd: Command, word: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
}

function visibleSubcommands(cmd: Command): string[] {
  return cmd
    .createHelp()
    .visibleCommands(cmd)
    .map((c) => c.name());
}

/**
 * The candidates for the last word of `words` (words[0] being the program), one per line, already
 * filtered by its prefix; or [FILES] for a file name.
 */
export async function complete(program: Command, words: string[], env: NodeJS.ProcessEnv, load = known): Promise<string[]> {
  const typed = words.slice(1);
  const cur = typed.pop() ?? '';
  let cmd = program;
  let pending: Option | undefined;
  let configFlag: string | undefined;
  let dashdash = false;
  let helpTopic = false;
  const positionals: string[] = [];
  const optionValues = new Map<string, string>();

  for (const w of typed) {
    if (pending) {
      optionValues.set(pending.attributeName(), w);
      if (pending.long === '--config') configFlag = w;
      pending = undefined;
      continue;
    }
    if (!dashdash && w === '--') {
      dashdash = true;
      continue;
    }
    if (!dashdash && w.startsWith('-') && w !== '-') {
      const eq = w.indexOf('=');
      const o = findOption(cmd, eq > 0 ? w.slice(0, eq) : w);
      if (o && eq > 0) {
        optionValues.set(o.attributeName(), w.slice(eq + 1));
        if (o.long === '--config') configFlag = w.slice(eq + 1);
      } else if (o?.required) pending = o;
      continue;
    }
    if (positionals.length === 0 && !helpTopic) {
      const sub = subcommand(cmd, w);
      if (sub) {
        cmd = sub;
        continue;
      }
      if (cmd === program && w === 'help') {
        helpTopic = true;
        continue;
      }
    }
    positionals.push(w);
  }
  configFlag ??= env.MT4GW_CONFIG || undefined;

  const filter = (list: Iterable<string>) => [...new Set(list)].filter((c) => c.startsWith(cur));
  const agentIds = async () => (await load(configFlag, env))?.agents.map((a) => a.id) ?? [];
  const symbolsOf = async (agentId: string | undefined) => {
    const k = await load(configFlag, env);
    if (!k) return [];
    const agents = agentId ? k.agents.filter((a) => a.id === agentId) : k.agents;
    return agents.flatMap((a) => a.symbols);
  };
  /** The agent named so far on the line: an <agent> argument or --agent. */
  const agentOnLine = (): string | undefined => {
    const i = cmd.registeredArguments.findIndex((a) => a.name() === 'agent');
    return (i >= 0 ? positionals[i] : undefined) ?? optionValues.get('agent');
  };

  if (pending) {
    if (pending.argChoices) return filter(pending.argChoices);
    switch (pending.attributeName()) {
      case 'config':
      case 'writeConfig':
        return [FILES];
      case 'agent':
        return filter(await agentIds());
      case 'symbol':
        return filter(await symbolsOf(agentOnLine()));
      default:
        return [];
    }
  }
  if (helpTopic) return positionals.length === 0 ? filter(visibleSubcommands(program).filter((n) => n !== 'help')) : [];
  if (cur.startsWith('-') && !dashdash) {
    const flags: string[] = [];
    for (let c: Command | null = cmd; c; c = c.parent) {
      for (const o of c.options) if (!o.hidden) flags.push(...[o.long, o.short].filter((f): f is string => f !== undefined));
    }
    flags.push('--help');
    return filter(flags);
  }
  if (positionals.length === 0 && cmd.commands.length > 0) return filter(visibleSubcommands(cmd));
  const args = cmd.registeredArguments;
  const last = args[args.length - 1];
  const arg: Argument | undefined = args[positionals.length] ?? (last?.variadic ? last : undefined);
  if (!arg) return [];
  if (arg.argChoices) return filter(arg.argChoices);
  switch (arg.name()) {
    case 'agent':
      return filter(await agentIds());
    case 'agents':
      return filter((await agentIds()).filter((id) => !positionals.includes(id)));
    case 'symbol':
      return filter(await symbolsOf(agentOnLine()));
    case 'side':
      return filter(['buy', 'sell']);
    case 'shell':
      return filter(SHELLS);
    case 'file':
      return [FILES];
    default:
      return [];
  }
}
