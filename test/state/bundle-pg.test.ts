// A files-only run pays nothing for the PostgreSQL store: in the built bundle, pg lives in a chunk
// that no static import reaches from the entry point, and the one dynamic import of it sits in the
// store selection (state/open.ts), taken only when MT4GW_STATE_URL or a `state:` block is set.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const read = (f: string) => fs.readFileSync(path.join(DIST, f), 'utf8');

function staticImports(file: string): string[] {
  return [...read(file).matchAll(/^(?:import|export)\s[^;]*?\sfrom\s*"\.\/([^"]+)";|^import\s*"\.\/([^"]+)";/gm)].map((m) => (m[1] ?? m[2])!);
}

describe('the bundle', () => {
  it('keeps pg out of everything a files-only run loads statically', () => {
    const files = fs.readdirSync(DIST).filter((f) => f.endsWith('.js'));
    const pgChunks = files.filter((f) => /pg_advisory_lock|class Pool\b|pg-pool/.test(read(f)));
    expect(pgChunks.length).toBeGreaterThan(0);
    const reached = new Set<string>();
    const todo = ['cli.js'];
    while (todo.length) {
      const f = todo.pop()!;
      if (reached.has(f)) continue;
      reached.add(f);
      todo.push(...staticImports(f));
    }
    for (const c of pgChunks) expect(reached.has(c), `${c} is loaded at every start`).toBe(false);
    // Who imports the pg chunks dynamically: the store selection only (and the state command's flows).
    const importers = files.filter((f) => pgChunks.some((c) => read(f).includes(`import("./${c}")`)));
    expect(importers.length).toBeGreaterThan(0);
    for (const f of importers) expect(f).toMatch(/^(open|desk-state)-[A-Z0-9]+\.js$/);
    // The selection imports it only once a target is known.
    const open = files.find((f) => f.startsWith('open-'))!;
    expect(read(open)).toMatch(/if \(target === void 0\)[^]*?return new FilesStore[^]*?import\("\.\/store-/);
  });
});
