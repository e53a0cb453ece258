// YAML text to plain data, and the way back: where (line:col) a path of keys and indexes is in the
// file, following aliases. Syntax errors become a ConfigError formatted like a compiler's.
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { ConfigError } from '../errors.js';
import { DOCS_HINT } from './locate.js';
import { SourceText, type Pos } from './source-text.js';

export type { Pos } from './source-text.js';

/** The yaml library's limit on alias expansion (a defence against "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;
/** At most this many YAML syntax errors are listed (later ones are usually knock-on effects). */
const MAX_SYNTAX_ERRORS = 10;

export type Seg = string | number;

/** `agents.agent_1.mt4.port`, `risk.allowed_pairs[2]`. */
export function formatPath(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

export interface Found {
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
export class Locator {
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

export interface ParsedYaml {
  at: Locator;
  data: unknown;
  warnings: string[];
}

/** YAML text to plain data, or a ConfigError formatted like a compiler's (file:line:col, line, caret). */
export function parseYaml(text: string, display: string): ParsedYaml {
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
