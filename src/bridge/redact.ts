// A bridge may echo what it was sent — the Authorization header included — in any text it returns:
// a trade reply's message, an error body, even a comment. Every answer is scrubbed of the agent's
// secrets before anything else sees it, so no output, JSON or journal line can carry one.

export const REDACTED = '[redacted]';

/** `text` with every occurrence of each secret replaced. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0 && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** A copy of `value` (as JSON.parse returns it) with every string scrubbed; the same object when clean. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  const live = secrets.filter((s) => s.length > 0);
  if (live.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, live);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
