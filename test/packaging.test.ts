// Packaging, for real: `npm pack` the project, install the tarball globally into a temporary
// prefix with no registry reachable (offline, empty cache, registry on a dead local port), then run
// the installed binary: --version, `sim` and `summary` against it, `help <command>`. Also: the
// tarball ships only what is needed, and the bundle imports nothing but Node built-ins (every
// library is bundled by esbuild, so the package needs no runtime dependency).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv } from './helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mt4gw-pack-'));
const prefix = path.join(tmp, 'prefix');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** npm with its own empty cache and no reachable registry: anything it would fetch fails fast. */
function npm(args: string[], timeoutMs = 120_000) {
  return spawnSync(
    NPM,
    [...args, '--cache', path.join(tmp, 'cache'), '--registry', 'http://127.0.0.1:9/', '--no-audit', '--no-fund', '--no-update-notifier'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { ...process.env, npm_config_loglevel: 'error' },
    },
  );
}

let tarball = '';
let packed: { path: string }[] = [];

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js')))
    throw new Error('dist/ is missing: run `node scripts/build.mjs` (npm test does it first)');
  // --ignore-scripts: dist/ is already built (pretest), and rebuilding would pull it from under
  // test files running in parallel. A plain `npm pack` builds it through `prepare`.
  const r = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp]);
  expect(r.status, r.stderr).toBe(0);
  const info = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(tmp, info[0]!.filename);
  packed = info[0]!.files;
}, 120_000);

describe('the tarball', () => {
  it('ships only what is needed: the binary, the bundle (no source maps), the config example and schema, docs', () => {
    const paths = packed.map((f) => f.path).sort();
    for (const needed of [
      'package.json',
      'README.md',
      'bin/mt4gw.js',
      'dist/cli.js',
      'agents.yml',
      'agents.schema.json',
      'docs/configuration.md',
    ]) {
      expect(paths).toContain(needed);
    }
    const allowed =
      /^(package\.json|README\.md|LICENSE(\.md)?|agents\.yml|agents\.schema\.json|bin\/mt4gw\.js|bin\/package\.json|dist\/[\w.-]+\.js|docs\/[\w.-]+\.md)$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    expect(fs.statSync(tarball).size).toBeLessThan(3 * 1024 * 1024);
  });

  it('the bundle imports only Node built-ins (or a declared optional module): nothing to install at run time', () => {
    const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
    const outside = new Set<string>();
    let seen = 0;
    for (const f of fs.readdirSync(path.join(ROOT, 'dist')).filter((x) => x.endsWith('.js'))) {
      const code = fs.readFileSync(path.join(ROOT, 'dist', f), 'utf8');
      // esbuild writes static imports one per line and dynamic ones as import("x") / require("x").
      const patterns = [
        /^(?:import|export)\s[^;]*?\sfrom\s*"([^"]+)";/gm,
        /^import\s*"([^"]+)";/gm,
        /\bimport\(\s*"([^"]+)"\s*\)/g,
        /\brequire\(\s*"([^"]+)"\s*\)/g,
      ];
      const specs = patterns.flatMap((re) => [...code.matchAll(re)].map((m) => m[1]!));
      seen += specs.length;
      for (const s of specs) {
        // node: specifiers are built-ins by definition (node:sqlite is one in newer Node, required lazily by undici).
        if (s.startsWith('.') || s.startsWith('node:') || isBuiltin(s)) continue;
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
        if (!declared.has(name)) outside.add(`${f}: ${s}`);
      }
    }
    expect(seen).toBeGreaterThan(20);
    expect([...outside]).toEqual([]);
  });

  it('declares no required runtime dependency (everything is bundled; a native module belongs in optionalDependencies, loaded lazily)', () => {
    expect(
      Object.keys(pkg.dependencies ?? {}),
      'move these to devDependencies (bundled) or optionalDependencies (native, imported lazily)',
    ).toEqual([]);
    expect(pkg.scripts.prepare).toMatch(/build/);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('installed globally from the tarball, offline', () => {
  let bin = '';
  let env: Record<string, string> = {};
  let config = '';

  beforeAll(async () => {
    const r = npm(['install', '--global', '--prefix', prefix, '--offline', '--ignore-scripts', tarball]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    bin = path.join(prefix, process.platform === 'win32' ? 'mt4gw.cmd' : 'bin/mt4gw');
    const home = path.join(tmp, 'home');
    fs.mkdirSync(home, { recursive: true });
    env = baseEnv({
      HOME: home,
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      MT4GW_STATE_DIR: path.join(home, 'state'),
      PKG_TOKEN_1: 'pkg-tok-1',
      PKG_TOKEN_2: 'pkg-tok-2',
    });
    const [p1, p2] = [await freePort(), await freePort()];
    config = path.join(home, 'agents.yml');
    const agent = (id: string, port: number, n: number, balance: number) =>
      `  ${id}:\n    mt4: {host: 127.0.0.1, port: ${port}, token: "\${PKG_TOKEN_${n}}", timeout_ms: 3000}\n    strategy: {pairs: [XAUUSD]}\n    risk: {initial_balance: ${balance}, max_risk_per_trade: 0.01, max_daily_loss: 0.05, max_positions: 1, lot_size: 0.01}\n`;
    fs.writeFileSync(config, `agents:\n${agent('agent_1', p1, 1, 200)}${agent('agent_2', p2, 2, 500)}`);
  }, 180_000);

  const run = (args: string[], timeoutMs = 20_000) => spawnSync(bin, args, { env, encoding: 'utf8', timeout: timeoutMs });

  it('installed nothing but itself, and runs: --version', () => {
    const installed = path.join(prefix, 'lib', 'node_modules', 'mt4gw');
    expect(fs.existsSync(path.join(installed, 'dist', 'cli.js'))).toBe(true);
    if (!pkg.optionalDependencies) expect(fs.existsSync(path.join(installed, 'node_modules'))).toBe(false);
    const r = run(['--version']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('`mt4gw sim` from the installed package, and `mt4gw summary` against it', async () => {
    const sim = spawn(bin, ['--config', config, 'sim'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sim.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    sim.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => sim.on('close', (code) => resolve(code)));
    const killer = setTimeout(() => sim.kill('SIGKILL'), 30_000);
    try {
      const end = Date.now() + 15_000;
      while (!out.includes('ready: 2 paper bridges')) {
        if (Date.now() > end || sim.exitCode !== null) throw new Error(`the sim did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = run(['--config', config, 'summary']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^agent_1\s+agent_1\s+online\s+200\.00/m);
      expect(r.stdout).toMatch(/^TOTAL\s+2\/2 online\s+700\.00/m);
      const j = run(['--config', config, '--json', 'summary']);
      expect(JSON.parse(j.stdout)).toMatchObject({ agents_online: 2, total_balance: 700 });
      const w = run(['--config', config, 'watch']);
      expect(w.status, w.stderr).toBe(0);
      expect(w.stdout).toMatch(/TOTAL\s+2\/2\s+700\.00/);
    } finally {
      sim.kill('SIGINT');
      const code = await exited;
      clearTimeout(killer);
      expect(code).toBe(0);
    }
  }, 60_000);

  it('`mt4gw help <command>` shows its examples; the shipped config and schema are there', () => {
    const r = run(['help', 'trade']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Examples:\n {2}\$ mt4gw trade agent_1 buy XAUUSD 0\.01 --sl 2640$/m);
    const installed = path.join(prefix, 'lib', 'node_modules', 'mt4gw');
    expect(fs.readFileSync(path.join(installed, 'agents.yml'), 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./agents.schema.json',
    );
    expect(fs.existsSync(path.join(installed, 'agents.schema.json'))).toBe(true);
    // config init points editors at the installed schema.
    const target = path.join(tmp, 'home', 'init', 'agents.yml');
    const init = run(['config', 'init', target]);
    expect(init.status, init.stderr).toBe(0);
    expect(fs.readFileSync(target, 'utf8').split('\n')[0]).toBe(
      `# yaml-language-server: $schema=${path.join(fs.realpathSync(installed), 'agents.schema.json')}`,
    );
  });
});
