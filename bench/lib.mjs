// The bench's machinery, shared by every scenario: the measured environment, timed whole-process
// runs, peak RSS, interleaved rounds, statistics, and the paper bridges (`mt4gw sim`) the
// scenarios talk to. bench/run.mjs decides what to run; bench/scenarios.mjs what a scenario is.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const NODE = process.execPath;

export class RunFailed extends Error {}

/**
 * One bench run's scratch space and settings. `cleanEnv`: measured processes get only PATH.
 * Everything it creates lives under `root`, removed by `cleanup()` (also on exit).
 */
export function createHarness({ cleanEnv = false } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mt4gw-bench-'));
  const children = new Set();
  const cleanups = [];
  let count = 0;
  let cleaned = false;
  const h = {
    root,
    children,
    /** When rounds stop being started (performance.now() ms); set once the builds are ready. */
    deadline: Infinity,
    overBudget: () => performance.now() > h.deadline,
    /** A new directory under the scratch root. */
    freshDir: (prefix) => mkdtempSync(path.join(root, `${prefix}-${count++}-`)),
    /** A directory under the scratch root that is the same on every call with this name. */
    dir: (name) => {
      const d = path.join(root, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    tmpFile: (prefix) => path.join(root, `${prefix}-${count++}`),
    onCleanup: (fn) => cleanups.push(fn),
    /** Stops the paper bridges and waits until they have exited (they write their caches as they go). */
    async stopChildren(timeoutMs = 5000) {
      const running = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
      await Promise.all(
        running.map(
          (c) =>
            new Promise((resolve) => {
              const timer = setTimeout(() => {
                c.kill('SIGKILL');
                resolve();
              }, timeoutMs);
              c.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
    },
    cleanup() {
      if (cleaned) return;
      cleaned = true;
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      for (const fn of cleanups.reverse()) {
        try {
          fn();
        } catch (e) {
          process.stderr.write(`bench cleanup: ${e instanceof Error ? e.message : String(e)}\n`);
        }
      }
      rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    },
    /**
     * The environment of every measured process (baselines included): the caller's, less whatever
     * would steer mt4gw (MT4GW_*, XDG_*, colour), with a scratch HOME. Node's own settings such as
     * NODE_EXTRA_CA_CERTS stay, since a user's mt4gw pays for them too; `cleanEnv` drops
     * everything but PATH. `home` names the scratch HOME (one per build being measured, so that
     * two builds never share, and thrash, a state directory).
     */
    env(extra = {}, home = 'home') {
      const env = { HOME: path.join(root, home), CI: 'true' };
      if (cleanEnv) env.PATH = process.env.PATH ?? '/usr/bin:/bin';
      else {
        for (const [k, v] of Object.entries(process.env)) {
          if (v === undefined || /^(MT4GW_|XDG_)/.test(k) || ['NO_COLOR', 'FORCE_COLOR', 'HOME', 'TERM'].includes(k)) continue;
          env[k] = v;
        }
      }
      return { ...env, ...extra };
    },
  };
  process.on('exit', () => h.cleanup());
  return h;
}

// ───────────────────────────── statistics ─────────────────────────────

/** The q-quantile (0..1) by linear interpolation between order statistics. */
export function quantile(xs, q) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}

export const median = (xs) => quantile(xs, 0.5);

/** Per-round ratios a[i] / b[i] (b a number: the same divisor for every round). */
export const pairedRatios = (a, b) => a.map((x, i) => x / (typeof b === 'number' ? b : b[i])).filter(Number.isFinite);

// ───────────────────────────── processes ─────────────────────────────

/** argv for display: node, mt4gw binaries and scratch paths shortened. */
export function shortArgv(h, argv) {
  return argv
    .map((a) =>
      a === NODE
        ? 'node'
        : a.endsWith(`${path.sep}bin${path.sep}mt4gw.js`)
          ? 'mt4gw'
          : a.startsWith(h.root)
            ? `$TMP/${path.basename(a)}`
            : a,
    )
    .join(' ');
}

/** Runs argv to completion; returns wall time in ms. Throws when the exit code is not the expected one. */
export function timed(h, argv, { env = h.env(), expect = 0, timeoutMs = 60_000 } = {}) {
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), {
    env,
    cwd: h.root,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.error) throw new RunFailed(`${shortArgv(h, argv)}: ${r.error.message}`);
  if (r.status !== expect) {
    const err = String(r.stderr).trim().split('\n').slice(-6).join('\n  ');
    throw new RunFailed(`${shortArgv(h, argv)} exited ${r.status ?? r.signal} (expected ${expect})${err ? `:\n  ${err}` : ''}`);
  }
  return ms;
}

export const TIME = ['/usr/bin/time', '/bin/time'].find((p) => existsSync(p));

/** Peak RSS of argv in KiB, via GNU time (`-f %M`); undefined when it is not available. */
export function peakRss(h, argv, { env = h.env(), expect = 0 } = {}) {
  if (!TIME) return undefined;
  const out = h.tmpFile('rss');
  const r = spawnSync(TIME, ['-f', '%M', '-o', out, ...argv], {
    env,
    cwd: h.root,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== expect)
    throw new RunFailed(
      `${shortArgv(h, argv)} exited ${r.status ?? r.signal} (expected ${expect}): ${String(r.stderr).trim().split('\n').slice(-4).join(' / ')}`,
    );
  const kb = Number(readFileSync(out, 'utf8').trim().split('\n').pop());
  rmSync(out, { force: true });
  if (!Number.isFinite(kb) || kb <= 0) return undefined;
  return kb;
}

/**
 * Runs every variant `warmup + runs` times, interleaved (the order rotates every round), and keeps
 * the samples after the warm-ups. A variant's `before(round)` prepares its run and `after(round)`
 * ends every round; neither is timed. `measure(variant)` returns the sample.
 */
export async function interleave(h, variants, { runs, warmup, measure, after }) {
  const samples = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < warmup + runs; round++) {
    if (round >= warmup + 2 && h.overBudget()) break; // keep at least a couple of samples, then stop
    const order = variants.map((_, i) => variants[(i + round) % variants.length]);
    for (const v of order) {
      if (v.before) await v.before(round);
      const value = await measure(v);
      if (round >= warmup && value !== undefined) samples[v.name].push(value);
      if (v.afterEach) await v.afterEach(round);
    }
    if (after) await after(round);
  }
  return samples;
}

// ───────────────────────────── paper bridges ─────────────────────────────

/** Starts `mt4gw sim --synthetic n` in its own process; resolves once it serves, with its agents and config file. */
export function startSim(h, bin, name, n, simArgs = []) {
  const config = path.join(h.root, `${name}.yml`);
  const child = spawn(NODE, [bin, 'sim', '--synthetic', String(n), '--base-port', '0', '--write-config', config, '--json', ...simArgs], {
    env: h.env(),
    cwd: h.root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  h.children.add(child);
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`sim ${name} did not start within 30 s:\n${stderr}`)), 30_000);
    const fail = (e) => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(e);
    };
    const check = () => {
      const line = stdout.split('\n').find((l) => l.startsWith('['));
      if (!/^ready:/m.test(stderr) || !line || !stdout.includes('\n')) return;
      clearTimeout(timer);
      const agents = JSON.parse(line);
      resolve({ name, child, config, agents, yaml: readFileSync(config, 'utf8') });
    };
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      check();
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      check();
    });
    child.on('exit', (code, signal) => fail(new Error(`sim ${name} exited (${code ?? signal}) before it was ready:\n${stderr}`)));
  });
}

/** The agents.yml of a sim cut down to its first `count` agents (the blocks `--write-config` writes). */
export function subsetConfig(h, sim, count, name) {
  const out = [];
  let seen = 0;
  let keep = true;
  for (const line of sim.yaml.split('\n')) {
    if (/^ {2}[A-Za-z0-9_-]+:\s*$/.test(line)) keep = ++seen <= count;
    if (keep) out.push(line);
  }
  const file = path.join(h.root, `${name}.yml`);
  writeFileSync(file, out.join('\n'));
  return file;
}

/** One JSON request to a paper bridge (setting up and checking scenarios; never measured). */
export function request(agent, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: agent.host,
        port: agent.port,
        path: urlPath,
        method,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => (text += c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode, body: JSON.parse(text) });
          } catch {
            reject(new Error(`${method} ${urlPath} on ${agent.id}: not JSON (${res.statusCode})`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** Opens `count` positions on every agent by POST /trade buy, one at a time per terminal (it has one trade context). */
export async function fillPositions(agents, count) {
  await Promise.all(
    agents.map(async (a) => {
      const { body: open } = await request(a, 'GET', '/positions');
      for (let i = open.length; i < count; i++) {
        const r = await request(a, 'POST', '/trade', { action: 'buy', symbol: 'EURUSD', lots: 0.01, comment: 'bench fill' });
        if (!r.body.success) throw new Error(`fill ${a.id}: ${JSON.stringify(r.body)}`);
      }
    }),
  );
}

/** Runs argv (not measured) and throws with its stderr when it fails. */
export function runQuiet(h, argv, env) {
  const r = spawnSync(argv[0], argv.slice(1), { env, cwd: h.root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.status !== 0)
    throw new RunFailed(
      `${shortArgv(h, argv)} exited ${r.status ?? r.signal}: ${String(r.stderr).trim().split('\n').slice(-4).join(' / ')}`,
    );
  return String(r.stdout);
}
