// Plain column tables (kubectl style): a header, two-space gaps, no box drawing, so the output
// reads well on a terminal and stays easy to grep and cut when piped.
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
  /** Colour for a cell (only applied when colour is on). */
  color?: (row: Row, text: string, c: ChalkInstance) => string;
}

const NO_BORDER = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

export function renderTable<Row>(columns: Column<Row>[], rows: Row[], c: ChalkInstance, footer?: string[]): string {
  const table = new Table({
    head: columns.map((col) => c.bold(col.header)),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns: columns.map((col) => col.align ?? 'left'),
  });
  for (const row of rows) {
    table.push(
      columns.map((col) => {
        const text = col.value(row);
        return col.color && c.level > 0 ? col.color(row, text, c) : text;
      }),
    );
  }
  if (footer) table.push(footer.map((f) => c.bold(f)));
  // cli-table3 pads the last column; trim trailing spaces so piped output is clean.
  return `${table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')}\n`;
}
