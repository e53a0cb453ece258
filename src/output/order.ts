// How an order decision reads for a person: the preview (stderr), the confirmation question and the
// result line. The preview is what a trader reads in two seconds: the order, the risk at the stop
// against its limit, margin and today's loss, a line for any sizing or cap, then only the checks
// that failed. Every check is listed with `--checks` (or -v).
import type { ChalkInstance } from 'chalk';
import {
  decimalsToTell,
  formatCheck,
  formatLots,
  formatMoney,
  formatPercent,
  formatPrice,
  formatRawLots,
  formatViolations,
  type OrderDecision,
  type OrderFigures,
} from '../risk/index.js';

const px = (f: OrderFigures, x: number | null) => (x === null ? '-' : formatPrice(x, f.digits));
const lotsOf = (f: OrderFigures) => (f.lots === null ? '-' : formatLots(f.lots, f.lotDecimals));

/** `risk at SL 10.30 USD (5.15%), limit 2.00 USD (1.00%)` — both to the decimals that tell them apart. */
export function riskLine(f: OrderFigures): string {
  const limitPct =
    f.riskLimitMoney !== null && f.riskPercent !== null && f.riskMoney ? (f.riskPercent * f.riskLimitMoney) / f.riskMoney : null;
  const limit =
    f.riskLimitMoney === null
      ? ''
      : `, limit ${formatMoney(f.riskLimitMoney, f.riskMoney === null ? 2 : decimalsToTell(f.riskMoney, f.riskLimitMoney))} ${f.currency}${limitPct === null ? '' : ` (${formatPercent(limitPct)})`}`;
  if (f.riskMoney !== null) {
    const d = f.riskLimitMoney === null ? 2 : decimalsToTell(f.riskMoney, f.riskLimitMoney);
    return `risk at SL ${formatMoney(f.riskMoney, d)} ${f.currency}${f.riskPercent === null ? '' : ` (${formatPercent(f.riskPercent)})`}${limit}`;
  }
  if (f.sl === null) return `risk at SL: unbounded (no stop loss)${limit}`;
  return `risk at SL: not computed (no lots to send)${limit}`;
}

/** A line saying how the lots were arrived at, when they are not simply what was asked. */
function sizingLine(f: OrderFigures): string | undefined {
  if (f.sizing === null || f.requestedLots === null) return undefined;
  const asked =
    f.sizing.kind === 'percent'
      ? `${formatPercent(f.sizing.fraction * 100)} of the balance`
      : `${formatMoney(f.sizing.amount)} ${f.currency}`;
  const money = f.sizingRiskMoney === null ? '' : ` (${formatMoney(f.sizingRiskMoney)} ${f.currency})`;
  const to = f.lots === null ? 'none (below the minimum lot)' : lotsOf(f);
  const cap = f.cappedBy === null ? '' : `, capped by ${f.cappedBy === 'max_lots' ? 'risk.max_lots' : "the symbol's max_lot"}`;
  const rounded =
    f.lots !== null && f.cappedBy === null && Math.abs(f.requestedLots - f.lots) > 1e-9 ? ', rounded down to the lot step' : '';
  return `sized: risking ${asked}${money} buys ${formatRawLots(f.requestedLots, f.lotDecimals)} lots → ${to}${cap}${rounded}`;
}

export function renderPreview(d: OrderDecision, agentLabel: string, c: ChalkInstance, options: { checks?: boolean } = {}): string {
  const f = d.figures;
  const today =
    f.dailyPnl === null
      ? '-'
      : `${formatMoney(f.dailyPnl)} of -${f.dailyLossLimitMoney === null ? '-' : formatMoney(f.dailyLossLimitMoney)} allowed`;
  const lines = [
    `${c.bold(agentLabel)}: ${c.bold(`${f.side.toUpperCase()} ${lotsOf(f)} ${f.symbol}`)} at ~${px(f, f.entryPrice)}  SL ${px(f, f.sl)}  TP ${px(f, f.tp)}`,
    `  ${riskLine(f)}`,
    `  margin ${f.marginNeeded === null ? '-' : `${formatMoney(f.marginNeeded)} ${f.currency}`} of ${f.freeMargin === null ? '-' : formatMoney(f.freeMargin)} free · today ${today}`,
  ];
  const sizing = sizingLine(f);
  if (sizing) lines.push(`  ${sizing}`);
  const shown = options.checks ? d.checks : d.checks.filter((ch) => ch.status === 'fail');
  if (options.checks) lines.push('  checks:');
  for (const ch of shown) {
    const line = `  ${options.checks ? '  ' : ''}${formatCheck(ch)}`;
    lines.push(ch.status === 'fail' ? c.red(line) : ch.status === 'skipped' ? c.dim(line) : line);
  }
  return `${lines.join('\n')}\n`;
}

/** The confirmation: side, lots, symbol, stop loss and risk, so a person confirms what is sent. */
export function confirmQuestion(d: OrderDecision, agentId: string): string {
  const f = d.figures;
  const risk =
    f.riskMoney === null
      ? 'risk unbounded (no stop loss)'
      : `risking ${formatMoney(f.riskMoney)} ${f.currency}${f.riskPercent === null ? '' : ` (${formatPercent(f.riskPercent)})`}`;
  return `Send ${f.side.toUpperCase()} ${lotsOf(f)} ${f.symbol} on ${agentId}, SL ${px(f, f.sl)}, ${risk}?`;
}

export function violationLines(d: OrderDecision): string[] {
  return formatViolations(d);
}

/** The decision as JSON: every check, every violation, every figure. */
export function decisionJson(d: OrderDecision): Record<string, unknown> {
  return { allowed: d.allowed, violations: d.violations, checks: d.checks, figures: d.figures };
}
