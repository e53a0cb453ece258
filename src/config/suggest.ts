// "Did you mean …?" for unknown keys: the closest known key by edit distance.

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions):
 * the number of single-character edits that turn `a` into `b`.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: two back (for transpositions), previous, current.
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      }
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] ?? Math.max(a.length, b.length);
}

/** Case, `_` and `-` do not count: `maxPositions`, `max-positions` and `MAX_POSITIONS` are all `max_positions`. */
function normalise(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, '');
}

/**
 * The candidate closest to `input`, or undefined when none is close enough to be a likely typo.
 * "Close enough": the same key spelled in another case/separator style, an abbreviation of at
 * least four characters, or at most about one edit per three characters.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const n = normalise(input);
  if (n.length === 0) return undefined;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const nc = normalise(c);
    let score: number;
    if (nc === n) score = 0;
    else if (n.length >= 4 && nc.startsWith(n)) score = 0.5;
    else {
      const d = editDistance(n, nc);
      const limit = Math.max(1, Math.floor(Math.max(n.length, nc.length) / 3));
      if (d > limit) continue;
      score = d;
    }
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
