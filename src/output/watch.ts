// The `mt4gw watch` screen as lines of text: a header, a row per agent and the totals. Pure: the
// command decides where the lines go (redrawn in place on a terminal, printed once elsewhere).
// Whatever needs attention stands out twice — in colour when colour is on, and always by a `!` in
// the first column and upper-case words (OFFLINE, HALTED, LIMIT), so it also shows with NO_COLOR.
import type { ChalkInstance } from 'chalk';
import type { WatchRow, WatchSnapshot } from '../trading/watch.js';

export interface RenderOptions {
  c: ChalkInstance;
  /** Terminal width: lines are cut to it. Undefined: no limit. */
  width?: number | undefined;
  /** Live mode: the header names the refresh interval and the keys. */
  live?: { intervalMs: number } | undefined;
  /** Local clock for the header (tests pass a fixed one). */
  clock?: (iso: string) => string;
}

/**
 * A row that must stand out: offline, daily limit reached, halted, over max positions, margin call.
 * The screen marks it with `!`; the snapshot's totals count these (src/trading/watch.ts).
 */
export function isAlert(r: WatchRow): boolean {
  return (
    r.status === 'offline' ||
    r.daily?.reached === true ||
    r.trading === 'halted' ||
    (r.open_positions !== null && r.open_positions > r.max_positions) ||
    (r.margin_level !== null && r.margin_level > 0 && r.margin_level < 100)
  );
}

interface Cell {
  text: string;
  style?: ((s: string) => string) | undefined;
}

type Align = 'left' | 'right';

interface Column {
  header: string;
  align: Align;
  cell: (r: WatchRow) => Cell;
}

const money = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(2));
const signed = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : `${n > 0 ? '+' : ''}${n.toFixed(2)}`;

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A refresh interval as typed: `500 ms`, `2s`, `1.5s`, `1m`. */
export function interval(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

function columns(c: ChalkInstance, now: number): Column[] {
  const offline = (r: WatchRow) => r.status !== 'online';
  return [
    { header: ' ', align: 'left', cell: (r) => (isAlert(r) ? { text: '!', style: (s) => c.red.bold(s) } : { text: ' ' }) },
    { header: 'AGENT', align: 'left', cell: (r) => ({ text: r.agent_id, style: r.enabled ? undefined : (s) => c.dim(s) }) },
    { header: 'NAME', align: 'left', cell: (r) => ({ text: r.name, style: r.enabled ? undefined : (s) => c.dim(s) }) },
    {
      header: 'STATUS',
      align: 'left',
      cell: (r) =>
        r.status === 'offline'
          ? { text: 'OFFLINE', style: (s) => c.red.bold(s) }
          : r.status === 'connecting'
            ? { text: 'connecting', style: (s) => c.dim(s) }
            : r.slow
              ? { text: 'slow', style: (s) => c.yellow(s) }
              : { text: 'online', style: (s) => c.green(s) },
    },
    { header: 'EQUITY', align: 'right', cell: (r) => ({ text: money(r.equity) }) },
    { header: 'BALANCE', align: 'right', cell: (r) => ({ text: money(r.balance) }) },
    {
      header: 'FLOATING',
      align: 'right',
      cell: (r) => ({
        text: signed(r.floating),
        style: r.floating === null || r.floating === 0 ? undefined : r.floating < 0 ? (s) => c.red(s) : (s) => c.green(s),
      }),
    },
    {
      header: 'POS',
      align: 'right',
      cell: (r) =>
        r.open_positions === null
          ? { text: '-' }
          : {
              text: `${r.open_positions}/${r.max_positions}`,
              style:
                r.open_positions > r.max_positions
                  ? (s) => c.red.bold(s)
                  : r.open_positions === r.max_positions
                    ? (s) => c.yellow(s)
                    : undefined,
            },
    },
    {
      header: 'MARGIN LVL',
      align: 'right',
      cell: (r) => {
        if (r.margin_level === null || offline(r)) return { text: '-' };
        if (r.margin_level <= 0) return { text: '-', style: (s) => c.dim(s) };
        const text = `${r.margin_level.toFixed(r.margin_level >= 10_000 ? 0 : 1)}%`;
        return { text, style: r.margin_level < 100 ? (s) => c.red.bold(s) : r.margin_level < 200 ? (s) => c.yellow(s) : undefined };
      },
    },
    {
      header: 'DAILY LOSS/LIMIT',
      align: 'right',
      cell: (r) => {
        if (!r.daily)
          return { text: r.daily_error && r.status === 'online' ? '?' : '-', style: r.daily_error ? (s) => c.yellow(s) : undefined };
        const d = r.daily;
        const pct = `${Math.min(999, Math.round(d.used * 100))}%`;
        // ~ marks an estimate: no trade history over this transport, floating P/L only.
        const text = `${d.basis === 'equity' ? '~' : ''}${d.loss.toFixed(2)}/${d.limit.toFixed(2)} ${d.reached ? 'LIMIT' : pct.padStart(4)}`;
        return { text, style: d.reached ? (s) => c.red.bold(s) : d.used >= 0.8 ? (s) => c.yellow(s) : undefined };
      },
    },
    {
      header: 'TRADING',
      align: 'left',
      cell: (r) => {
        if (r.trading === 'halted') return { text: 'HALTED', style: (s) => c.red.bold(s) };
        if (r.trading === 'reducing') return { text: 'REDUCING', style: (s) => c.yellow(s) };
        if (!r.enabled) return { text: 'disabled', style: (s) => c.dim(s) };
        if (r.trade_allowed === false) return { text: 'MT4 off', style: (s) => c.yellow(s) };
        return { text: 'active' };
      },
    },
    {
      header: 'LATENCY',
      align: 'right',
      cell: (r) => ({
        text: r.latency_ms === null || offline(r) ? '-' : `${r.latency_ms} ms`,
        style: r.latency_ms !== null && r.latency_ms > 1000 ? (s) => c.yellow(s) : undefined,
      }),
    },
    {
      header: 'NOTE',
      align: 'left',
      cell: (r) => {
        if (r.status === 'offline') {
          const since = r.offline_since ? ` (${duration(now - Date.parse(r.offline_since))})` : '';
          return { text: `${r.error ?? 'offline'}${since}`, style: (s) => c.red(s) };
        }
        const notes: string[] = [];
        if (r.slow && r.age_ms !== null) notes.push(`refresh slow; values ${duration(r.age_ms)} old`);
        if (r.trading !== 'active' && r.trading_reason) notes.push(r.trading_reason);
        if (r.daily_error) notes.push(`daily loss unknown: ${r.daily_error}`);
        else if (r.daily?.basis === 'equity') notes.push('~ daily loss is floating only (no trade history over this transport)');
        return { text: notes.join('; '), style: (s) => c.dim(s) };
      },
    },
  ];
}

function pad(text: string, width: number, align: Align): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

/** Joins cells into a line of at most `width` visible characters, styling after cutting. */
function fit(cells: Cell[], width: number | undefined): string {
  let out = '';
  let left = width ?? Number.POSITIVE_INFINITY;
  for (const cell of cells) {
    if (left <= 0) break;
    let text = cell.text;
    if (text.length > left) text = left > 1 ? `${text.slice(0, left - 1)}…` : text.slice(0, left);
    left -= text.length;
    // Style the text, not the padding around it.
    const m = /^(\s*)(.*?)(\s*)$/s.exec(text)!;
    out += cell.style && m[2] !== '' ? `${m[1]}${cell.style(m[2]!)}${m[3]}` : text;
  }
  return out.trimEnd();
}

const GAP = '  ';

/** The screen as lines (no trailing newline). */
export function renderWatch(s: WatchSnapshot, o: RenderOptions): string[] {
  const { c } = o;
  const now = Date.parse(s.at);
  const cols = columns(c, now);
  const cells = s.agents.map((r) => cols.map((col) => col.cell(r)));
  const t = s.totals;
  const totalCells: string[] = [
    ' ',
    'TOTAL',
    '',
    `${t.online}/${t.agents}`,
    money(t.equity),
    money(t.balance),
    signed(t.floating),
    String(t.positions),
    '',
    '',
    '',
    '',
    t.currency ?? (t.online > 0 ? 'mixed currencies' : ''),
  ];
  const widths = cols.map((col, i) =>
    Math.max(col.header.length, ...cells.map((row) => row[i]!.text.length), i < cols.length - 1 ? (totalCells[i] ?? '').length : 0),
  );
  const line = (row: Cell[]) =>
    fit(
      row.flatMap((cell, i) => {
        const last = i === row.length - 1;
        const text = last ? cell.text : pad(cell.text, widths[i]!, cols[i]!.align);
        return i === 0 ? [{ text, style: cell.style }] : [{ text: i === 1 ? ' ' : GAP }, { text, style: cell.style }];
      }),
      o.width,
    );

  const clock = o.clock ?? ((iso: string) => new Date(iso).toLocaleTimeString('en-GB', { hour12: false }));
  const alerts = t.alerts > 0 ? c.red.bold(`${t.alerts} need${t.alerts === 1 ? 's' : ''} attention`) : c.green('all clear');
  const head = o.live
    ? `${c.bold('mt4gw watch')}  ${clock(s.at)}  every ${interval(o.live.intervalMs)}  ${t.online}/${t.agents} online  ${alerts}  ${c.dim('q quit · r refresh')}`
    : `${c.bold('mt4gw watch')}  ${s.at}  ${t.online}/${t.agents} online  ${alerts}`;
  // The header holds styling already: cut it by its visible length.
  const out = [cutStyled(head, o.width), ''];
  out.push(line(cols.map((col) => ({ text: col.header, style: (x: string) => c.bold(x) }))));
  for (const row of cells) out.push(line(row));
  out.push(line(totalCells.map((text) => ({ text, style: (x: string) => c.bold(x) }))));
  return out;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

function stripForWidth(s: string): string {
  return s.replace(ANSI, '');
}

/** Cuts a string that may hold colour codes to `width` visible characters (codes kept, colour reset). */
export function cutStyled(s: string, width: number | undefined): string {
  if (width === undefined || stripForWidth(s).length <= width) return s;
  let out = '';
  let visible = 0;
  let i = 0;
  while (i < s.length && visible < width - 1) {
    ANSI.lastIndex = i;
    const m = ANSI.exec(s);
    if (m && m.index === i) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    out += s[i];
    visible++;
    i++;
  }
  return `${out}…${out.length > visible ? '\x1b[0m' : ''}`;
}
