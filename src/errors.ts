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
}

/** An error the user is meant to read: a message, a hint, an exit code, never a stack trace. */
export class MtError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, exitCode: ExitCode, options: MtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
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
  /** One line per problem, already formatted (`agents.yml:12:5: agents.agent_2.risk.max_positions: …`). */
  readonly problems: string[];
  constructor(message: string, problems: string[] = [], options: MtErrorOptions = {}) {
    super(message, EXIT.USAGE, options);
    this.problems = problems;
  }
}

/** Several agents failed in one command; the command has printed what it could. */
export class PartialFailure extends MtError {
  constructor(message: string, exitCode: ExitCode, options: MtErrorOptions = {}) {
    super(message, exitCode, options);
  }
}
