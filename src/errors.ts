// The error types every layer throws, and the exit code each one maps to. Only src/cli.ts exits.

/** Documented exit codes (README "Exit codes"). */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2, // usage, config or bad input: nothing was sent
  BRIDGE: 3, // a bridge unreachable or answering outside the protocol
  DENIED: 4, // the risk library denied the order: nothing was sent
  REJECTED: 5, // MT4 rejected the order
  UNKNOWN: 6, // the outcome of a sent order could not be determined
  PANIC_INCOMPLETE: 7, // panic could not verify every agent flat
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface MtErrorOptions {
  /** What the user can do about it; printed after the message. */
  hint?: string;
  cause?: unknown;
  /** Detail lines printed under the message (every violation, every config problem). */
  problems?: string[];
}

/** An error the user is meant to read: a message, a hint, an exit code, never a stack trace. */
export class MtError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly problems: string[];
  constructor(message: string, exitCode: ExitCode, options: MtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }
}

/** Bad command-line input. Exit 2; nothing was sent. */
export class UsageError extends MtError {
  constructor(message: string, options: MtErrorOptions = {}) {
    super(message, EXIT.USAGE, options);
  }
}

/** A problem in agents.yml or its secrets, possibly several at once. Exit 2; nothing was sent. */
export class ConfigError extends MtError {
  /** problems: one line each, already formatted (`agents.yml:12:5: agents.agent_2.risk.max_positions: …`). */
  constructor(message: string, problems: string[] = [], options: MtErrorOptions = {}) {
    super(message, EXIT.USAGE, { ...options, problems });
  }
}

/** An order or close that ended other than as asked (denied 4, rejected 5, unknown 6, panic 7). */
export class OrderError extends MtError {}

/** Several agents failed in one command; the command has printed what it could. */
export class PartialFailure extends MtError {
  constructor(message: string, exitCode: ExitCode, options: MtErrorOptions = {}) {
    super(message, exitCode, options);
  }
}
