// The validated-config cache: a hit only for the very same file, never for a changed or broken
// one, and token-file warnings recomputed on every run.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDesk, type Desk } from './helpers/desk.js';

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk();
});
afterAll(async () => {
  await desk?.close();
});

const CACHED = /config: .* \(validated earlier, unchanged\)/;

describe('config cache', () => {
  it('validates once, then reuses the result while the file is unchanged', async () => {
    const first = await desk.run(['-v', 'agents', '--json']);
    expect(first.code).toBe(0);
    expect(first.stderr).not.toMatch(CACHED);
    const second = await desk.run(['-v', 'agents', '--json']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(CACHED);
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
  });

  it('a changed file is validated again, and a broken one is reported, never served from the cache', async () => {
    const original = readFileSync(desk.configPath, 'utf8');
    try {
      writeFileSync(desk.configPath, original.replace('max_positions: 1', 'max_positions: 2'));
      const changed = await desk.run(['-v', 'agents', '--json']);
      expect(changed.stderr).not.toMatch(CACHED);
      expect(JSON.parse(changed.stdout)[0].max_positions).toBe(2);
      writeFileSync(desk.configPath, original.replace('max_positions: 1', 'max_positions: two'));
      const broken = await desk.run(['agents']);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toMatch(/max_positions/);
      writeFileSync(desk.configPath, original);
      const back = await desk.run(['-v', 'agents', '--json']);
      expect(back.code).toBe(0);
      expect(JSON.parse(back.stdout)[0].max_positions).toBe(1);
    } finally {
      writeFileSync(desk.configPath, original);
    }
  });

  it('recomputes the token-file permission warning on a cache hit', async () => {
    const tokenFile = join(desk.dir, 'a1.token');
    writeFileSync(tokenFile, desk.tokens.agent_1!);
    chmodSync(tokenFile, 0o600);
    const path = join(desk.dir, 'agents-tf.yml');
    writeFileSync(path, readFileSync(desk.configPath, 'utf8').replace('token: ${MT4GW_TEST_TOKEN_1}', `token_file: ${tokenFile}`));
    const quiet = await desk.run(['--config', path, '-v', 'agents']);
    expect(quiet.stderr).not.toMatch(/chmod 600/);
    chmodSync(tokenFile, 0o644);
    const loud = await desk.run(['--config', path, '-v', 'agents']);
    expect(loud.stderr).toMatch(CACHED);
    expect(loud.stderr).toMatch(/chmod 600/);
  });
});
