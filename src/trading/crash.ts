// Crash points for the reliability tests: with MT4GW_CRASH_AT=<point> the process kills itself
// with SIGKILL at that point of an order, as a power cut or `kill -9` would, so tests can prove the
// next run finds and reconciles what was left. Inert unless that variable names the point.
export type CrashPoint = 'before_send' | 'after_reply';

export function crashPoint(env: NodeJS.ProcessEnv, point: CrashPoint): void {
  if (env.MT4GW_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
