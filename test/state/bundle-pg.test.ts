// A files-only run pays nothing for the PostgreSQL store: in the built bundle, pg lives in a chunk
// that no static require reaches from the entry point, and it is loaded lazily (an import() turned
// into Promise.resolve().then(() => require(…)) by the build) only by the store selection
// (state/open.ts, once MT4GW_STATE_URL or a `state:` block is known) and the `mt4gw state` flows.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const read = (f: string) => fs.readFileSync(path.join(DIST, f), 'utf8');

/** Chunks a file requires at load time (a top-level `var x = require("./chunk")` or `require("./chunk");`). */
function staticRequires(file: string): string[] {
  return [...read(file).matchAll(/^(?:var \w+ = )?require\("\.\/([^"]+)"\);$/gm)].map((m) => m[1]!);
}

describe('the bundle', () => {
  it('keeps pg out of everything a files-only run loads at start', () => {
    const files = fs.readdirSync(DIST).filter((f) => f.endsWith('.js'));
    const pgChunks = files.filter((f) => /pg_advisory_lock|pg-pool|class Pool\b/.test(read(f)));
    expect(pgChunks.length).toBeGreaterThan(0);
    const reached = new Set<string>();
    const todo = ['cli.js'];
    while (todo.length) {
      const f = todo.pop()!;
      if (reached.has(f)) continue;
      reached.add(f);
      todo.push(...staticRequires(f));
    }
    expect(reached.size).toBeGreaterThan(1);
    for (const c of pgChunks) expect(reached.has(c), `${c} is loaded at every start`).toBe(false);
    // Who loads the pg chunks, and how: lazily, from the store selection and the state flows only.
    const importers = files.filter((f) => !pgChunks.includes(f) && pgChunks.some((c) => read(f).includes(`require("./${c}")`)));
    expect(importers.length).toBeGreaterThan(0);
    for (const f of importers) {
      expect(f).toMatch(/^(open|desk-state)-[A-Z0-9]+\.js$/);
      for (const c of pgChunks) if (read(f).includes(`require("./${c}")`)) expect(staticRequires(f)).not.toContain(c);
    }
    const open = files.find((f) => f.startsWith('open-'))!;
    expect(read(open)).toMatch(
      /if \(target === void 0\) return new [\w.]*FilesStore[\s\S]*?Promise\.resolve\(\)\.then\(\(\) => __toESM\(require\("\.\/store-/,
    );
  });
});
