// agents.yml as lines to print: which lines may hold a token (redacted before they are shown),
// YAML messages that would quote one (withheld), and compiler-style snippets with a caret.
// Secrets: a token never reaches a message (see load.ts).

export interface Pos {
  line: number;
  col: number;
}

/** A key or value named by `/token/i`, and lines nested under such a key, are never printed as is. */
const TOKEN_KEY_LINE = /^(\s*)(?:-\s+)*["']?[\w-]*token[\w-]*["']?\s*:(?:\s|$)/i;

export class SourceText {
  readonly lines: string[];
  readonly #sensitive = new Set<number>();
  constructor(text: string) {
    // Lines as the yaml library counts them (LF or CRLF), without the CR.
    this.lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    let blockIndent = -1;
    this.lines.forEach((line, i) => {
      const indent = /^\s*/.exec(line)?.[0].length ?? 0;
      if (blockIndent >= 0) {
        if (line.trim() === '' || indent > blockIndent) {
          this.#sensitive.add(i + 1);
          return;
        }
        blockIndent = -1;
      }
      if (/token/i.test(line)) this.#sensitive.add(i + 1);
      const m = TOKEN_KEY_LINE.exec(line);
      if (m) blockIndent = m[1]?.length ?? 0;
    });
  }

  isSensitive(line: number): boolean {
    return this.#sensitive.has(line);
  }

  /** The part of a sensitive line that may be a secret. */
  #secretPart(line: number): string {
    const src = this.lines[line - 1] ?? '';
    const m = /token/i.exec(src);
    if (!m) return src.trim();
    const colon = src.indexOf(':', m.index + m[0].length);
    return (colon >= 0 ? src.slice(colon + 1) : src.slice(m.index + m[0].length)).trim();
  }

  /** The line as it may be printed. */
  printable(line: number): string {
    const src = this.lines[line - 1] ?? '';
    if (!this.isSensitive(line)) return src;
    const m = /token/i.exec(src);
    if (!m) return `${/^\s*/.exec(src)?.[0] ?? ''}<redacted>`;
    const colon = src.indexOf(':', m.index + m[0].length);
    return colon >= 0 ? `${src.slice(0, colon + 1)} <redacted>` : `${src.slice(0, m.index + m[0].length)} <redacted>`;
  }

  /** A message about `line`, unless it quotes part of a token there. */
  safeMessage(line: number, message: string, code: string): string {
    if (!this.isSensitive(line)) return message;
    const secret = this.#secretPart(line);
    const w = Math.min(4, secret.length);
    for (let i = 0; w > 0 && i + w <= secret.length; i++) {
      if (message.includes(secret.slice(i, i + w))) {
        return `YAML error ${code} on a line that holds a token (details withheld so the token is not printed)`;
      }
    }
    return message;
  }

  /** `    12 | source line` and `       |     ^`, the line cut to a window around the column. */
  snippet(pos: Pos): string[] {
    let text = this.printable(pos.line).replace(/\t/g, ' ');
    let caret = pos.col - 1;
    const WIDTH = 100;
    if (text.length > WIDTH) {
      const start = Math.max(0, Math.min(caret - WIDTH / 2, text.length - WIDTH));
      text = `${start > 0 ? '…' : ''}${text.slice(start, start + WIDTH)}${start + WIDTH < text.length ? '…' : ''}`;
      caret = caret - start + (start > 0 ? 1 : 0);
    }
    const num = String(pos.line);
    return [`    ${num} | ${text}`, `    ${' '.repeat(num.length)} | ${' '.repeat(Math.max(0, caret))}^`];
  }
}
