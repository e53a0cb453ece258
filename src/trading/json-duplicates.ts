// Duplicate keys in JSON text. JSON.parse keeps the last of `{"sl": 2600, "sl": 2700}` without a
// word, so a signal whose stop was written twice would be traded on one of them silently. This
// scanner walks the text once, keeping the keys of every open object, and reports each key given
// twice in one object with its path. Pure, no recursion (5000 levels deep is fine), linear in the
// text; meant for text JSON.parse has accepted, and harmless (never throws) on any other.

export interface DuplicateKey {
  /** The key as JSON.parse reads it (escapes decoded: "s\u006c" is "sl"). */
  key: string;
  /** Where: `sl`, `[1].sl`, `sl.price` — the object's path and the key. */
  path: string;
  /** Offset of the second occurrence in the text. */
  offset: number;
}

interface Frame {
  kind: 'object' | 'array';
  /** The path of this container, as printed. */
  path: string;
  keys: Set<string>;
  /** object: the next string is a key. */
  wantKey: boolean;
  /** object: the key whose value comes next. array: the index of the current item. */
  key: string;
  index: number;
}

/** `sl`, `[0]`, `a.b`, `["odd key"]`: a path segment as the signal errors print it. */
function join(base: string, seg: string | number): string {
  if (typeof seg === 'number') return `${base}[${seg}]`;
  const name = /^[A-Za-z_$][\w$-]*$/.test(seg) ? seg : JSON.stringify(seg);
  return base === '' ? name : `${base}.${name}`;
}

/** The offset just past the string starting at `start` (a `"`), or the text's end when unterminated. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22 /* " */) return i + 1;
  }
  return text.length;
}

function decodeKey(raw: string): string {
  if (!raw.includes('\\')) return raw.slice(1, -1);
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw;
  }
}

/** Every key given more than once in one object of the JSON text (at most `limit`), in text order. */
export function findDuplicateKeys(text: string, limit = 20): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: Frame[] = [];
  /** The path of the value that starts next. */
  const valuePath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.kind === 'object' ? join(top.path, top.key) : join(top.path, top.index);
  };
  for (let i = 0; i < text.length && found.length < limit; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    switch (c) {
      case '{':
      case '[':
        stack.push({ kind: c === '{' ? 'object' : 'array', path: valuePath(), keys: new Set(), wantKey: c === '{', key: '', index: 0 });
        break;
      case '}':
      case ']':
        stack.pop();
        break;
      case ',':
        if (top?.kind === 'object') top.wantKey = true;
        else if (top) top.index++;
        break;
      case '"': {
        const end = stringEnd(text, i);
        if (top?.kind === 'object' && top.wantKey) {
          const key = decodeKey(text.slice(i, end));
          if (top.keys.has(key)) found.push({ key, path: join(top.path, key), offset: i });
          else top.keys.add(key);
          top.key = key;
          top.wantKey = false;
        }
        i = end - 1;
        break;
      }
      // Whitespace, `:`, numbers, true, false and null: nothing to track.
    }
  }
  return found;
}
