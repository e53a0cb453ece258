// Where each value of the resolved configuration came from, for `mt4gw config show`: the agent's
// own key in the file (with its line), the file's `defaults:` section, mt4gw's built-in default, a
// value derived from another (max_lots from lot_size, name from the id), the environment (tokens,
// the state directory) or a command-line flag (--timeout). Works on a file load.ts has already
// validated; it only looks up lines. Never reveals a token: a token shows as `<redacted>` (or as
// not set), with the name of the variable or file it comes from.
import { TRANSPORT_SPECS } from './transports.js';
import { isAlias, isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { AgentConfig, Config } from './types.js';

export type Origin =
  | { kind: 'file'; line: number }
  | { kind: 'defaults'; line: number }
  | { kind: 'builtin' }
  | { kind: 'derived'; from: string }
  | { kind: 'env'; variable: string; set: boolean; line?: number | undefined }
  | { kind: 'token_file'; path: string; line?: number | undefined }
  | { kind: 'flag'; flag: string; file?: unknown };

export interface ShownValue {
  key: string;
  /** As loaded (a token is never here: `<redacted>` or `<not set>`). */
  value: unknown;
  origin: Origin;
}

export interface ShownAgent {
  id: string;
  name: string;
  values: ShownValue[];
}

export interface ShownSymbol {
  symbol: string;
  values: ShownValue[];
}

export interface ExplainOptions {
  env: NodeJS.ProcessEnv;
  /** The global --timeout, in ms, when given: it overrides every agent's mt4.timeout_ms. */
  timeoutMs?: number | undefined;
}

type Seg = string;

class Lines {
  readonly #doc: Document.Parsed;
  readonly #lc: LineCounter;
  constructor(text: string) {
    this.#lc = new LineCounter();
    this.#doc = parseDocument(text, { lineCounter: this.#lc });
  }

  /** The line of the key at a path (segment `ciIndex` compared case-insensitively), or undefined. */
  line(segs: readonly Seg[], ciIndex = -1): number | undefined {
    let cur: unknown = this.#doc.contents;
    let keyNode: unknown;
    for (const [i, seg] of segs.entries()) {
      for (let n = 0; isAlias(cur) && n < 64; n++) cur = cur.resolve(this.#doc);
      if (!isMap(cur)) return undefined;
      const pair = cur.items.find((p) => {
        if (!isScalar(p.key)) return false;
        const k = String(p.key.value);
        return i === ciIndex ? k.toUpperCase() === seg.toUpperCase() : k === seg;
      });
      if (!pair) return undefined;
      keyNode = pair.key;
      cur = pair.value;
    }
    const start = isScalar(keyNode) ? keyNode.range?.[0] : undefined;
    return start === undefined ? undefined : this.#lc.linePos(start).line;
  }
}

function agentEntries(a: AgentConfig): Array<[string, unknown]> {
  const entries: Array<[string, unknown]> = [
    ['id', a.id],
    ['name', a.name],
    ['description', a.description],
    ['enabled', a.enabled],
  ];
  // The keys of the agent's transport (transports.ts), in its order; one it leaves unset is not shown.
  for (const key of TRANSPORT_SPECS[a.mt4.transport].keys) {
    const value = (a.mt4 as unknown as Record<string, unknown>)[key];
    if (value !== undefined) entries.push([`mt4.${key}`, value]);
  }
  if (a.mt4.account !== undefined) entries.push(['mt4.account', a.mt4.account]);
  if (a.mt4.server !== undefined) entries.push(['mt4.server', a.mt4.server]);
  if (a.mt4.token?.kind === 'env') entries.push(['mt4.token', undefined]);
  if (a.mt4.token?.kind === 'file') entries.push(['mt4.token_file', undefined]);
  entries.push(['mt4.timeout_ms', a.mt4.timeout_ms], ['mt4.transport', a.mt4.transport]);
  if (a.strategy.type !== undefined) entries.push(['strategy.type', a.strategy.type]);
  entries.push(['strategy.pairs', a.strategy.pairs]);
  if (a.strategy.timeframe !== undefined) entries.push(['strategy.timeframe', a.strategy.timeframe]);
  if (a.strategy.min_confidence !== undefined) entries.push(['strategy.min_confidence', a.strategy.min_confidence]);
  const r = a.risk;
  entries.push(
    ['risk.initial_balance', r.initial_balance],
    ['risk.max_risk_per_trade', r.max_risk_per_trade],
    ['risk.max_daily_loss', r.max_daily_loss],
    ['risk.max_positions', r.max_positions],
  );
  if (r.allowed_pairs !== undefined) entries.push(['risk.allowed_pairs', r.allowed_pairs]);
  if (r.lot_size !== undefined) entries.push(['risk.lot_size', r.lot_size]);
  if (r.max_lots !== undefined) entries.push(['risk.max_lots', r.max_lots]);
  entries.push(['risk.require_stop_loss', r.require_stop_loss]);
  return entries;
}

/** Every value of every agent and symbol override, with its origin. */
export function explainConfig(text: string, config: Config, opts: ExplainOptions): { agents: ShownAgent[]; symbols: ShownSymbol[] } {
  const lines = new Lines(text);
  const fromFile = (agentId: string, key: string): Origin | undefined => {
    const segs = key.split('.');
    const own = lines.line(['agents', agentId, ...segs]);
    if (own !== undefined) return { kind: 'file', line: own };
    const inherited = lines.line(['defaults', ...segs]);
    if (inherited !== undefined) return { kind: 'defaults', line: inherited };
    return undefined;
  };

  const agents = config.agents.map((a): ShownAgent => {
    const values = agentEntries(a).map(([key, value]): ShownValue => {
      const found = fromFile(a.id, key);
      const line = found && found.kind !== 'builtin' && 'line' in found ? found.line : undefined;
      if (key === 'mt4.token' && a.mt4.token?.kind === 'env') {
        const v = opts.env[a.mt4.token.variable];
        const set = v !== undefined && v.trim() !== '';
        return { key, value: set ? '<redacted>' : '<not set>', origin: { kind: 'env', variable: a.mt4.token.variable, set, line } };
      }
      if (key === 'mt4.token_file' && a.mt4.token?.kind === 'file') {
        return { key, value: '<redacted>', origin: { kind: 'token_file', path: a.mt4.token.path, line } };
      }
      if (key === 'mt4.timeout_ms' && opts.timeoutMs !== undefined) {
        return { key, value: opts.timeoutMs, origin: { kind: 'flag', flag: '--timeout', file: value } };
      }
      if (found) return { key, value, origin: found };
      if (key === 'id') return { key, value, origin: { kind: 'derived', from: 'its key under agents:' } };
      if (key === 'name') return { key, value, origin: { kind: 'derived', from: 'the id' } };
      if (key === 'risk.max_lots') return { key, value, origin: { kind: 'derived', from: 'risk.lot_size' } };
      if (key === 'mt4.base_url') return { key, value, origin: { kind: 'derived', from: 'mt4.region' } };
      // enabled, description, mt4.timeout_ms, mt4.transport, the dwx ports, strategy.pairs, risk.require_stop_loss
      return { key, value, origin: { kind: 'builtin' } };
    });
    return { id: a.id, name: a.name, values };
  });

  const symbols = Object.entries(config.symbols).map(
    ([symbol, override]): ShownSymbol => ({
      symbol,
      values: Object.entries(override).map(([key, value]) => {
        const line = lines.line(['symbols', symbol, key], 1);
        return { key, value, origin: line === undefined ? { kind: 'builtin' } : { kind: 'file', line } };
      }),
    }),
  );
  return { agents, symbols };
}

/** An origin in a few words: `agents.yml:23`, `defaults (agents.yml:9)`, `default`, `env MT4GW_AGENT1_TOKEN`. */
export function describeOrigin(o: Origin, display: string): string {
  switch (o.kind) {
    case 'file':
      return `${display}:${o.line}`;
    case 'defaults':
      return `defaults: (${display}:${o.line})`;
    case 'builtin':
      return 'default';
    case 'derived':
      return `from ${o.from}`;
    case 'env':
      return `env ${o.variable}${o.set ? '' : ' (not set)'}${o.line !== undefined ? `, named at ${display}:${o.line}` : ''}`;
    case 'token_file':
      return `file ${o.path}${o.line !== undefined ? `, named at ${display}:${o.line}` : ''}`;
    case 'flag':
      return `${o.flag} (file: ${String(o.file)})`;
  }
}
