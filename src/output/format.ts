// Number and time formatting shared by tables (JSON output keeps raw numbers).

export function money(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toFixed(2);
}

export function fixed(n: number | null | undefined, digits: number): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toFixed(digits);
}

/** Lots with the decimals of a 0.01 step, more only when needed. */
export function lots(n: number): string {
  const s = n.toFixed(2);
  return Number(s) === n ? s : String(n);
}

/** A price with as many decimals as it needs, up to 5 (the most MT4 quotes). */
export function price(n: number | null | undefined, digits?: number): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  if (digits !== undefined) return n.toFixed(digits);
  for (let d = 2; d <= 5; d++) if (Number(n.toFixed(d)) === n) return n.toFixed(d);
  return n.toFixed(5);
}

export function percent(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '-';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** `2026-11-22 08:15:02Z`: ISO without the T and milliseconds, keeping the zone. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, '');
}

export function ms(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : `${Math.round(n)} ms`;
}
