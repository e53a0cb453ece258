// The validator of agents.yml's parsed data: the schemas section by section, then the rules that
// need the map key, the raw token, several fields or several agents at once (ids, tokens,
// max_lots, one bridge per host:port). Every problem is collected, with its line and column,
// before any is reported.
import path from 'node:path';
import { isScalar } from 'yaml';
import type { core } from 'zod';
import { ConfigError } from '../errors.js';
import { normalizeHost } from './address.js';
import { type Endpoint, type Mt4Parsed, TRANSPORT_SPECS, type TransportKind } from './transports.js';
import { DOCS_HINT, expandHome, looseModeWarning } from './locate.js';
import { agentLevel, stateUrlProblem, tokenProblem, tokenVariableFor, unknownKeyMessage, type Level } from './messages.js';
import { clonePlain, deepMerge, dig, isPlain, setOwn, type Plain } from './plain.js';
import {
  AGENT_ID,
  AgentSchema,
  DefaultsSchema,
  describeValue,
  ENV_REF,
  KNOWN_KEYS,
  MISSING_PREFIX,
  SYMBOL,
  SYMBOL_KEY_WHAT,
  StateSchema,
  SymbolOverrideSchema,
  mt4Config,
  type ParsedAgent,
} from './schema.js';
import type { AgentConfig, Config, StateConfig, SymbolOverride, TokenRef } from './types.js';
import { formatPath, type Locator, type Pos, type Seg } from './yaml-locator.js';

interface Problem extends Pos {
  path: string;
  message: string;
  seq: number;
}

class Problems {
  readonly list: Problem[] = [];
  add(pos: Pos, segs: readonly Seg[] | string, message: string): void {
    this.list.push({ ...pos, path: typeof segs === 'string' ? segs : formatPath(segs), message, seq: this.list.length });
  }
  format(display: string): string[] {
    return [...this.list]
      .sort((a, b) => a.line - b.line || a.col - b.col || a.seq - b.seq)
      .map((p) => `${display}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
  }
}

function fail(display: string, problems: Problems): never {
  const n = problems.list.length;
  throw new ConfigError(`${display} has ${n} problem${n === 1 ? '' : 's'}`, problems.format(display), {
    hint: `Each line gives the file, line and column, and the key at fault. ${DOCS_HINT}`,
  });
}

function issuePath(issue: core.$ZodIssue): Seg[] {
  return issue.path.filter((s): s is string | number => typeof s !== 'symbol');
}

type Kind = 'key' | 'value' | 'missing';
type AgentEndpoint = Endpoint & { id: string };

/**
 * What is wrong with a bridge's host that the schema cannot see: not a host name or IP address
 * once normalized (address.ts), or the unspecified address. Undefined when fine, or not a string
 * (the schema reports that).
 */
function hostProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const n = normalizeHost(raw);
  if (!n.ok) return `${describeValue(raw)} is not a host name or IP address: ${n.reason}`;
  if (n.kind === 'unspecified')
    return `${raw.trim()} is the unspecified address: to a server it means "every address", and it names no terminal to connect to; write the EA Bridge's address (127.0.0.1 for this machine)`;
  return undefined;
}

/** Validates the parsed data section by section, collecting every problem before failing. */
export class Validator {
  readonly problems = new Problems();
  readonly warnings: string[];
  /** The raw `defaults:` mapping, merged under every agent. */
  #defaults: Plain | undefined;
  /** Paths (relative to `defaults:`) already reported there, not to be repeated for every agent. */
  readonly #reportedInDefaults = new Set<string>();
  /** The endpoints of every agent whose keys for them are valid, even when something else in it is not. */
  readonly #endpoints: AgentEndpoint[] = [];

  constructor(
    readonly at: Locator,
    readonly abs: string,
    readonly display: string,
    readonly env: NodeJS.ProcessEnv,
    warnings: string[],
  ) {
    this.warnings = warnings;
  }

  run(data: unknown): Config {
    if (!isPlain(data)) {
      this.problems.add({ line: 1, col: 1 }, '', `the top level must be a mapping with an \`agents:\` key, got ${describeValue(data)}`);
      fail(this.display, this.problems);
    }
    for (const key of Object.keys(data)) {
      // Keys starting with x- are ignored: a place for YAML anchors (`x-common: &common …`).
      if (!(KNOWN_KEYS.root as readonly string[]).includes(key) && !key.startsWith('x-')) {
        this.problems.add(this.at.locate([key], 'key'), key, unknownKeyMessage(key, 'root', data[key]));
      }
    }
    if (data.defaults !== undefined && data.defaults !== null) this.#checkDefaults(data.defaults);
    const symbols = data.symbols !== undefined && data.symbols !== null ? this.#checkSymbols(data.symbols) : {};
    const state = data.state !== undefined ? this.#checkState(data.state) : undefined;
    const agents = this.#checkAgents(data.agents);
    this.#checkEndpoints();
    if (this.problems.list.length > 0) fail(this.display, this.problems);

    if (agents.every((a) => !a.enabled)) {
      this.warnings.push(`${this.display}: every agent is disabled (enabled: false); no agent will take new orders`);
    }
    // A token file others can read is worth saying at every load, not only when a command sends.
    for (const a of agents) {
      const w = a.mt4.token?.kind === 'file' ? looseModeWarning(a, a.mt4.token.path) : undefined;
      if (w) this.warnings.push(w);
    }
    return { path: this.abs, agents, symbols, ...(state ? { state } : {}), warnings: this.warnings };
  }

  /** `state:`: exactly one of `url: ${NAME}` and `url_file:`, the URL itself never in the file nor in a message. */
  #checkState(raw: unknown): StateConfig | undefined {
    const report = (rel: Seg[], kind: Kind, message: string) =>
      this.problems.add(this.at.locate(['state', ...rel], kind), ['state', ...rel], message);
    const r = StateSchema.safeParse(raw);
    if (!r.success) {
      this.#addIssues(
        r.error.issues,
        report,
        () => 'state',
        (rel) => dig(raw, rel),
      );
      return undefined;
    }
    const raw0 = raw as Plain;
    const up = raw0.url !== undefined ? stateUrlProblem(raw0.url) : undefined;
    if (up) report(['url'], 'value', up);
    if (raw0.url !== undefined && r.data.url_file !== undefined) {
      report(['url_file'], 'key', 'set either `url` or `url_file`, not both');
      return undefined;
    }
    if (up) return undefined;
    const variable = typeof raw0.url === 'string' ? ENV_REF.exec(raw0.url.trim())?.[1] : undefined;
    if (variable !== undefined) return { url: { kind: 'env', variable } };
    if (r.data.url_file !== undefined)
      return { url: { kind: 'file', path: path.resolve(path.dirname(this.abs), expandHome(r.data.url_file, this.env)) } };
    report([], 'value', 'expected `url: ${NAME}` (an environment variable holding the database URL) or `url_file: <path>`');
    return undefined;
  }

  /** Turns zod issues into problems: unknown keys one by one, at the key; others at the value. */
  #addIssues(
    issues: readonly core.$ZodIssue[],
    report: (rel: Seg[], kind: Kind, message: string) => void,
    levelOf: (rel: Seg[]) => Level,
    parentOf: (rel: Seg[]) => unknown,
  ): void {
    for (const issue of issues) {
      const rel = issuePath(issue);
      if (issue.code === 'unrecognized_keys') {
        const parent = parentOf(rel);
        for (const k of issue.keys) report([...rel, k], 'key', unknownKeyMessage(k, levelOf(rel), isPlain(parent) ? parent[k] : undefined));
      } else {
        report(rel, issue.message.startsWith(MISSING_PREFIX) ? 'missing' : 'value', issue.message);
      }
    }
  }

  /** A plain YAML number as mt4.account (22437, 0123) is kept as the digits written. */
  #fixAccount(raw: unknown, segs: Seg[]): unknown {
    if (!isPlain(raw) || !isPlain(raw.mt4) || typeof raw.mt4.account !== 'number') return raw;
    const n = this.at.value([...segs, 'mt4', 'account']);
    if (!isScalar(n) || typeof n.source !== 'string' || !/^\d+$/.test(n.source)) return raw;
    const copy = clonePlain(raw) as Plain;
    setOwn(copy.mt4 as Plain, 'account', n.source);
    return copy;
  }

  #checkDefaults(raw0: unknown): void {
    const raw = this.#fixAccount(raw0, ['defaults']);
    const report = (rel: Seg[], kind: Kind, message: string) => {
      this.problems.add(this.at.locate(['defaults', ...rel], kind), ['defaults', ...rel], message);
      this.#reportedInDefaults.add(formatPath(rel));
    };
    const r = DefaultsSchema.safeParse(raw);
    if (!r.success)
      this.#addIssues(
        r.error.issues,
        report,
        (rel) => agentLevel(rel, 'defaults'),
        (rel) => dig(raw, rel),
      );
    if (!isPlain(raw)) return;
    this.#defaults = raw;
    const tp = isPlain(raw.mt4) ? tokenProblem(raw.mt4.token, 'MT4GW_TOKEN') : undefined;
    if (tp) report(['mt4', 'token'], 'value', tp);
    const hp = isPlain(raw.mt4) && !this.#reportedInDefaults.has('mt4.host') ? hostProblem(raw.mt4.host) : undefined;
    if (hp) report(['mt4', 'host'], 'value', hp);
  }

  #checkSymbols(raw: unknown): Record<string, SymbolOverride> {
    const symbols: Record<string, SymbolOverride> = {};
    if (!isPlain(raw)) {
      this.problems.add(
        this.at.locate(['symbols'], 'value'),
        'symbols',
        `expected a mapping of SYMBOL: {contract fields}, got ${describeValue(raw)}`,
      );
      return symbols;
    }
    const seen = new Map<string, string>();
    for (const [sym, spec] of Object.entries(raw)) {
      const base: Seg[] = ['symbols', sym];
      const report = (rel: Seg[], kind: Kind, message: string) =>
        this.problems.add(this.at.locate([...base, ...rel], kind), [...base, ...rel], message);
      if (!SYMBOL.test(sym)) {
        report([], 'key', `expected ${SYMBOL_KEY_WHAT} as the key`);
        continue;
      }
      const upper = sym.toUpperCase();
      const before = seen.get(upper);
      if (before !== undefined) {
        report([], 'key', `${upper} is listed twice (as \`${before}\` and \`${sym}\`); symbols are not case-sensitive here`);
        continue;
      }
      seen.set(upper, sym);
      const r = SymbolOverrideSchema.safeParse(spec);
      if (!r.success) {
        this.#addIssues(
          r.error.issues,
          report,
          () => 'symbol',
          (rel) => dig(spec, rel),
        );
        continue;
      }
      const o = r.data;
      if (o.min_lot !== undefined && o.max_lot !== undefined && o.min_lot > o.max_lot) {
        report(['max_lot'], 'value', `max_lot (${o.max_lot}) is smaller than min_lot (${o.min_lot})`);
      }
      const clean: SymbolOverride = {};
      for (const [k, v] of Object.entries(o) as [keyof SymbolOverride, number | undefined][]) if (v !== undefined) clean[k] = v;
      symbols[upper] = clean;
    }
    return symbols;
  }

  #checkAgents(raw: unknown): AgentConfig[] {
    const at = this.at;
    if (raw === undefined) {
      this.problems.add({ line: 1, col: 1 }, 'agents', 'the top-level `agents:` key is missing; at least one agent is required under it');
      return [];
    }
    if (!isPlain(raw)) {
      const msg =
        raw === null
          ? 'no agents: at least one agent is required, e.g. `agent_1: {name: Atlas, mt4: {host: 127.0.0.1, port: 8081}, risk: {…}}`'
          : `expected a mapping of agent id to agent settings (agent_1: …), got ${describeValue(raw)}`;
      this.problems.add(at.locate(['agents'], 'value'), 'agents', msg);
      return [];
    }
    if (Object.keys(raw).length === 0) {
      this.problems.add(at.locate(['agents'], 'value'), 'agents', 'no agents: at least one agent is required');
      return [];
    }
    const agents: AgentConfig[] = [];
    for (const [key, value] of Object.entries(raw)) {
      const agent = this.#checkAgent(key, value);
      if (agent) agents.push(agent);
    }
    return agents;
  }

  #checkAgent(key: string, raw0: unknown): AgentConfig | undefined {
    const { at } = this;
    const base: Seg[] = ['agents', key];
    let ok = true;
    const defaults = this.#defaults;

    /** Where a path inside this agent is, falling back to `defaults:` for inherited values. */
    const locate = (rel: Seg[], kind: Kind): { pos: Pos; inherited?: string } => {
      if (kind !== 'missing') {
        const own = at.find([...base, ...rel]);
        if (own) return { pos: at.posOf(own, kind) };
        const d = defaults && rel.length > 0 ? at.find(['defaults', ...rel]) : undefined;
        if (d) return { pos: at.posOf(d, kind), inherited: formatPath(rel) };
      }
      return { pos: at.locate([...base, ...rel], 'missing') };
    };
    const report = (rel: Seg[], kind: Kind, message: string): void => {
      ok = false;
      const { pos, inherited } = locate(rel, kind);
      if (inherited !== undefined) {
        if (this.#reportedInDefaults.has(inherited)) return;
        message = `${message} (value inherited from defaults.${inherited})`;
      }
      this.problems.add(pos, [...base, ...rel], message);
    };

    if (!AGENT_ID.test(key)) {
      report([], 'key', 'an agent id (its key) must start with a letter and use only letters, digits, `_` and `-` (at most 64 characters)');
    }
    const raw = this.#fixAccount(raw0, base);
    const merged = defaults && isPlain(raw) ? deepMerge(defaults, raw) : raw;
    const r = AgentSchema.safeParse(merged);
    if (!r.success)
      this.#addIssues(
        r.error.issues,
        report,
        (rel) => agentLevel(rel, 'agent'),
        (rel) => dig(merged, rel),
      );

    // Rules that need the key, the raw token, or several fields at once.
    const m = isPlain(merged) ? merged : {};
    if (typeof m.id === 'string' && m.id.trim() !== key) {
      report(
        ['id'],
        'value',
        `id ${describeValue(m.id)} does not match its key \`${key}\`; remove \`id:\` (it defaults to the key) or make the two equal`,
      );
    }
    const mt4 = isPlain(m.mt4) ? m.mt4 : {};
    const { host } = mt4;
    // The schema's own host messages come first; then the address rules (address.ts).
    const schemaHostIssue = !r.success && r.error.issues.some((i) => i.path[0] === 'mt4' && i.path[1] === 'host');
    const hp = schemaHostIssue ? undefined : hostProblem(host);
    if (hp) report(['mt4', 'host'], 'value', hp);
    const transport = mt4.transport === undefined ? 'rest' : mt4.transport;
    if (!schemaHostIssue && hp === undefined && typeof transport === 'string' && transport in TRANSPORT_SPECS) {
      for (const e of TRANSPORT_SPECS[transport as TransportKind].endpoints(mt4 as Partial<Mt4Parsed>))
        this.#endpoints.push({ ...e, id: key });
    }
    const tp = tokenProblem(mt4.token, tokenVariableFor(key));
    if (tp) report(['mt4', 'token'], 'value', tp);
    if (mt4.token !== undefined && mt4.token !== null && mt4.token_file !== undefined) {
      report(['mt4', 'token_file'], 'key', 'set either `token` or `token_file`, not both');
    }
    if (!r.success) return undefined;

    const p: ParsedAgent = r.data;
    const { risk } = p;
    if (risk.lot_size !== undefined && risk.max_lots !== undefined && risk.max_lots < risk.lot_size) {
      report(
        ['risk', 'max_lots'],
        'value',
        `max_lots (${risk.max_lots}) is smaller than lot_size (${risk.lot_size}); max_lots is the largest order, lot_size the default one`,
      );
    }
    if (!ok) return undefined;

    let token: TokenRef | undefined;
    const variable = typeof mt4.token === 'string' ? ENV_REF.exec(mt4.token.trim())?.[1] : undefined;
    if (variable !== undefined) token = { kind: 'env', variable };
    else if (p.mt4.token_file !== undefined)
      token = { kind: 'file', path: path.resolve(path.dirname(this.abs), expandHome(p.mt4.token_file, this.env)) };

    // Non-fatal findings.
    const warn = (rel: Seg[], message: string) => {
      const { pos } = locate(rel, 'value');
      this.warnings.push(`${this.display}:${pos.line}:${pos.col}: ${formatPath([...base, ...rel])}: ${message}`);
    };
    if (risk.allowed_pairs !== undefined) {
      const allowed = risk.allowed_pairs;
      const outside = p.strategy.pairs.filter((s) => !allowed.includes(s));
      if (outside.length > 0)
        warn(
          ['strategy', 'pairs'],
          `${outside.join(', ')} not in risk.allowed_pairs; orders for ${outside.length === 1 ? 'it' : 'them'} will be denied`,
        );
    }
    if (risk.max_daily_loss < risk.max_risk_per_trade) {
      warn(
        ['risk', 'max_daily_loss'],
        `max_daily_loss (${risk.max_daily_loss}) is below max_risk_per_trade (${risk.max_risk_per_trade}): one losing trade can stop the agent for the day`,
      );
    }
    if (p.mt4.account !== undefined && !/^\d+$/.test(p.mt4.account.trim())) {
      warn(
        ['mt4', 'account'],
        `${describeValue(p.mt4.account)} is not an MT4 login number, so mt4gw cannot check that the terminal is logged into the right account; write the login (digits, e.g. "22437")`,
      );
    }
    return toAgentConfig(key, p, token);
  }

  /**
   * Two agents cannot share one bridge (two locks and two sets of limits on one account). Hosts
   * are compared normalized (address.ts): 127.1, 2130706433 and 127.0.0.1 are one address, and
   * every loopback spelling (127.0.0.0/8, ::1, ::ffff:127.0.0.1, localhost) is one host.
   */
  #checkEndpoints(): void {
    const byEndpoint = new Map<string, AgentEndpoint>();
    for (const e of this.#endpoints) {
      const first = byEndpoint.get(e.identity);
      if (!first) {
        byEndpoint.set(e.identity, e);
        continue;
      }
      if (first.id === e.id) continue; // one agent's own keys (the schema reports equal DWX ports)
      const own = this.at.find(['agents', e.id, 'mt4', e.key]);
      const inherited = own ? undefined : this.at.find(['defaults', 'mt4', e.key]);
      const found = own ?? inherited;
      const pos = found ? this.at.posOf(found, 'value') : this.at.locate(['agents', e.id, 'mt4'], 'key');
      const firstHost = first.shown.slice(0, first.shown.lastIndexOf(':'));
      const host = e.shown.slice(0, e.shown.lastIndexOf(':'));
      const same = firstHost === host ? '' : ` (${firstHost} and ${host} are the same machine)`;
      const rest = first.key === 'port' && e.key === 'port';
      const message =
        e.key === 'account_id'
          ? `MetaApi account ${e.shown} is already ${first.id}'s; two agents on one account would trade it under two locks and two sets of limits`
          : rest
            ? `${e.shown} is already used by ${first.id}${same}; each agent needs its own EA Bridge, on its own port`
            : `${e.shown} is already ${first.id}'s mt4.${first.key}${same}; each terminal needs its own ports`;
      this.problems.add(
        pos,
        ['agents', e.id, 'mt4', e.key],
        `${message}${inherited ? ` (value inherited from defaults.mt4.${e.key})` : ''}`,
      );
    }
  }
}

/** The validated agent in the shape every other layer reads; optional fields only when set. */
function toAgentConfig(id: string, p: ParsedAgent, token: TokenRef | undefined): AgentConfig {
  const { mt4, strategy, risk } = p;
  const maxLots = risk.max_lots ?? risk.lot_size;
  return {
    id,
    name: p.name ?? id,
    description: p.description ?? '',
    enabled: p.enabled,
    mt4: mt4Config(mt4, token),
    strategy: {
      ...(strategy.type !== undefined ? { type: strategy.type } : {}),
      pairs: strategy.pairs,
      ...(strategy.timeframe !== undefined ? { timeframe: strategy.timeframe } : {}),
      ...(strategy.min_confidence !== undefined ? { min_confidence: strategy.min_confidence } : {}),
    },
    risk: {
      initial_balance: risk.initial_balance,
      max_risk_per_trade: risk.max_risk_per_trade,
      max_daily_loss: risk.max_daily_loss,
      max_positions: risk.max_positions,
      ...(risk.allowed_pairs !== undefined ? { allowed_pairs: risk.allowed_pairs } : {}),
      ...(risk.lot_size !== undefined ? { lot_size: risk.lot_size } : {}),
      ...(maxLots !== undefined ? { max_lots: maxLots } : {}),
      require_stop_loss: risk.require_stop_loss,
    },
  };
}
