#!/usr/bin/env node
// Where a command's time goes: `node bench/profile.mjs` (after the build) runs `account`,
// `summary --json`, `trade --dry-run` and `--help` against a paper bridge (`mt4gw sim --synthetic 3`,
// 0 ms latency), each as whole processes like the bench, and prints per command:
// - wall-clock phases from in-process marks (bench/marks.cjs, runs without the profiler): Node's
//   start, the launcher, every chunk of dist/ (size, compile or cache, its top level), the first
//   request (connect, headers, body), and the end;
// - a CPU profile (`--cpu-prof`, 100 µs samples, in separate runs) summed by what the code is —
//   Node's start and built-in modules, V8 compiling, garbage collection, each library and each part
//   of src/ (through the source maps of dist/) — and by phase (config, bridge schemas, output),
//   counting a sample for a phase when a frame of it is on the stack.
// Warm-up runs first, so the config and code caches are as on a desk. Medians over the runs.
//
//   node bench/profile.mjs [--runs 5] [--only account,summary,trade,help] [--bin path/to/mt4gw.js] [--json out.json]
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NODE, ROOT, createHarness, median, startSim } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('--runs', '5'));
const BIN = path.resolve(opt('--bin', path.join(ROOT, 'bin', 'mt4gw.js')));
const ONLY = opt('--only', 'account,summary,trade,help').split(',');
const JSON_OUT = opt('--json', undefined);
const MARKS = path.join(ROOT, 'bench', 'marks.cjs');

const h = createHarness();
const stateEnv = (extra = {}) => h.env({ MT4GW_STATE_DIR: h.dir('state'), ...extra });

function run(argv, extraNode = [], env = stateEnv()) {
  const t0 = performance.now();
  const r = spawnSync(NODE, [...extraNode, BIN, ...argv], { env, cwd: h.root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`mt4gw ${argv.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 600)}`);
  return wall;
}

// ───────────────────────────── source attribution ─────────────────────────────

let SourceMapConsumer;
try {
  ({ SourceMapConsumer } = await import('source-map-js'));
} catch {
  SourceMapConsumer = undefined; // attribution by chunk file only
}
const maps = new Map();
function originOf(url, line, column) {
  if (!url.includes(`${path.sep}dist${path.sep}`)) return undefined;
  const file = url.replace(/^file:\/\//, '');
  if (!maps.has(file)) {
    let consumer = null;
    try {
      if (SourceMapConsumer) consumer = new SourceMapConsumer(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {}
    maps.set(file, consumer);
  }
  const c = maps.get(file);
  if (!c) return `dist/${path.basename(file)}`;
  const pos = c.originalPositionFor({ line: line + 1, column: Math.max(0, column) });
  return pos.source ? pos.source.replace(/^(\.\.\/)+/, '') : `dist/${path.basename(file)}`;
}

const GLUE = 'esbuild module glue (__commonJS, __toESM, …)';
const LAUNCHER = 'launcher (bin/mt4gw.js, dist/boot.js)';

/** What a frame is: a library, a part of src/, or a piece of Node and V8 (undefined: Node's own JavaScript). */
function groupOf(frame) {
  const { functionName: fn, url, lineNumber, columnNumber } = frame;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle (waiting on I/O)';
  if (fn === '(program)' || fn === '(root)') return 'V8/Node native, no JS on the stack';
  if (url.startsWith('wasm') || fn.startsWith('wasm-') || fn.includes('JSToWasm')) return 'undici: llhttp (wasm)';
  if (url.endsWith('/bin/mt4gw.js') || url.endsWith('/dist/boot.js')) return LAUNCHER;
  const src = originOf(url, lineNumber, columnNumber);
  if (src) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(src);
    if (m) return m[1];
    const s = /^src\/([^/]+)(?:\/([^/]+))?/.exec(src);
    if (s) return s[2] ? `src/${s[1]}/` : `src/${s[1]}`;
    if (/mt4gw-build-|^dist\//.test(src)) return GLUE;
    return src;
  }
  return undefined;
}

/** Self time of Node's own code, named by what it does (`up`: the frames below it, nearest first). */
function nodeWork(frame, up) {
  const fn = frame.functionName;
  const loadingBuiltin = (f) => f.functionName === 'compileForInternalLoader' || f.functionName === 'requireBuiltin';
  if (loadingBuiltin(frame) || up.slice(0, 3).some(loadingBuiltin)) return 'loading built-in modules';
  if (frame.url === 'node:vm' && (fn === 'Script' || fn === 'createCachedData')) return 'vm.Script: compile / code cache';
  if (fn === 'compileFunction' || fn === 'compileSourceTextModule' || fn === 'compileForPublicLoader' || fn === 'wrapSafe')
    return 'compiling (Node loaders)';
  return 'runtime';
}

/** Phases counted by stack: a sample belongs to the phase when any frame of the stack is in it. */
const PHASES = [
  ['config (locate, cache, load)', (s) => s.startsWith('src/config/') || s === 'src/commands/context.ts#loadConfigCached'],
  ['bridge schemas (zod, build + parse)', (s) => s === 'src/bridge/schemas.ts' || s.startsWith('node_modules/zod/')],
  ['output (tables, format, JSON)', (s) => s.startsWith('src/output/') || /node_modules\/(cli-table3|@colors|string-width|chalk)/.test(s)],
  ['commander (program, parse, help)', (s) => s.startsWith('node_modules/commander/') || s === 'src/cli.ts'],
  ['undici (JS)', (s) => s.startsWith('node_modules/undici/')],
];

function analyse(profileFile) {
  const p = JSON.parse(readFileSync(profileFile, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sourceOf = new Map();
  const frameSource = (n) => {
    if (!sourceOf.has(n.id)) {
      const f = n.callFrame;
      let s = originOf(f.url, f.lineNumber, f.columnNumber) ?? '';
      if (s === 'src/commands/context.ts' && f.functionName === 'loadConfigCached') s += '#loadConfigCached';
      sourceOf.set(n.id, s);
    }
    return sourceOf.get(n.id);
  };
  const self = {};
  const phase = Object.fromEntries(PHASES.map(([name]) => [name, 0]));
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000; // the time until the next sample belongs to this one
    const leaf = byId.get(p.samples[i]);
    // Node's own code is charged to the nearest frame of ours below it ("undici → Node: loading
    // built-in modules"); with none, it is Node starting or ending the process.
    // Loading a chunk (vm.Script) is charged to itself, not to whoever required the chunk.
    let g = groupOf(leaf.callFrame);
    if (g === undefined) {
      const up = [];
      for (let id = parent.get(leaf.id); id !== undefined && up.length < 3; id = parent.get(id)) up.push(byId.get(id).callFrame);
      const work = nodeWork(leaf.callFrame, up);
      let owner;
      if (!work.startsWith('vm.Script'))
        for (let id = parent.get(leaf.id); id !== undefined && owner === undefined; id = parent.get(id)) {
          owner = groupOf(byId.get(id).callFrame);
          if (owner === GLUE || owner === LAUNCHER)
            owner = undefined; // look further down: who asked
          else if (owner?.startsWith('V8/Node native')) break;
        }
      if (owner?.startsWith('V8/Node native')) owner = undefined;
      const alone = owner || work.startsWith('vm.Script') ? '' : ' (start-up, exit, the launcher)';
      g = `${owner ? `${owner} → ` : ''}Node: ${work}${alone}`;
    }
    self[g] = (self[g] ?? 0) + dt;
    const seen = new Set();
    for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
      const s = frameSource(byId.get(id));
      for (const [name, test] of PHASES) if (!seen.has(name) && test(s)) seen.add(name);
    }
    for (const name of seen) phase[name] += dt;
  }
  return { self, phase, total: (p.endTime - p.startTime) / 1000 };
}

// ───────────────────────────── runs ─────────────────────────────

const sim = await startSim(h, BIN, 'p3', 3);
const quote = JSON.parse(
  spawnSync(NODE, [BIN, '-c', sim.config, '--json', 'tick', 'agent_1', 'EURUSD'], { env: stateEnv(), encoding: 'utf8' }).stdout,
);
const sl = (Math.round((quote.bid - 0.003) * 1e5) / 1e5).toFixed(5);
const COMMANDS = {
  account: ['-c', sim.config, 'account', 'agent_1'],
  summary: ['-c', sim.config, 'summary', '--json'],
  trade: ['-c', sim.config, 'trade', 'agent_1', 'buy', 'EURUSD', '0.01', '--sl', sl, '--dry-run'],
  help: ['--help'],
};

const results = {};
// The floor: `node -e 0`, profiled the same way.
const baseProf = h.freshDir('prof-node');
for (let i = 0; i < RUNS; i++)
  spawnSync(NODE, ['--cpu-prof', '--cpu-prof-dir', baseProf, '--cpu-prof-interval', '100', '-e', '0'], { env: stateEnv() });
const baseCpu = median(
  readdirSync(baseProf)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => analyse(path.join(baseProf, f)).total),
);
const wallNode = [];
for (let i = 0; i < RUNS + 1; i++) {
  const t0 = performance.now();
  spawnSync(NODE, ['-e', '0'], { env: stateEnv() });
  if (i) wallNode.push(performance.now() - t0);
}

for (const name of ONLY) {
  const argv = COMMANDS[name];
  if (!argv) throw new Error(`no command "${name}" (${Object.keys(COMMANDS).join(', ')})`);
  for (let i = 0; i < 2; i++) run(argv); // warm: config cache, code cache
  const marks = [];
  const walls = [];
  for (let i = 0; i < RUNS; i++) {
    const out = h.tmpFile('marks');
    walls.push(run(argv, ['--require', MARKS], stateEnv({ MT4GW_MARKS_OUT: out })));
    marks.push(JSON.parse(readFileSync(out, 'utf8')));
  }
  const profDir = h.freshDir('prof');
  run(argv, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '100']); // the profiler's own flags, warm
  for (const f of readdirSync(profDir)) rmSync(path.join(profDir, f));
  for (let i = 0; i < RUNS; i++) run(argv, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '100']);
  const profiles = readdirSync(profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => analyse(path.join(profDir, f)));
  results[name] = summarise(argv, walls, marks, profiles);
}

function summarise(argv, walls, marks, profiles) {
  const med = (f) => median(marks.map(f).filter(Number.isFinite));
  const first = (m) => m.requests[0];
  const chunks = {};
  for (const m of marks) {
    const t = m.boot?.timings ?? [];
    // A chunk's top level includes the chunks it requires (their compile and top level): take them off.
    const inside = (o, c) => o !== c && o.start >= c.start && o.end <= c.end;
    for (const c of t) {
      const direct = t.filter((o) => inside(o, c) && !t.some((x) => x !== c && inside(o, x) && inside(x, c)));
      const selfRun = c.end - c.start - direct.reduce((s, o) => s + o.compileMs + (o.end - o.start), 0);
      chunks[c.name] ??= { bytes: c.bytes, cached: 0, compile: [], run: [] };
      chunks[c.name].compile.push(c.compileMs);
      chunks[c.name].run.push(selfRun);
      if (m.boot.cached.includes(c.name)) chunks[c.name].cached++;
    }
  }
  const firstChunk = (m) => m.boot?.timings?.[0]?.start;
  // A group missing from a profile counts 0 there.
  const collect = (key) => {
    const names = new Set(profiles.flatMap((p) => Object.keys(p[key])));
    return Object.fromEntries([...names].map((g) => [g, profiles.map((p) => p[key][g] ?? 0)]));
  };
  const groups = collect('self');
  const phases = collect('phase');
  return {
    argv,
    wall: median(walls),
    node_e_0: median(wallNode),
    marks: {
      'Node start, until the preload (process start → first JS of ours)': med((m) => m.preload),
      'launcher + dist/boot.js, until cli.js starts loading': med((m) => firstChunk(m) - m.preload),
      'chunks: compile or deserialise (sum)': med((m) => (m.boot?.timings ?? []).reduce((s, c) => s + c.compileMs, 0)),
      'first request: created → connected': med((m) => first(m) && first(m).connected - first(m).create),
      'first request: connected → headers': med((m) => first(m) && first(m).headers - first(m).connected),
      'first request: headers → body done': med((m) => first(m) && first(m).done - first(m).headers),
      'start of cli.js → first request created': med((m) => first(m) && first(m).create - firstChunk(m)),
      'last request done → exit event': med((m) => m.requests.length && m.exit - Math.max(...m.requests.map((r) => r.done ?? r.create))),
      'exit event (in-process end)': med((m) => m.exit),
      requests: med((m) => m.requests.length),
    },
    chunks: Object.fromEntries(
      Object.entries(chunks).map(([n, c]) => [
        n,
        { kib: c.bytes / 1024, cached: `${c.cached}/${marks.length}`, compile_ms: median(c.compile), top_level_ms: median(c.run) },
      ]),
    ),
    cpu_total_ms: median(profiles.map((p) => p.total)),
    cpu_self_ms: Object.fromEntries(
      Object.entries(groups)
        .map(([g, xs]) => [g, median(xs)])
        .sort((a, b) => b[1] - a[1]),
    ),
    cpu_phase_ms: Object.fromEntries(Object.entries(phases).map(([g, xs]) => [g, median(xs)])),
  };
}

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
for (const r of Object.values(results)) {
  const lines = [`\n## mt4gw ${r.argv.filter((a) => !a.startsWith('/') && !a.startsWith(h.root)).join(' ')}`];
  lines.push(
    `wall ${f1(r.wall)} ms (node -e 0: ${f1(r.node_e_0)} ms, ${(r.wall / r.node_e_0).toFixed(2)}×); CPU profile ${f1(r.cpu_total_ms)} ms (node -e 0: ${f1(baseCpu)} ms)`,
  );
  lines.push('\n| mark | ms |\n|---|---:|');
  for (const [k, v] of Object.entries(r.marks))
    if (Number.isFinite(v) && (k !== 'requests' || v)) lines.push(`| ${k} | ${k === 'requests' ? v : f1(v)} |`);
  lines.push('\n| chunk | KiB | from cache | compile ms | top level ms |\n|---|---:|:-:|---:|---:|');
  for (const [n, c] of Object.entries(r.chunks))
    lines.push(`| ${n} | ${c.kib.toFixed(0)} | ${c.cached} | ${f1(c.compile_ms)} | ${f1(c.top_level_ms)} |`);
  lines.push('\n| CPU, by what runs (self time) | ms |\n|---|---:|');
  for (const [g, ms] of Object.entries(r.cpu_self_ms)) if (ms >= 0.3) lines.push(`| ${g} | ${f1(ms)} |`);
  lines.push('\n| CPU, by phase (on the stack) | ms |\n|---|---:|');
  for (const [g, ms] of Object.entries(r.cpu_phase_ms)) lines.push(`| ${g} | ${f1(ms)} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
if (JSON_OUT) writeFileSync(JSON_OUT, `${JSON.stringify(results, null, 2)}\n`);
await h.stopChildren();
h.cleanup();
process.exit(0);
