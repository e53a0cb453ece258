// Runs the built binary as a child process, as a user or a cron job would, and captures stdout,
// stderr and the exit code separately. Every run is bounded in time.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/mt4gw.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** A file (or a device such as /dev/zero) as stdin instead of `input` through a pipe. */
  stdinFile?: string;
  timeoutMs?: number;
}

/** A minimal, predictable environment: no colour forcing, no inherited config or tokens. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', CI: 'true' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<RunResult & { signal: NodeJS.Signals | null }>;
}

/** Starts the binary and hands back the child, for tests that must signal or kill it midway. */
export function startCli(args: string[], options: RunOptions = {}): RunningCli {
  const started = Date.now();
  const stdinFd = options.stdinFile === undefined ? undefined : openSync(options.stdinFile, 'r');
  const child = spawn(process.execPath, [BIN, ...args], {
    env: options.env ?? baseEnv(),
    cwd: options.cwd,
    stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'],
  });
  if (stdinFd !== undefined) closeSync(stdinFd);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<RunResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  child.stdin?.end(options.input ?? '');
  return { child, done };
}

export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return startCli(args, options).done;
}
