// Helpers on the plain data the YAML becomes: safe own-property writes (keys such as `__proto__`),
// the deep merge of `defaults:` under each agent, copies and lookups by path.
import type { Seg } from './yaml-locator.js';

export type Plain = Record<string, unknown>;

export function isPlain(v: unknown): v is Plain {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Map) && !(v instanceof Set);
}

/** Own property set that is safe for keys such as `__proto__`. */
export function setOwn(o: Plain, key: string, value: unknown): void {
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

/** Copies a value tree so that fixes (account numbers) never touch objects shared through aliases. */
export function clonePlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clonePlain);
  if (isPlain(v)) {
    const out: Plain = {};
    for (const k of Object.keys(v)) setOwn(out, k, clonePlain(v[k]));
    return out;
  }
  return v;
}

/** The value at a path inside plain data. */
export function dig(v: unknown, rel: readonly Seg[]): unknown {
  let cur = v;
  for (const s of rel) {
    if (isPlain(cur)) cur = cur[String(s)];
    else if (Array.isArray(cur) && typeof s === 'number') cur = cur[s];
    else return undefined;
  }
  return cur;
}
