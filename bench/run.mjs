#!/usr/bin/env node
// `npm run bench` (after the build): mt4gw against its baselines, each scenario as whole processes.
//
// Paper bridges (`mt4gw sim --synthetic`, with injected latency) run in their own processes; every
// measured command is a fresh process spawned from here. The variants of a scenario are
// interleaved run by run (A B A B …, the order rotating) so that machine noise hits them alike,
// the first runs are warm-ups, and medians are compared as ratios measured in the same run.
// Prints `scenario | mt4gw median | baseline median | ratio | target | ok` and writes
// bench/results.json (raw samples included). With --compare <git-ref>, that ref is built in a
// temporary git worktree and every scenario runs both builds in the same rounds: it prints both
// figures, their ratio (this / ref) with the spread of the per-round ratios, and both builds' ratios
// to the target's baseline. docs/performance.md explains every scenario.
//
//   node bench/run.mjs [--runs 15] [--warmup 3] [--quick] [--only start,floor,fanout,panic,signal,memory,pgorder]
//                      [--bin path/to/mt4gw.js] [--compare <git-ref>] [--out bench/results.json]
//                      [--budget 300] [--clean-env]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareRef } from './compare.mjs';
import { NODE, ROOT, RunFailed, createHarness, median, pairedRatios, quantile, startSim } from './lib.mjs';
import { SCENARIOS } from './scenarios.mjs';

// ───────────────────────────── options ─────────────────────────────

function parseArgs(argv) {
  const o = {
    runs: 15,
    warmup: 3,
    only: null,
    bin: path.join(ROOT, 'bin', 'mt4gw.js'),
    out: path.join(ROOT, 'bench', 'results.json'),
    budget: undefined,
    quick: false,
    cleanEnv: false,
    compare: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runs') o.runs = posInt(next(), a);
    else if (a === '--warmup') o.warmup = posInt(next(), a, 0);
    else if (a === '--only') o.only = new Set(next().split(','));
    else if (a === '--bin') o.bin = path.resolve(next());
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--budget') o.budget = posInt(next(), a);
    else if (a === '--compare') o.compare = next();
    else if (a === '--quick') o.quick = true;
    else if (a === '--clean-env') o.cleanEnv = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        `${readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(1, 17)
          .map((l) => l.replace(/^\/\/ ?/, ''))
          .join('\n')}\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.only)
    for (const name of o.only)
      if (!(name in SCENARIOS)) throw new Error(`--only: no scenario "${name}" (${Object.keys(SCENARIOS).join(', ')})`);
  if (o.quick) {
    o.runs = Math.min(o.runs, 5);
    o.warmup = Math.min(o.warmup, 1);
  }
  // Two builds take twice the rounds' time.
  o.budget ??= o.compare ? 600 : 300;
  o.rounds = { runs: o.runs, warmup: o.warmup };
  return o;
}

function posInt(v, flag, min = 1) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be a whole number >= ${min}`);
  return n;
}

const log = (m) => process.stderr.write(`${m}\n`);

// ───────────────────────────── rows ─────────────────────────────

/** The figures of one build in one row: medians, the target ratio, the median of per-round ratios. */
function figures(row, b) {
  const { mt4gw: m, baseline: base } = row.builds[b];
  const mMed = median(m);
  const bMed = typeof base === 'number' ? base : median(base);
  const ratio = mMed / bMed;
  return {
    mt4gw_median: mMed,
    baseline_median: bMed,
    ratio,
    ratio_paired: median(pairedRatios(m, base)),
    ok: ratio <= row.target,
    n: m.length,
  };
}

const fmtValue = (unit, x) => (unit === 'KiB' ? `${(x / 1024).toFixed(1)} MiB` : `${x.toFixed(1)} ms`);

function renderTable(head, body, { left = [0] } = {}) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.filter((b) => b.length > 2).map((b) => String(b[i] ?? '').length)));
  const line = (cells) => cells.map((c, i) => (left.includes(i) ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ');
  return [
    line(head),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...body.map((b) => (b.length === 2 ? `${String(b[0]).padEnd(widths[0])} | ${b[1]}` : line(b))),
  ]
    .map((l) => l.trimEnd())
    .join('\n');
}

const oneLine = (s) => String(s).replace(/\s*\n\s*/g, ' / ');

/** The table of one build (the only one, or this one). */
function singleTable(rows, b) {
  const head = ['scenario', 'mt4gw median', 'baseline median', 'ratio', 'target', 'ok'];
  const body = rows.map((r) => {
    if (r.skip) return [r.scenario, oneLine(r.skip)];
    const f = r.figures[b];
    return [
      r.scenario,
      fmtValue(r.unit, f.mt4gw_median),
      fmtValue(r.unit, f.baseline_median),
      `${f.ratio.toFixed(2)}×`,
      `≤ ${r.target}×`,
      f.ok ? 'yes' : 'NO',
    ];
  });
  return renderTable(head, body, { left: [0, 5] });
}

/** Both builds side by side: figures, this/ref with the spread of per-round ratios, target ratios. */
function compareTable(rows, refLabel) {
  const head = ['scenario', refLabel, 'this build', 'this/ref (p25–p75 of rounds)', 'vs baseline: ref → this', 'target'];
  const body = rows.map((r) => {
    if (r.skip) return [r.scenario, oneLine(r.skip)];
    const [o, n] = [r.figures.ref, r.figures.this];
    const c = r.change;
    const yes = (f) => (f.ok ? 'yes' : 'no');
    return [
      r.scenario,
      fmtValue(r.unit, o.mt4gw_median),
      fmtValue(r.unit, n.mt4gw_median),
      `${c.ratio.toFixed(2)}× (${c.p25.toFixed(2)}–${c.p75.toFixed(2)})`,
      `${o.ratio.toFixed(2)}× → ${n.ratio.toFixed(2)}×`,
      `≤ ${r.target}× (${yes(o)} → ${yes(n)})`,
    ];
  });
  return renderTable(head, body, { left: [0, 5] });
}

// ───────────────────────────── main ─────────────────────────────

async function main(opts, h) {
  if (!existsSync(opts.bin)) throw new Error(`${opts.bin} not found`);
  if (!existsSync(path.join(path.dirname(opts.bin), '..', 'dist', 'cli.js')) && opts.bin === path.join(ROOT, 'bin', 'mt4gw.js')) {
    throw new Error('dist/cli.js is missing: run `npm run bench` (it builds first) or `node scripts/build.mjs`');
  }
  const started = performance.now();
  const builds = [{ id: 'this', label: 'this build', bin: opts.bin, home: 'home' }];
  let ref;
  if (opts.compare) {
    ref = prepareRef(ROOT, opts.compare, log);
    h.onCleanup(ref.remove);
    log(`compare: ${ref.ref} (${ref.sha.slice(0, 10)}) built; ${ref.deps}`);
    builds[0].home = 'home-this';
    builds.unshift({ id: 'ref', label: `${opts.compare} (${ref.sha.slice(0, 7)})`, bin: ref.bin, home: 'home-ref' });
  }
  h.deadline = performance.now() + opts.budget * 1000;
  const load0 = os.loadavg();
  log(
    `mt4gw bench: node ${process.version}, ${os.cpus().length} CPUs, load ${load0.map((x) => x.toFixed(2)).join(' ')}; ${opts.runs} runs after ${opts.warmup} warm-ups${opts.quick ? ' (quick)' : ''}${ref ? `; comparing with ${ref.ref}` : ''}`,
  );

  const wants = (name) => opts.only === null || opts.only.has(name);
  const need = (names) => names.some(wants);
  const [s3, s50, p10, sig10] = await Promise.all([
    need(['start', 'floor']) ? startSim(h, opts.bin, 's3', 3) : undefined,
    need(['fanout', 'memory']) ? startSim(h, opts.bin, 's50', 50, ['--latency', '50']) : undefined,
    need(['panic']) ? startSim(h, opts.bin, 'p10', 10, ['--trade-latency', '20']) : undefined,
    need(['signal']) ? startSim(h, opts.bin, 'sig10', 10, ['--latency', '20']) : undefined,
  ]);
  const hasSignal = (b) =>
    spawnSync(NODE, [b.bin, 'signal', '--help'], { env: h.env({}, b.home), stdio: 'ignore', timeout: 30_000 }).status === 0;
  const ctx = { h, opts, builds, s3, s50, p10, sig10 };
  const rows = [];
  const samples = {};

  for (const [name, fn] of Object.entries(SCENARIOS)) {
    if (!wants(name)) continue;
    if (h.overBudget()) {
      rows.push({ id: name, scenario: name, skip: `not measured: the time budget (${opts.budget} s) ran out` });
      continue;
    }
    if (name === 'signal' && !builds.every(hasSignal)) {
      rows.push({
        id: 'signal',
        scenario: 'signal EURUSD long to 10 agents @20 ms vs 1 agent',
        skip: 'not measured: no signal command (`mt4gw signal --help` failed)',
      });
      continue;
    }
    const t = performance.now();
    log(`… ${name}`);
    try {
      const r = await fn(ctx);
      if (r.skip) rows.push({ id: r.id, scenario: r.id, skip: r.skip });
      else {
        samples[name] = r.samples;
        rows.push(...r.rows);
      }
    } catch (e) {
      if (!(e instanceof RunFailed)) throw e;
      rows.push({ id: name, scenario: name, skip: `failed: ${e.message}`, failed: true });
    }
    log(`  ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  for (const r of rows) {
    if (r.skip) continue;
    r.figures = Object.fromEntries(builds.map((b) => [b.id, figures(r, b.id)]));
    if (ref) {
      const per = pairedRatios(r.builds.this.mt4gw, r.builds.ref.mt4gw);
      r.change = {
        ratio: r.figures.this.mt4gw_median / r.figures.ref.mt4gw_median,
        p25: quantile(per, 0.25),
        p75: quantile(per, 0.75),
        n: per.length,
      };
    }
  }

  const load1 = os.loadavg();
  const measured = rows.filter((r) => !r.skip);
  process.stdout.write(`\n${ref ? compareTable(rows, builds[0].label) : singleTable(rows, 'this')}\n\n`);
  if (measured.length) {
    const paired = (b) => measured.map((r) => `${r.id} ${r.figures[b].ratio_paired.toFixed(2)}×`).join(', ');
    if (ref) process.stdout.write(`Median of per-round ratios to the baseline — ref: ${paired('ref')}\n  this: ${paired('this')}\n`);
    else process.stdout.write(`Median of per-round ratios (a check on noise): ${paired('this')}\n`);
  }
  for (const r of measured) if (r.note) process.stdout.write(`Note, ${r.id}: ${r.note}\n`);
  const count = (b) => {
    const missed = measured.filter((r) => !r.figures[b].ok).length;
    return `${measured.length - missed} of ${rows.length} targets met${missed ? `, ${missed} missed` : ''}`;
  };
  const unmeasured = rows.length - measured.length;
  process.stdout.write(
    `${ref ? `ref: ${count('ref')}; this build: ${count('this')}` : count('this')}${unmeasured ? `, ${unmeasured} not measured` : ''}. ` +
      `Load average ${load0[0].toFixed(2)} → ${load1[0].toFixed(2)} on ${os.cpus().length} CPUs; ${((performance.now() - started) / 1000).toFixed(0)} s. Results: ${path.relative(process.cwd(), opts.out) || opts.out}\n`,
  );
  const plain = (r) => {
    if (r.skip) return { id: r.id, scenario: r.scenario, ratio: null, target: r.target ?? null, ok: null, note: r.skip };
    const single = {
      id: r.id,
      scenario: r.scenario,
      target: r.target,
      unit: r.unit,
      ...r.figures.this,
      ...(r.note ? { note: r.note } : {}),
    };
    return ref ? { ...single, ref: r.figures.ref, change: r.change } : single;
  };
  writeFileSync(
    opts.out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        cpus: os.cpus().length,
        cpu_model: os.cpus()[0]?.model ?? null,
        loadavg_start: load0,
        loadavg_end: load1,
        runs: opts.runs,
        warmup: opts.warmup,
        env: opts.cleanEnv ? 'clean (PATH only)' : 'inherited (less MT4GW_*, XDG_*, colour)',
        node_extra_ca_certs: !opts.cleanEnv && Boolean(process.env.NODE_EXTRA_CA_CERTS),
        compare: ref ? { ref: ref.ref, sha: ref.sha, deps: ref.deps } : null,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        rows: rows.map(plain),
        samples,
      },
      null,
      2,
    )}\n`,
  );
  // Exit 0 even when targets are missed: the table is the result. 1 only when the bench itself broke.
  return rows.some((r) => r.failed) ? 1 : 0;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  log(`bench: ${e.message}`);
  process.exit(2);
}
const h = createHarness({ cleanEnv: opts.cleanEnv });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
main(opts, h).then(
  async (code) => {
    await h.stopChildren();
    h.cleanup();
    process.exit(code);
  },
  async (e) => {
    log(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    await h.stopChildren();
    h.cleanup();
    process.exit(1);
  },
);
