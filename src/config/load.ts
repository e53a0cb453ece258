// Finds, reads, parses and validates agents.yml, and resolves agent tokens
// (docs/configuration.md). Everything here is synchronous and does nothing at import time.
//
// Secrets: a token never reaches a message. A literal `token:` is refused without echoing it,
// source lines that mention a token are redacted before they are printed, and YAML messages
// about such lines are withheld when they quote the value.
import path from 'node:path';
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { core } from 'zod';
import { ConfigError } from '../errors.js';
import {
  AGENT_ID,
  AgentSchema,
  DefaultsSchema,
  describeValue,
  ENV_REF,
  KEY_ALIASES,
  KNOWN_KEYS,
  MISSING_PREFIX,
  SECTIONS,
  SYMBOL,
  SYMBOL_KEY_WHAT,
  SymbolOverrideSchema,
  transportOf,
  type ParsedAgent,
  type Section,
} from './schema.js';
import { closest } from './suggest.js';
import type { AgentConfig, Config, SymbolOverride, TokenRef } from './types.js';
import { DOCS_HINT, expandHome, locateConfig, looseModeWarning, readConfigText } from './locate.js';

// The lookup and reading half lives in locate.ts, token resolution in tokens.ts; re-exported for
// existing callers.
export { MAX_CONFIG_BYTES, findConfigPath, locateConfig, readConfigText } from './locate.js';
export type { ConfigLocation, ConfigLookupOptions, ConfigSource } from './locate.js';
export { MAX_TOKEN_FILE_BYTES, resolveToken, resolveTokenDetailed, resolveTokens, type ResolvedToken } from './tokens.js';

/** The yaml library's limit on alias expansion (a defence against "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;
/** At most this many YAML syntax errors are listed (later ones are usually knock-on effects). */
const MAX_SYNTAX_ERRORS = 10;

// ───────────────────────────── positions and redaction ─────────────────────────────

type Seg = string | number;

interface Pos {
  line: number;
  col: number;
}

function formatPath(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

/** A key or value named by `/token/i`, and lines nested under such a key, are never printed as is. */
const TOKEN_KEY_LINE = /^(\s*)(?:-\s+)*["']?[\w-]*token[\w-]*["']?\s*:(?:\s|$)/i;

class SourceText {
  readonly lines: string[];
  readonly #sensitive = new Set<number>();
  constructor(text: string) {
    // Lines as the yaml library counts them (LF or CRLF), without the CR.
    this.lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    let blockIndent = -1;
    this.lines.forEach((line, i) => {
      const indent = /^\s*/.exec(line)?.[0].length ?? 0;
      if (blockIndent >= 0) {
        if (line.trim() === '' || indent > blockIndent) {
          this.#sensitive.add(i + 1);
          return;
        }
        blockIndent = -1;
      }
      if (/token/i.test(line)) this.#sensitive.add(i + 1);
      const m = TOKEN_KEY_LINE.exec(line);
      if (m) blockIndent = m[1]?.length ?? 0;
    });
  }

  isSensitive(line: number): boolean {
    return this.#sensitive.has(line);
  }

  /** The part of a sensitive line that may be a secret. */
  #secretPart(line: number): string {
    const src = this.lines[line - 1] ?? '';
    const m = /token/i.exec(src);
    if (!m) return src.trim();
    const colon = src.indexOf(':', m.index + m[0].length);
    return (colon >= 0 ? src.slice(colon + 1) : src.slice(m.index + m[0].length)).trim();
  }

  /** The line as it may be printed. */
  printable(line: number): string {
    const src = this.lines[line - 1] ?? '';
    if (!this.isSensitive(line)) return src;
    const m = /token/i.exec(src);
    if (!m) return `${/^\s*/.exec(src)?.[0] ?? ''}<redacted>`;
    const colon = src.indexOf(':', m.index + m[0].length);
    return colon >= 0 ? `${src.slice(0, colon + 1)} <redacted>` : `${src.slice(0, m.index + m[0].length)} <redacted>`;
  }

  /** A message about `line`, unless it quotes part of a token there. */
  safeMessage(line: number, message: string, code: string): string {
    if (!this.isSensitive(line)) return message;
    const secret = this.#secretPart(line);
    const w = Math.min(4, secret.length);
    for (let i = 0; w > 0 && i + w <= secret.length; i++) {
      if (message.includes(secret.slice(i, i + w))) {
        return `YAML error ${code} on a line that holds a token (details withheld so the token is not printed)`;
      }
    }
    return message;
  }

  /** `    12 | source line` and `       |     ^`, the line cut to a window around the column. */
  snippet(pos: Pos): string[] {
    let text = this.printable(pos.line).replace(/\t/g, ' ');
    let caret = pos.col - 1;
    const WIDTH = 100;
    if (text.length > WIDTH) {
      const start = Math.max(0, Math.min(caret - WIDTH / 2, text.length - WIDTH));
      text = `${start > 0 ? '…' : ''}${text.slice(start, start + WIDTH)}${start + WIDTH < text.length ? '…' : ''}`;
      caret = caret - start + (start > 0 ? 1 : 0);
    }
    const num = String(pos.line);
    return [`    ${num} | ${text}`, `    ${' '.repeat(num.length)} | ${' '.repeat(Math.max(0, caret))}^`];
  }
}

interface Found {
  /** The value node (null for `key:` with nothing after it when the library gives none). */
  node: unknown;
  /** The key node of the pair holding it; undefined for list items and the root. */
  key: unknown;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(n: unknown): number | undefined {
  if (!isNode(n)) return undefined;
  return n.range?.[0];
}

/** Walks the YAML syntax tree along a path of keys and indexes, following aliases. */
class Locator {
  constructor(
    readonly doc: Document.Parsed,
    readonly lc: LineCounter,
  ) {}

  #deref(n: unknown): unknown {
    let cur = n;
    for (let i = 0; isAlias(cur) && i < 64; i++) cur = cur.resolve(this.doc);
    return cur;
  }

  find(segs: readonly Seg[]): Found | undefined {
    let cur: unknown = this.doc.contents;
    let key: unknown;
    for (const seg of segs) {
      cur = this.#deref(cur);
      if (isMap(cur)) {
        const pair = cur.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) return undefined;
        key = pair.key;
        cur = pair.value;
      } else if (isSeq(cur) && typeof seg === 'number') {
        if (seg < 0 || seg >= cur.items.length) return undefined;
        key = undefined;
        cur = cur.items[seg];
      } else return undefined;
    }
    return { node: cur, key };
  }

  /** The value node behind a path, aliases followed. */
  value(segs: readonly Seg[]): unknown {
    const f = this.find(segs);
    return f ? this.#deref(f.node) : undefined;
  }

  pos(offset: number): Pos {
    const p = this.lc.linePos(offset);
    return p.line === 0 ? { line: 1, col: offset + 1 } : p;
  }

  /** Where to point for a found node: its key for 'key', else its value (or its key when the value is empty). */
  posOf(f: Found, kind: 'key' | 'value'): Pos {
    const emptyValue = f.node === null || (isScalar(f.node) && f.node.value === null && f.node.source === '');
    const target = kind === 'key' || emptyValue ? (f.key ?? f.node) : f.node;
    const start = rangeStart(target) ?? rangeStart(f.key) ?? rangeStart(f.node);
    return start === undefined ? { line: 1, col: 1 } : this.pos(start);
  }

  /** The position of a path, or of its deepest ancestor that exists (a missing key points at its parent). */
  locate(segs: readonly Seg[], kind: 'key' | 'value' | 'missing'): Pos {
    if (kind !== 'missing') {
      const f = this.find(segs);
      if (f) return this.posOf(f, kind);
    }
    for (let i = segs.length - 1; i >= 0; i--) {
      const f = this.find(segs.slice(0, i));
      if (f) return this.posOf(f, 'key');
    }
    return { line: 1, col: 1 };
  }
}

// ───────────────────────────── problems ─────────────────────────────

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

// ───────────────────────────── messages ─────────────────────────────

type Level = 'root' | 'agent' | 'defaults' | Section | 'symbol';

const SECTION_KEYS: Readonly<Record<Section, readonly string[]>> = {
  mt4: KNOWN_KEYS.mt4,
  strategy: KNOWN_KEYS.strategy,
  risk: KNOWN_KEYS.risk,
};

function unknownKeyMessage(key: string, level: Level, value: unknown): string {
  const head = `unknown key \`${key}\``;
  if (key === '<<') return `${head}: YAML merge keys are not supported; put shared settings under the top-level \`defaults:\` key`;
  const known: readonly string[] = level === 'agent' ? KNOWN_KEYS.agent : level === 'defaults' ? KNOWN_KEYS.defaults : KNOWN_KEYS[level];
  if (level === 'root' && isPlain(value) && SECTIONS.some((s) => Object.hasOwn(value, s))) {
    return `${head}: agents go under \`agents:\` (write \`agents:\` and indent \`${key}:\` below it)`;
  }
  if (level === 'defaults' && key === 'id') return `\`id\` cannot have a default: each agent's id is its key under \`agents:\``;
  const near = closest(key, known);
  if (near) return `${head}; did you mean \`${near}\`?`;
  if (level === 'agent' || level === 'defaults') {
    const alias = KEY_ALIASES[key];
    if (alias) return `${head}; did you mean \`${alias}\`?`;
    for (const section of SECTIONS) {
      const inSection = closest(key, SECTION_KEYS[section]);
      if (inSection) return `${head}; did you mean \`${section}.${inSection}\`? (it belongs under \`${section}:\`)`;
    }
  }
  if ((SECTIONS as readonly string[]).includes(level)) {
    for (const section of SECTIONS) {
      if (section === level) continue;
      const other = closest(key, SECTION_KEYS[section]);
      if (other) return `${head}: \`${other}\` belongs under \`${section}:\`, not under \`${level}:\``;
    }
    const agentKey = closest(key, KNOWN_KEYS.agent);
    if (agentKey && !(SECTIONS as readonly string[]).includes(agentKey))
      return `${head}: \`${agentKey}\` belongs directly under the agent, not under \`${level}:\``;
  }
  const list = known.map((k) => `\`${k}\``).join(', ');
  return `${head}; the keys allowed here are ${list}${level === 'root' ? ' (top-level keys starting with `x-` are ignored, for YAML anchors)' : ''}`;
}

/** The level of the mapping at `rel` inside an agent (or `defaults:`). */
function agentLevel(rel: readonly Seg[], top: 'agent' | 'defaults'): Level {
  if (rel.length === 0) return top;
  const s = rel[0];
  return rel.length === 1 && typeof s === 'string' && (SECTIONS as readonly string[]).includes(s) ? (s as Section) : top;
}

/** The environment variable name suggested for an agent's token: agent_1 -> MT4GW_AGENT1_TOKEN. */
export function tokenVariableFor(agentId: string): string {
  const slug = agentId.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return `MT4GW_${slug || 'AGENT'}_TOKEN`;
}

/**
 * What is wrong with a `token:` value, without ever quoting it; undefined when it is absent or a
 * well-formed `${NAME}` reference.
 */
function tokenProblem(raw: unknown, suggestedVar: string): string | undefined {
  if (raw === undefined) return undefined;
  const how = `Put it in an environment variable and write \`token: \${${suggestedVar}}\`, or use \`token_file:\``;
  if (raw === null) return `is empty; write \`token: \${${suggestedVar}}\`, use \`token_file:\`, or remove the key`;
  if (typeof raw === 'string') {
    const t = raw.trim();
    if (ENV_REF.test(t)) return undefined;
    if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(t)) {
      return `an environment reference needs braces: write it as \`\${NAME}\`, e.g. \`token: \${${suggestedVar}}\` (the value is not shown)`;
    }
    if (t.startsWith('${')) {
      return `is not a valid environment reference: write exactly \`\${NAME}\`, NAME being letters, digits and _ and not starting with a digit, e.g. \`token: \${${suggestedVar}}\` (the value is not shown)`;
    }
  }
  return `holds a literal token; secrets must not live in agents.yml. ${how} (the value is not shown)`;
}

// ───────────────────────────── helpers on plain data ─────────────────────────────

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Map) && !(v instanceof Set);
}

/** Own property set that is safe for keys such as `__proto__`. */
function setOwn(o: Plain, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `over` on top of `base`: mappings merge recursively, everything else (lists included) is replaced. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = {};
  for (const k of Object.keys(base)) setOwn(out, k, base[k]);
  for (const k of Object.keys(over)) {
    const b = out[k];
    const o = over[k];
    setOwn(out, k, Object.hasOwn(base, k) && isPlain(b) && isPlain(o) ? deepMerge(b, o) : o);
  }
  return out;
}

function issuePath(issue: core.$ZodIssue): Seg[] {
  return issue.path.filter((s): s is string | number => typeof s !== 'symbol');
}

/** Copies a value tree so that fixes (account numbers) never touch objects shared through aliases. */
function clonePlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clonePlain);
  if (isPlain(v)) {
    const out: Plain = {};
    for (const k of Object.keys(v)) setOwn(out, k, clonePlain(v[k]));
    return out;
  }
  return v;
}

// ───────────────────────────── parsing ─────────────────────────────

export interface ParseConfigOptions {
  /** Absolute path of the file (token_file paths are relative to its directory). */
  path: string;
  /** How messages name the file; defaults to the base name. */
  display?: string | undefined;
  /** For `~` in token_file. */
  env?: NodeJS.ProcessEnv | undefined;
}

interface ParsedYaml {
  at: Locator;
  data: unknown;
  warnings: string[];
}

/** YAML text to plain data, or a ConfigError formatted like a compiler's (file:line:col, line, caret). */
function parseYaml(text: string, display: string): ParsedYaml {
  const source = new SourceText(text);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  const at = new Locator(doc, lc);
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

  if (doc.errors.length > 0) {
    const problems = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((err) => {
      const pos = at.pos(err.pos[0]);
      const msg = source.safeMessage(pos.line, oneLine(err.message), err.code);
      return [`${display}:${pos.line}:${pos.col}: ${msg}`, ...source.snippet(pos)].join('\n');
    });
    if (doc.errors.length > MAX_SYNTAX_ERRORS) problems.push(`…and ${doc.errors.length - MAX_SYNTAX_ERRORS} more`);
    // `token: ${X}` is fine in block style, but inside { } the braces are YAML syntax.
    const flowRef = doc.errors.some((err) => /\{[^}]*\$\{/.test(source.lines[at.pos(err.pos[0]).line - 1] ?? ''));
    throw new ConfigError(`${display} is not valid YAML`, problems, {
      hint: flowRef
        ? 'Inside `{ … }` a `${NAME}` reference must be quoted: `mt4: {host: 127.0.0.1, port: 8081, token: "${MT4GW_AGENT1_TOKEN}"}`.'
        : 'Fix the first error first: later ones are often caused by it. Indent with spaces, not tabs, and quote values that contain `: ` or start with a special character.',
    });
  }

  const warnings = doc.warnings.map((w) => {
    const pos = at.pos(w.pos[0]);
    return `${display}:${pos.line}:${pos.col}: ${source.safeMessage(pos.line, oneLine(w.message), w.code)}`;
  });

  if (doc.contents === null) {
    throw new ConfigError(`${display} has no settings (only comments)`, [], { hint: `Define your agents under \`agents:\`. ${DOCS_HINT}` });
  }

  try {
    return { at, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), warnings };
  } catch (e) {
    let first: Pos = { line: 1, col: 1 };
    visit(doc, {
      Alias(_, node) {
        const start = node.range?.[0];
        if (start !== undefined) first = at.pos(start);
        return visit.BREAK;
      },
    });
    const aliasBomb = e instanceof ReferenceError && /alias/i.test(e.message);
    throw new ConfigError(
      aliasBomb
        ? `${display} expands its aliases too many times (more than ${MAX_ALIAS_COUNT}); refusing it as a possible "billion laughs" attack`
        : `${display} could not be read as data: ${e instanceof Error ? e.message : String(e)}`,
      [`${display}:${first.line}:${first.col}: ${aliasBomb ? 'first alias (`*name`) here' : 'see here'}`],
      { hint: aliasBomb ? 'Use fewer `*alias` references; put shared settings under `defaults:` instead.' : DOCS_HINT },
    );
  }
}

type Kind = 'key' | 'value' | 'missing';
type Endpoint = { id: string; host: string; port: number };
/** The hosts that all mean "this machine" for the duplicate host:port check. */
const LOOPBACK = new Set(['localhost', 'localhost.', '127.0.0.1', '::1', '[::1]', '0:0:0:0:0:0:0:1']);

/** Validates the parsed data section by section, collecting every problem before failing. */
class Validator {
  readonly problems = new Problems();
  readonly warnings: string[];
  /** The raw `defaults:` mapping, merged under every agent. */
  #defaults: Plain | undefined;
  /** Paths (relative to `defaults:`) already reported there, not to be repeated for every agent. */
  readonly #reportedInDefaults = new Set<string>();
  /** host:port of every agent whose host and port are valid, even when something else in it is not. */
  readonly #endpoints: Endpoint[] = [];

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
    return { path: this.abs, agents, symbols, warnings: this.warnings };
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
    const { host, port } = mt4;
    if (
      typeof host === 'string' &&
      host.trim() !== '' &&
      typeof port === 'number' &&
      Number.isInteger(port) &&
      port >= 1 &&
      port <= 65535
    ) {
      this.#endpoints.push({ id: key, host: host.trim(), port });
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
    return toAgentConfig(key, p, token);
  }

  /** Two agents cannot share one bridge; localhost, 127.0.0.1 and ::1 are one host. */
  #checkEndpoints(): void {
    const byEndpoint = new Map<string, Endpoint>();
    for (const e of this.#endpoints) {
      const h = e.host.toLowerCase();
      const k = `${LOOPBACK.has(h) ? 'loopback' : h.replace(/\.$/, '')}:${e.port}`;
      const first = byEndpoint.get(k);
      if (!first) {
        byEndpoint.set(k, e);
        continue;
      }
      const own = this.at.find(['agents', e.id, 'mt4', 'port']);
      const inherited = own ? undefined : this.at.find(['defaults', 'mt4', 'port']);
      const found = own ?? inherited;
      const pos = found ? this.at.posOf(found, 'value') : this.at.locate(['agents', e.id, 'mt4'], 'key');
      const same = first.host === e.host ? '' : ` (${first.host} and ${e.host} are the same machine)`;
      this.problems.add(
        pos,
        ['agents', e.id, 'mt4', 'port'],
        `${e.host}:${e.port} is already used by ${first.id}${same}; each agent needs its own EA Bridge, on its own port${inherited ? ' (value inherited from defaults.mt4.port)' : ''}`,
      );
    }
  }
}

/** The value at a path inside plain data. */
function dig(v: unknown, rel: readonly Seg[]): unknown {
  let cur = v;
  for (const s of rel) {
    if (isPlain(cur)) cur = cur[String(s)];
    else if (Array.isArray(cur) && typeof s === 'number') cur = cur[s];
    else return undefined;
  }
  return cur;
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
    mt4: {
      host: mt4.host,
      ...(mt4.account !== undefined ? { account: mt4.account } : {}),
      ...(mt4.server !== undefined ? { server: mt4.server } : {}),
      ...(token ? { token } : {}),
      timeout_ms: mt4.timeout_ms,
      ...(mt4.max_order_age !== undefined ? { max_order_age_ms: mt4.max_order_age } : {}),
      ...transportOf(mt4),
    },
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

/** Validates the text of an agents.yml. Throws ConfigError listing every problem found. */
export function parseConfigText(text: string, opts: ParseConfigOptions): Config {
  const abs = path.resolve(opts.path);
  const display = opts.display ?? path.basename(abs);
  if (text.trim() === '') throw new ConfigError(`${display} is empty`, [], { hint: DOCS_HINT });
  const { at, data, warnings } = parseYaml(text, display);
  return new Validator(at, abs, display, opts.env ?? process.env, warnings).run(data);
}

export interface LoadConfigOptions {
  /** The --config flag. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  cwd?: string | undefined;
}

/** Finds (locateConfig), reads and validates agents.yml. Throws ConfigError with every problem found. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const loc = locateConfig({ flag: opts.path, env, cwd: opts.cwd });
  const text = readConfigText(loc.path, loc.display);
  return parseConfigText(text, { path: loc.path, display: loc.display, env });
}
