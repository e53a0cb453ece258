// How an order decision reads for a person: the preview (stderr) and the result line.
import type { ChalkInstance } from 'chalk';
import { formatCheck, formatLots, formatMoney, formatPrice, formatViolations, type OrderDecision } from '../risk/index.js';

export function renderPreview(d: OrderDecision, agentLabel: string, c: ChalkInstance): string {
  const f = d.figures;
  const px = (x: number | null) => (x === null ? '-' : formatPrice(x, f.digits));
  const lots = f.lots === null ? '-' : formatLots(f.lots, f.lotDecimals);
  const lines = [
    `${c.bold(agentLabel)}: ${c.bold(`${f.side.toUpperCase()} ${lots} ${f.symbol}`)} at ~${px(f.entryPrice)}  SL ${px(f.sl)}  TP ${px(f.tp)}`,
    `  risk at SL: ${f.riskMoney === null ? 'unbounded (no stop loss)' : `${formatMoney(f.riskMoney)} ${f.currency} (${f.riskPercent === null ? '-' : `${f.riskPercent.toFixed(2)}%`} of balance)`}` +
      `${f.riskLimitMoney === null ? '' : `, limit ${formatMoney(f.riskLimitMoney)} ${f.currency}`}`,
    `  margin: ${f.marginNeeded === null ? '-' : `${formatMoney(f.marginNeeded)} ${f.currency}`} of ${f.freeMargin === null ? '-' : formatMoney(f.freeMargin)} free` +
      `   today: ${f.dailyPnl === null ? '-' : formatMoney(f.dailyPnl)} of -${f.dailyLossLimitMoney === null ? '-' : formatMoney(f.dailyLossLimitMoney)} allowed`,
    '  checks:',
    ...d.checks.map((ch) => {
      const line = `    ${formatCheck(ch)}`;
      return ch.status === 'fail' ? c.red(line) : ch.status === 'skipped' ? c.dim(line) : line;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

export function violationLines(d: OrderDecision): string[] {
  return formatViolations(d);
}

/** The decision as JSON: every check, every violation, every figure. */
export function decisionJson(d: OrderDecision): Record<string, unknown> {
  return { allowed: d.allowed, violations: d.violations, checks: d.checks, figures: d.figures };
}
