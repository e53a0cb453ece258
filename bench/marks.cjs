// Preloaded by bench/profile.mjs (`node --require bench/marks.cjs bin/mt4gw.js …`): in-process
// marks of one mt4gw run, written as JSON to $MT4GW_MARKS_OUT at exit. Nothing here changes what
// mt4gw does: it listens on undici's diagnostics channels and reads what dist/boot.js left on
// globalThis (src/boot/loader.ts, `timings`). Times are performance.now(): ms since the process began.
'use strict';
const dc = require('node:diagnostics_channel');
const { writeFileSync } = require('node:fs');

const marks = { preload: performance.now(), requests: [], exit: 0, cpu_ms: 0, boot: null };
const byRequest = new Map();
const on = (name, fn) => dc.subscribe(name, fn);
on('undici:request:create', ({ request }) => {
  const r = { path: request.path, create: performance.now(), connected: null, headers: null, done: null };
  byRequest.set(request, r);
  marks.requests.push(r);
});
on('undici:client:connected', () => {
  const now = performance.now();
  for (const r of marks.requests) if (r.connected === null) r.connected = now;
});
on('undici:request:headers', ({ request }) => {
  const r = byRequest.get(request);
  if (r) r.headers = performance.now();
});
on('undici:request:trailers', ({ request }) => {
  const r = byRequest.get(request);
  if (r) r.done = performance.now();
});
process.on('exit', () => {
  marks.exit = performance.now();
  const cpu = process.cpuUsage();
  marks.cpu_ms = (cpu.user + cpu.system) / 1000;
  marks.boot = globalThis[Symbol.for('mt4gw.boot')] ?? null;
  if (process.env.MT4GW_MARKS_OUT) writeFileSync(process.env.MT4GW_MARKS_OUT, JSON.stringify(marks));
});
