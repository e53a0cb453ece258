// A small, strict parser for the replies of the DWX ZeroMQ server EA. The EA writes Python-dict
// literals by string concatenation (DWX_ZeroMQ_Server_v2.0.1_RC8.mq4): single-quoted strings,
// bare numbers, integer dict keys (tickets), nested dicts and lists. It never escapes anything, it
// repeats keys (`'_response'` several times in one reply) and it can leave a `, ` before a closing
// brace. This parser accepts exactly that and nothing else; it never evaluates anything.
//
// What it accepts:
//   value   := dict | list | string | number | None | True | False
//   dict    := '{' [ key ':' value { ',' key ':' value } [','] ] '}'
//   key     := string | integer
//   list    := '[' [ value { ',' value } [','] ] ']'
//   string  := "'" chars "'"   (also "…": Python may print either)
//   number  := -?digits[.digits][e±digits]  (also nan / inf, which MQL's DoubleToString can print)
// Whitespace is allowed between tokens. Repeated keys are kept, in order.
//
// Strings: the EA puts order comments and account names between quotes without escaping them, so a
// comment such as `don't` arrives as 'don't'. A quote therefore ends a string only when what follows
// it (after spaces) is `,` `:` `}` `]` or the end of the text; any other quote is part of the string.
// Backslashes are kept as they are: the EA writes none of its own.

export type DwxValue = string | number | boolean | null | DwxValue[] | DwxDict;

/** A dict literal: its entries in order, repeated keys included. */
export class DwxDict {
  readonly entries: ReadonlyArray<readonly [string | number, DwxValue]>;
  constructor(entries: ReadonlyArray<readonly [string | number, DwxValue]>) {
    this.entries = entries;
  }
  /** The first value of `key` (keys compare as strings: 12345 and '12345' are one key). */
  get(key: string | number): DwxValue | undefined {
    const k = String(key);
    for (const [ek, v] of this.entries) if (String(ek) === k) return v;
    return undefined;
  }
  /** Every value of `key`, in order. */
  all(key: string | number): DwxValue[] {
    const k = String(key);
    return this.entries.filter(([ek]) => String(ek) === k).map(([, v]) => v);
  }
  has(key: string | number): boolean {
    return this.get(key) !== undefined;
  }
  get size(): number {
    return this.entries.length;
  }
}

export class DwxParseError extends Error {
  readonly position: number;
  constructor(message: string, position: number, text: string) {
    super(`${message} at character ${position + 1} (${describe(text, position)})`);
    this.name = 'DwxParseError';
    this.position = position;
  }
}

/** Replies larger than this are refused unread (a GET_OPEN_TRADES of 1,000 trades is ~300 KB). */
export const MAX_REPLY_CHARS = 8 * 1024 * 1024;
/** Deeper nesting than this is not something the EA writes. */
export const MAX_DEPTH = 32;

/** Parses one reply. Throws DwxParseError (and nothing else) on anything it does not accept. */
export function parseDwx(text: string): DwxValue {
  if (typeof text !== 'string') throw new DwxParseError('not a string', 0, '');
  if (text.length > MAX_REPLY_CHARS) throw new DwxParseError(`longer than ${MAX_REPLY_CHARS} characters`, 0, '');
  const p = new Parser(text);
  p.skipSpace();
  const v = p.value(0);
  p.skipSpace();
  if (!p.atEnd()) p.fail('unexpected text after the reply');
  return v;
}

/** parseDwx, for callers that need a dict (every EA reply is one). */
export function parseDwxDict(text: string): DwxDict {
  const v = parseDwx(text);
  if (!(v instanceof DwxDict)) throw new DwxParseError('the reply is not a dict', 0, text);
  return v;
}

const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const STRING_END = /[ \t\r\n]*(?:[,:}\]]|$)/y;

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(message: string): never {
    throw new DwxParseError(message, this.pos, this.text);
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  value(depth: number): DwxValue {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    const c = this.text[this.pos];
    if (c === undefined) this.fail('the reply ends where a value was expected');
    if (c === '{') return this.dict(depth + 1);
    if (c === '[') return this.list(depth + 1);
    if (c === "'" || c === '"') return this.string();
    if (c === '-' || c === '.' || (c >= '0' && c <= '9')) return this.number();
    WORD.lastIndex = this.pos;
    const m = WORD.exec(this.text);
    if (m) {
      const w = m[0];
      const known: Record<string, DwxValue> = { None: null, True: true, False: false, nan: Number.NaN, inf: Number.POSITIVE_INFINITY };
      if (Object.hasOwn(known, w)) {
        this.pos += w.length;
        return known[w]!;
      }
      this.fail(`unexpected word ${JSON.stringify(w.slice(0, 20))}`);
    }
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  dict(depth: number): DwxDict {
    this.pos++; // {
    const entries: Array<readonly [string | number, DwxValue]> = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return new DwxDict(entries);
    }
    for (;;) {
      this.skipSpace();
      const c = this.text[this.pos];
      let key: string | number;
      if (c === "'" || c === '"') key = this.string();
      else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
        const n = this.number();
        if (!Number.isInteger(n)) this.fail('a dict key that is a number must be an integer');
        key = n;
      } else this.fail(c === undefined ? 'the reply ends inside a dict' : `expected a key, found ${JSON.stringify(c)}`);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail('expected `:` after a key');
      this.pos++;
      this.skipSpace();
      entries.push([key, this.value(depth)]);
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === '}') {
        this.pos++;
        return new DwxDict(entries);
      }
      if (sep !== ',') this.fail(sep === undefined ? 'the reply ends inside a dict' : 'expected `,` or `}` in a dict');
      this.pos++;
      this.skipSpace();
      // The EA can leave `, ` before the closing brace.
      if (this.text[this.pos] === '}') {
        this.pos++;
        return new DwxDict(entries);
      }
    }
  }

  list(depth: number): DwxValue[] {
    this.pos++; // [
    const items: DwxValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value(depth));
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ']') {
        this.pos++;
        return items;
      }
      if (sep !== ',') this.fail(sep === undefined ? 'the reply ends inside a list' : 'expected `,` or `]` in a list');
      this.pos++;
      this.skipSpace();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return items;
      }
    }
  }

  string(): string {
    const quote = this.text[this.pos]!;
    const start = ++this.pos;
    const t = this.text;
    for (;;) {
      const i = t.indexOf(quote, this.pos);
      if (i < 0) {
        this.pos = t.length;
        this.fail('a string is not closed');
      }
      STRING_END.lastIndex = i + 1;
      if (STRING_END.test(t)) {
        this.pos = i + 1;
        return t.slice(start, i);
      }
      // A quote inside the text (an unescaped apostrophe in a comment): keep going.
      this.pos = i + 1;
    }
  }

  number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) {
      // `-nan`, `-inf`
      if (this.text.startsWith('-nan', this.pos)) {
        this.pos += 4;
        return Number.NaN;
      }
      if (this.text.startsWith('-inf', this.pos)) {
        this.pos += 4;
        return Number.NEGATIVE_INFINITY;
      }
      this.fail('expected a number');
    }
    this.pos += m[0].length;
    const next = this.text[this.pos];
    if (next !== undefined && /[A-Za-z0-9_.]/.test(next)) this.fail('a number runs into other characters');
    return Number(m[0]);
  }
}

/** A short, printable excerpt around `pos`, safe to put in a message. */
function describe(text: string, pos: number): string {
  if (text.length === 0) return 'empty reply';
  const from = Math.max(0, pos - 20);
  const excerpt = text.slice(from, pos + 20).replace(/[^\x20-\x7e]/g, '?');
  return `near ${JSON.stringify((from > 0 ? '…' : '') + excerpt + (pos + 20 < text.length ? '…' : ''))}`;
}

// ---- typed access --------------------------------------------------------------------------------

/** A value as a finite number: numbers, and strings that hold one (`'_response': '130'`). */
export function asNumber(v: DwxValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

export function asString(v: DwxValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asDict(v: DwxValue | undefined): DwxDict | undefined {
  return v instanceof DwxDict ? v : undefined;
}
