// Ctrl-C while an order is in flight. Outside a critical section Ctrl-C behaves as it always does
// (the process ends at once). Inside one — from the moment an order or a close is about to be
// sent until its outcome is journaled — the first Ctrl-C (or SIGTERM) only says what is happening
// and lets the request finish and be journaled; a second one ends the process at once (exit 130),
// leaving the pending marker so that the next run on that agent looks the order up and journals
// its outcome (trading/place.ts reconcileOrphans). Flows that send several requests in a row
// (close-all, panic) check interruptRequested() between them and stop early.
//
// This module never exits the process itself: src/cli.ts, the only place that exits, installs the
// exit (setInterruptExit) before any command runs. Without one (a handler called in-process by a
// test), a Ctrl-C that must end the process is raised again with our handler removed, so the
// process ends by the signal as it would have without mt4gw listening (or its own handler runs).
//
// Nothing here runs at import time.

/** 128 + SIGINT: what a shell reports for a process ended by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export type InterruptPhase = 'finishing' | 'abort';

interface Section {
  what: string;
  armed: boolean;
}

const sections: Section[] = [];
let requested = false;
const listeners = new Set<(phase: InterruptPhase) => void>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let exitProcess: ((code: number) => void) | undefined;

/** How a Ctrl-C that must end the process ends it: src/cli.ts installs its exit, with the code. */
export function setInterruptExit(exit: ((code: number) => void) | undefined): void {
  exitProcess = exit;
}

function end(signal: NodeJS.Signals, code: number): void {
  if (exitProcess) {
    exitProcess(code);
    return;
  }
  uninstall();
  process.kill(process.pid, signal);
}

function notify(phase: InterruptPhase): void {
  for (const l of [...listeners]) {
    try {
      l(phase);
    } catch {
      // A display hook must never keep an order from being journaled.
    }
  }
}

function write(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // stderr gone (a closed terminal): nothing to tell, carry on.
  }
}

function onSignal(signal: NodeJS.Signals): void {
  const top = sections[sections.length - 1];
  const code = signal === 'SIGTERM' ? 143 : EXIT_INTERRUPTED;
  if (!top?.armed) {
    // Nothing has been sent yet: stop now, as Ctrl-C always does.
    notify('abort');
    write(`\ninterrupted: nothing was sent\n`);
    end(signal, code);
    return;
  }
  if (!requested) {
    requested = true;
    notify('finishing');
    write(
      `\n${signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C'}: finishing ${top.what} in flight (Ctrl-C again to abort now — it will be reconciled on the next run)\n`,
    );
    return;
  }
  notify('abort');
  write(
    `\naborted with ${top.what} in flight; its pending marker stays, and the next mt4gw run on that agent looks it up and journals the outcome\n`,
  );
  end(signal, code);
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
}

/**
 * Runs fn as a critical section. `armed: false` opens the section without arming it (Ctrl-C still
 * ends the process at once, nothing having been sent); armCritical() arms it right before the
 * first request goes out. Sections nest: the innermost names what is in flight.
 */
export async function criticalSection<T>(o: { what: string; armed?: boolean }, fn: () => Promise<T>): Promise<T> {
  const section: Section = { what: o.what, armed: o.armed ?? true };
  sections.push(section);
  if (sections.length === 1) install();
  try {
    return await fn();
  } finally {
    const i = sections.lastIndexOf(section);
    if (i >= 0) sections.splice(i, 1);
    if (sections.length === 0) uninstall();
  }
}

/** Arms the innermost critical section: from now on the first Ctrl-C lets the request finish. */
export function armCritical(): void {
  const top = sections[sections.length - 1];
  if (top) top.armed = true;
}

/** A Ctrl-C arrived during a critical section: flows that send one request after another stop. */
export function interruptRequested(): boolean {
  return requested;
}

/** Inside a critical section now (for tests and displays). */
export function inCriticalSection(): boolean {
  return sections.length > 0;
}

/**
 * Called with 'finishing' on the first Ctrl-C in a section (before the message is written) and with
 * 'abort' right before the process exits — to clear or stop a spinner. Returns the unsubscriber.
 */
export function onInterrupt(listener: (phase: InterruptPhase) => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** Forgets a past Ctrl-C (tests; a long-running process between operations). */
export function resetInterrupt(): void {
  requested = false;
}
