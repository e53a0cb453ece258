// Runs the built binary in a pseudo-terminal, as a person at a terminal would, and reads its screen
// back. The pseudo-terminal comes from util-linux `script` (present on Debian and Ubuntu, CI
// included); the screen is rebuilt by a small VT100 interpreter that understands what mt4gw and
// @inquirer write (cursor moves, erases, the alternate screen). Every run is bounded in time.
import { spawn, spawnSync } from 'node:child_process';
import { BIN } from './cli.js';

/** Why a pseudo-terminal cannot be had here, or undefined when `script` works. */
export function ptyUnavailable(): string | undefined {
  const r = spawnSync('script', ['-q', '-e', '-c', 'test -t 0 && test -t 1 && echo tty-ok', '/dev/null'], {
    encoding: 'utf8',
    timeout: 10_000,
    input: '',
  });
  if (r.error) return `util-linux script is not installed (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  if (!r.stdout.includes('tty-ok')) return `script did not provide a terminal (status ${r.status}, ${r.stderr.trim() || 'no output'})`;
  return undefined;
}

/**
 * Why the pseudo-terminal tests may be skipped here, or undefined when they must run: they run
 * whenever `script` works, and in CI (CI set, or MT4GW_REQUIRE_PTY=1) a missing `script` is a
 * failure, not a skip — CI must never pass without driving the terminal.
 */
export function ptySkipReason(): string | undefined {
  const why = ptyUnavailable();
  if (why === undefined) return undefined;
  if (process.env.CI || process.env.MT4GW_REQUIRE_PTY === '1') {
    throw new Error(`the pseudo-terminal tests need util-linux \`script\` (apt-get install bsdutils / util-linux): ${why}`);
  }
  return why;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A terminal screen fed with raw output. */
export class Screen {
  readonly rows: number;
  readonly cols: number;
  #main: string[][];
  #alt: string[][] | undefined;
  row = 0;
  col = 0;
  #saved: [number, number] = [0, 0];
  altActive = false;
  #pending = '';

  constructor(rows: number, cols: number) {
    this.rows = rows;
    this.cols = cols;
    this.#main = this.#blank();
  }

  #blank(): string[][] {
    return Array.from({ length: this.rows }, () => Array<string>(this.cols).fill(' '));
  }

  get #grid(): string[][] {
    return this.#alt ?? this.#main;
  }

  #lineFeed(): void {
    if (this.row < this.rows - 1) this.row++;
    else {
      this.#grid.shift();
      this.#grid.push(Array<string>(this.cols).fill(' '));
    }
  }

  #put(ch: string): void {
    if (this.col >= this.cols) {
      this.col = 0;
      this.#lineFeed();
    }
    this.#grid[this.row]![this.col] = ch;
    this.col++;
  }

  #eraseLine(from: number, to: number): void {
    const line = this.#grid[this.row]!;
    for (let i = Math.max(0, from); i < Math.min(this.cols, to); i++) line[i] = ' ';
  }

  #csi(params: string, final: string): void {
    const priv = params.startsWith('?');
    const nums = (priv ? params.slice(1) : params).split(';').map((p) => (p === '' ? NaN : Number(p)));
    const n = (i: number, d: number) => (Number.isNaN(nums[i] ?? NaN) ? d : nums[i]!);
    const clampRow = (r: number) => Math.max(0, Math.min(this.rows - 1, r));
    const clampCol = (c: number) => Math.max(0, Math.min(this.cols - 1, c));
    switch (final) {
      case 'H':
      case 'f':
        this.row = clampRow(n(0, 1) - 1);
        this.col = clampCol(n(1, 1) - 1);
        break;
      case 'A':
        this.row = clampRow(this.row - n(0, 1));
        break;
      case 'B':
        this.row = clampRow(this.row + n(0, 1));
        break;
      case 'C':
        this.col = clampCol(this.col + n(0, 1));
        break;
      case 'D':
        this.col = clampCol(this.col - n(0, 1));
        break;
      case 'E':
        this.row = clampRow(this.row + n(0, 1));
        this.col = 0;
        break;
      case 'F':
        this.row = clampRow(this.row - n(0, 1));
        this.col = 0;
        break;
      case 'G':
        this.col = clampCol(n(0, 1) - 1);
        break;
      case 'K': {
        const mode = n(0, 0);
        if (mode === 0) this.#eraseLine(this.col, this.cols);
        else if (mode === 1) this.#eraseLine(0, this.col + 1);
        else this.#eraseLine(0, this.cols);
        break;
      }
      case 'J': {
        const mode = n(0, 0);
        const g = this.#grid;
        if (mode === 0) {
          this.#eraseLine(this.col, this.cols);
          for (let r = this.row + 1; r < this.rows; r++) g[r]!.fill(' ');
        } else if (mode === 1) {
          for (let r = 0; r < this.row; r++) g[r]!.fill(' ');
          this.#eraseLine(0, this.col + 1);
        } else for (const line of g) line.fill(' ');
        break;
      }
      case 's':
        this.#saved = [this.row, this.col];
        break;
      case 'u':
        [this.row, this.col] = this.#saved;
        break;
      case 'h':
      case 'l':
        if (priv && nums.includes(1049)) {
          if (final === 'h' && !this.#alt) {
            this.#saved = [this.row, this.col];
            this.#alt = this.#blank();
            this.altActive = true;
          } else if (final === 'l' && this.#alt) {
            this.#alt = undefined;
            this.altActive = false;
            [this.row, this.col] = this.#saved;
          }
        }
        break;
      default:
      // colours (m) and everything else: no effect on the text
    }
  }

  feed(data: string): void {
    const s = this.#pending + data;
    this.#pending = '';
    let i = 0;
    while (i < s.length) {
      const ch = s[i]!;
      if (ch === '\x1b') {
        if (i + 1 >= s.length) {
          this.#pending = s.slice(i);
          return;
        }
        const next = s[i + 1]!;
        if (next === '[') {
          let j = i + 2;
          while (j < s.length && !/[@-~]/.test(s[j]!)) j++;
          if (j >= s.length) {
            this.#pending = s.slice(i);
            return;
          }
          this.#csi(s.slice(i + 2, j), s[j]!);
          i = j + 1;
        } else if (next === ']') {
          // OSC: up to BEL or ST.
          const bel = s.indexOf('\x07', i);
          const st = s.indexOf('\x1b\\', i);
          const end = bel < 0 ? st : st < 0 ? bel : Math.min(bel, st);
          if (end < 0) {
            this.#pending = s.slice(i);
            return;
          }
          i = end + (end === st ? 2 : 1);
        } else {
          if (next === '7') this.#saved = [this.row, this.col];
          else if (next === '8') [this.row, this.col] = this.#saved;
          i += 2;
        }
        continue;
      }
      if (ch === '\r') this.col = 0;
      else if (ch === '\n') this.#lineFeed();
      else if (ch === '\b') this.col = Math.max(0, this.col - 1);
      else if (ch === '\t') this.col = Math.min(this.cols - 1, (Math.floor(this.col / 8) + 1) * 8);
      else if (ch >= ' ') this.#put(ch);
      i++;
    }
  }

  /** The visible lines, right-trimmed; trailing empty lines dropped. */
  lines(): string[] {
    const out = this.#grid.map((l) => l.join('').trimEnd());
    while (out.length && out[out.length - 1] === '') out.pop();
    return out;
  }

  text(): string {
    return this.lines().join('\n');
  }
}

export interface PtyRun {
  screen: Screen;
  /** Every byte written to the terminal so far. */
  raw(): string;
  write(keys: string): void;
  /** Resolves when the screen matches; rejects with the screen after `timeoutMs`. */
  waitFor(match: RegExp | string | ((s: Screen) => boolean), timeoutMs?: number): Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  kill(): void;
}

export function runInPty(
  args: string[],
  o: { env: Record<string, string>; cwd?: string; rows?: number; cols?: number; timeoutMs?: number },
): PtyRun {
  const rows = o.rows ?? 30;
  const cols = o.cols ?? 160;
  const started = Date.now();
  const cmd = `stty cols ${cols} rows ${rows} 2>/dev/null; exec ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}`;
  const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { env: o.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const screen = new Screen(rows, cols);
  let raw = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    raw += d;
    screen.feed(d);
    for (const w of [...waiters]) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (raw += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of [...waiters]) w();
      resolve({ code, signal, ms: Date.now() - started });
    });
  });
  let exited = false;
  void done.then(() => (exited = true));
  return {
    screen,
    raw: () => raw,
    write: (keys) => void child.stdin.write(keys),
    waitFor(match, timeoutMs = 10_000) {
      const test =
        typeof match === 'function' ? match : (s: Screen) => (typeof match === 'string' ? s.text().includes(match) : match.test(s.text()));
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (test(screen)) {
            cleanup();
            resolve();
          } else if (exited) {
            cleanup();
            reject(
              new Error(
                `exited before the screen showed ${String(match)}; screen:\n${screen.text()}\nraw tail: ${JSON.stringify(raw.slice(-400))}`,
              ),
            );
          }
        };
        const t = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(match)}; screen:\n${screen.text()}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(t);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    done,
    kill: () => void child.kill('SIGKILL'),
  };
}
