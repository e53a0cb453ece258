import * as fs from 'node:fs';
import { openBridges } from '../../bridge/registry.js';
import { toJson } from '../../output/json.js';
import { renderWatch } from '../../output/watch.js';
import * as w from '../../trading/watch.js';
import { parseDuration } from '../args.js';
import type { Context } from '../context.js';
import { failIfOffline } from '../run.js';
import { selectAgents } from '../select.js';
import type { WatchArgs, WatchOptions } from '../watch.js';

export async function watch(args: WatchArgs, flags: WatchOptions, ctx: Context): Promise<void> {
  const intervalMs = parseDuration(flags.interval, '--interval');
  const agents = selectAgents(await ctx.config(), args.agents);
  const live = process.stdout.isTTY === true && !ctx.json && !flags.once && ctx.env.TERM !== 'dumb';
  if (live) return liveWatch(ctx, agents, intervalMs);

  const bridges = openBridges(agents, { env: ctx.env, timeoutMs: ctx.timeoutMs, debug: ctx.verbose ? ctx.debug : undefined });
  let snap;
  try {
    const store = await ctx.store();
    snap = await w.watchOnce(agents, bridges, () => store.readState());
  } finally {
    await bridges.close();
  }
  if (ctx.json) ctx.write(toJson(snap));
  else ctx.write(`${renderWatch(snap, { c: ctx.out, width: process.stdout.isTTY ? process.stdout.columns : undefined }).join('\n')}\n`);
  failIfOffline(
    snap.agents.filter((r) => r.status !== 'online').map((r) => ({ agent_id: r.agent_id, error: r.error })),
    snap.agents.length,
  );
}

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE = '\x1b[?25h\x1b[?1049l';

async function liveWatch(ctx: Context, agents: Awaited<ReturnType<Context['config']>>['agents'], intervalMs: number): Promise<void> {
  // Tokens are resolved before the screen changes: a missing one is an ordinary error.
  // Debug lines would scribble over the screen: none in live mode.
  const bridges = openBridges(agents, { env: ctx.env, timeoutMs: ctx.timeoutMs });
  // The trading state is read again every second (the draw itself stays synchronous).
  const store = await ctx.store();
  let tradingState = await store.readState();
  const readState = () =>
    store.readState().then(
      (d) => {
        tradingState = d;
      },
      () => undefined,
    );
  const out = process.stdout;
  const stdin = process.stdin;
  let onScreen = false;
  const restoreSync = () => {
    if (!onScreen) return;
    onScreen = false;
    try {
      fs.writeSync(1, LEAVE);
    } catch {
      // the terminal is gone
    }
  };
  // Whatever ends the process (an uncaught error included), the terminal gets its screen back.
  process.on('exit', restoreSync);

  let drawTimer: NodeJS.Timeout | undefined;
  const draw = () => {
    drawTimer = undefined;
    if (!onScreen) return;
    const snap = w.snapshot(pollers, tradingState);
    const rows = out.rows || 24;
    const lines = renderWatch(snap, { c: ctx.out, width: out.columns || undefined, live: { intervalMs } }).slice(0, rows);
    out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\r\n')}\x1b[J`);
  };
  const scheduleDraw = () => {
    drawTimer ??= setTimeout(draw, 25);
  };
  const pollers = agents.map((a) => new w.AgentPoller(a, bridges.get(a.id), { intervalMs, onUpdate: scheduleDraw }));

  const cleanups: Array<() => void> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const quit = () => resolve();
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.on(sig, quit);
        cleanups.push(() => process.off(sig, quit));
      }
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        const onKey = (data: Buffer) => {
          const key = data.toString('utf8');
          // q, Q, Ctrl-C, Ctrl-D, Escape alone.
          if (key === 'q' || key === 'Q' || key === '\x03' || key === '\x04' || key === '\x1b') quit();
          else if (key === 'r' || key === 'R') for (const p of pollers) p.wake();
        };
        stdin.on('data', onKey);
        stdin.resume();
        cleanups.push(() => {
          stdin.off('data', onKey);
          stdin.setRawMode(false);
          stdin.pause();
        });
      }
      out.on('resize', scheduleDraw);
      cleanups.push(() => out.off('resize', scheduleDraw));
      out.write(ENTER);
      onScreen = true;
      draw();
      const tick = setInterval(() => {
        void readState();
        draw();
      }, 1000);
      cleanups.push(() => clearInterval(tick));
      for (const p of pollers) {
        p.start();
        // A poller only fails on a bug (bridge failures are row states): end the watch with it.
        p.loop?.catch(reject);
      }
    });
  } finally {
    for (const p of pollers) p.stop();
    for (const c of cleanups.reverse()) c();
    if (drawTimer) clearTimeout(drawTimer);
    if (onScreen) {
      onScreen = false;
      out.write(LEAVE);
    }
    process.off('exit', restoreSync);
    // A request still in flight to a hung terminal is not waited for (reads only, nothing to
    // lose): once the exit code is set, leave even if its socket is still open.
    void bridges.close();
    ctx.leaveWithin(250);
  }
}
