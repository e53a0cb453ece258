// Crash and pause points for the reliability tests. With MT4GW_CRASH_AT=<point> the process kills
// itself with SIGKILL at that point of an order, as a power cut or `kill -9` would; with
// MT4GW_STOP_AT=<point> it stops itself with SIGSTOP there, as Ctrl-Z or a paused VM would, until
// a SIGCONT. Tests prove from there that the next run, or another process, does the right thing.
// Inert unless one of those variables names the point.
//   before_send: the intent and the pending marker are on disk; no request is journaled yet
//   after_request: the request is journaled; nothing is sent yet (the lock not yet verified)
//   after_reply: the answer arrived; its result is not journaled yet
export type CrashPoint = 'before_send' | 'after_request' | 'after_reply';

let stopped = false;

export function crashPoint(env: NodeJS.ProcessEnv, point: CrashPoint): void {
  if (env.MT4GW_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
  // Once per process: after SIGCONT it carries on as a process that was paused there.
  if (env.MT4GW_STOP_AT === point && !stopped) {
    stopped = true;
    process.kill(process.pid, 'SIGSTOP');
  }
}
