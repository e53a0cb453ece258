// evaluateOrder: every pre-trade rule for opening a market position, in one pure function.
// Nothing is sent until it says allowed; a denial lists EVERY failed rule (not the first only),
// and `checks` reports each rule as pass / fail / skipped-with-why for the preview.
import { ORDER_CHECK_CODES, type OrderCheckCode } from './codes.js';
import { DEFAULT_MAX_QUOTE_AGE_MS, Recorder, assessQuote, isValidPrice, normalizeStop, recordStopChecks, specProblems } from './checks.js';
import { brokerDayStart, dailyPnl, netPnl } from './daily.js';
import { clean, decimalsToTell, formatLots, formatMoney, formatPercent, formatRawLots } from './format.js';
import { MONEY_TOLERANCE, isStepMultiple, lossAtStop, lotsAtMost, sizeByRisk, stepDecimals } from './sizing.js';
import type { AgentRiskConfig, OrderDecision, OrderFigures, OrderInput, RiskLimits } from './types.js';

/** The agent's limits from its config: pairs are risk.allowed_pairs when set, else strategy.pairs. */
export function limitsFromAgent(agent: AgentRiskConfig): RiskLimits {
  const { risk } = agent;
  return {
    enabled: agent.enabled,
    pairs: risk.allowed_pairs ?? agent.strategy.pairs,
    pairsKey: risk.allowed_pairs !== undefined ? 'risk.allowed_pairs' : 'strategy.pairs',
    ...(risk.max_lots !== undefined ? { max_lots: risk.max_lots } : {}),
    max_positions: risk.max_positions,
    max_risk_per_trade: risk.max_risk_per_trade,
    max_daily_loss: risk.max_daily_loss,
    require_stop_loss: risk.require_stop_loss,
  };
}

const pct = (fraction: number): string => `${clean(fraction * 100)}%`;

/** Evaluates an order to open a market position against every rule. Pure: the clock is `input.now`. */
export function evaluateOrder(input: OrderInput): OrderDecision {
  const { order, limits, account, positions, trading, now } = input;
  const maxAgeMs = input.options?.maxQuoteAgeMs ?? DEFAULT_MAX_QUOTE_AGE_MS;
  const r = new Recorder<OrderCheckCode>();
  const ccy = account.currency;
  const money = (x: number): string => `${formatMoney(x)} ${ccy}`;

  // --- Symbol spec: an unusable one is treated as unknown. ---------------------------------------
  const specIssues = input.spec ? specProblems(input.spec) : [];
  const spec = input.spec && specIssues.length === 0 ? input.spec : undefined;
  const digits = spec ? spec.digits : null;
  const lotDecimals = spec ? stepDecimals(spec.lot_step) : null;
  const lt = (x: number): string => formatLots(x, lotDecimals);

  // --- Trading state: a new position adds exposure, so both halted and reducing deny it. --------
  const { state } = trading;
  const reasonDetail: Record<string, string> = trading.reason ? { reason: trading.reason } : {};
  const because = trading.reason ? ` (${trading.reason})` : '';
  const knownState = state === 'active' || state === 'reducing' || state === 'halted';
  if (state === 'halted' || !knownState) {
    r.fail('TRADING_HALTED', `trading is halted${because}: no new positions`, { state: String(state), ...reasonDetail });
  } else r.pass('TRADING_HALTED', 'trading is not halted');
  if (state === 'reducing') {
    r.fail('TRADING_REDUCING', `trading is reducing-only${because}: a new position adds exposure`, { state, ...reasonDetail });
  } else r.pass('TRADING_REDUCING', 'trading is not reducing-only');

  // --- Orders in flight: an earlier order that may still open counts against every limit. --------
  const inFlight = input.inFlight ?? [];
  if (inFlight.length === 0) r.pass('ORDER_UNRESOLVED', 'no earlier order is in flight');
  else {
    const first = inFlight[0]!;
    const age = first.ageMs === null ? 'age unknown' : `${Math.round(first.ageMs / 1000)} s old`;
    const more = inFlight.length > 1 ? ` (and ${inFlight.length - 1} more)` : '';
    r.fail(
      'ORDER_UNRESOLVED',
      `order ${first.orderId}${more}, sent at ${first.sentAt} (${age}), has no known outcome yet and may still open; it is proven not opened once ${Math.round(first.maxAgeMs / 1000)} s old, or by a person with mt4gw journal resolve ${first.orderId} --not-opened`,
      {
        order_id: first.orderId,
        sent_at: first.sentAt,
        ...(first.ageMs === null ? {} : { age_s: Math.round(first.ageMs / 1000) }),
        count: inFlight.length,
      },
    );
  }

  if (limits.enabled === true) r.pass('AGENT_DISABLED', 'the agent is enabled');
  else r.fail('AGENT_DISABLED', `agent ${order.agentId} is disabled (enabled: false): no new positions`, { agent: order.agentId });

  // --- Symbol ------------------------------------------------------------------------------------
  const pairsKey = limits.pairsKey ?? 'the allowed pairs';
  const wanted = order.symbol.toUpperCase();
  if (limits.pairs.some((s) => s.toUpperCase() === wanted)) r.pass('SYMBOL_NOT_ALLOWED', `${order.symbol} is in ${pairsKey}`);
  else {
    r.fail('SYMBOL_NOT_ALLOWED', `${order.symbol} is not in ${pairsKey} (${limits.pairs.join(', ') || 'empty'})`, {
      symbol: order.symbol,
      allowed: limits.pairs.join(','),
    });
  }

  if (!input.spec) {
    r.fail('SYMBOL_SPEC_UNKNOWN', `no symbol spec for ${order.symbol}: lots, risk and margin cannot be checked`, { symbol: order.symbol });
  } else if (!spec) {
    r.fail('SYMBOL_SPEC_UNKNOWN', `the symbol spec for ${order.symbol} is unusable (${specIssues.join(', ')})`, {
      symbol: order.symbol,
      problems: specIssues.join(','),
    });
  } else r.pass('SYMBOL_SPEC_UNKNOWN', `spec: tick ${spec.tick_size} worth ${money(spec.tick_value)} per lot, step ${spec.lot_step}`);

  // --- Quote: stale prices deny, but valid ones are still used for the figures. -----------------
  const quote = assessQuote(input.quote, now, maxAgeMs, digits);
  if (quote.status === 'pass') r.pass('QUOTE_STALE', quote.message);
  else r.fail('QUOTE_STALE', quote.message, quote.detail);
  const isBuy = order.side === 'buy';
  const entry = isBuy ? quote.ask : quote.bid;
  const stopRef = isBuy ? quote.bid : quote.ask;

  // --- Account snapshot ----------------------------------------------------------------------------
  const balance = Number.isFinite(account.balance) ? account.balance : null;
  const freeMargin = Number.isFinite(account.free_margin) ? account.free_margin : null;
  const day = typeof account.server_time === 'string' ? brokerDayStart(account.server_time) : null;
  const accountProblems: Record<string, string> = {};
  if (balance === null) accountProblems.balance = String(account.balance);
  if (freeMargin === null) accountProblems.free_margin = String(account.free_margin);
  if (day === null) accountProblems.server_time = String(account.server_time);
  if (Object.keys(accountProblems).length > 0) {
    const what = Object.entries(accountProblems)
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
      .join(', ');
    const hint = day === null ? " (server_time must be ISO-8601 with the broker's UTC offset)" : '';
    r.fail('ACCOUNT_DATA_INVALID', `the account snapshot cannot be used: ${what}${hint}`, accountProblems);
  } else
    r.pass(
      'ACCOUNT_DATA_INVALID',
      `balance ${money(account.balance)}, free margin ${money(account.free_margin)}, server time ${account.server_time}`,
    );

  const sl = normalizeStop(order.sl);
  const tp = normalizeStop(order.tp);
  const slUsable = sl !== null && isValidPrice(sl);

  // --- Lots: as given, or sized by risk --------------------------------------------------------------
  let lots: number | null = null;
  let requestedLots: number | null = null;
  let sizingRiskMoney: number | null = null;
  let cappedBy: 'max_lots' | 'max_lot' | null = null;
  const sizing = order.sizing;
  if (sizing === undefined) {
    lots = order.lots ?? Number.NaN;
    requestedLots = lots;
    r.skip('SIZING_INVALID', 'the order gives its lots');
    r.skip('SIZE_BELOW_MIN_LOT', 'the order gives its lots');
  } else {
    let sizingOk = false;
    // The types forbid both; a caller from plain JSON may still send them.
    const alsoLots = (order as { lots?: unknown }).lots;
    if (alsoLots !== undefined) {
      r.fail('SIZING_INVALID', 'the order gives both lots and a sizing request', { lots: String(alsoLots), sizing: sizing.kind });
    } else if (sizing.kind === 'percent') {
      sizingOk = Number.isFinite(sizing.fraction) && sizing.fraction > 0 && sizing.fraction <= 1;
      if (sizingOk) {
        sizingRiskMoney = balance === null ? null : balance * sizing.fraction;
        r.pass('SIZING_INVALID', `risk ${pct(sizing.fraction)} of the balance`);
      } else
        r.fail('SIZING_INVALID', `risk fraction ${sizing.fraction} is not in (0, 1] (0.01 = 1%)`, { fraction: String(sizing.fraction) });
    } else if (sizing.kind === 'money') {
      sizingOk = Number.isFinite(sizing.amount) && sizing.amount > 0;
      if (sizingOk) {
        sizingRiskMoney = sizing.amount;
        r.pass('SIZING_INVALID', `risk ${money(sizing.amount)}`);
      } else r.fail('SIZING_INVALID', `risk amount ${sizing.amount} is not a positive amount`, { amount: String(sizing.amount) });
    } else {
      r.fail('SIZING_INVALID', `unknown sizing kind ${JSON.stringify((sizing as { kind: unknown }).kind)}`, {});
    }

    const cannot: string[] = [];
    if (!sizingOk) cannot.push('the sizing request is invalid');
    else if (sizingRiskMoney === null) cannot.push('the balance is unknown');
    if (!spec) cannot.push('no symbol spec');
    if (entry === null) cannot.push('no usable quote');
    if (sl === null) cannot.push('no stop loss (see STOP_LOSS_REQUIRED)');
    else if (!slUsable) cannot.push('the stop loss is not a valid price');
    if (cannot.length > 0 || !spec || entry === null || sl === null || sizingRiskMoney === null) {
      r.skip('SIZE_BELOW_MIN_LOT', `cannot size: ${cannot.join('; ')}`);
    } else {
      const sized = sizeByRisk({
        riskMoney: Math.max(0, sizingRiskMoney), // a negative balance has nothing to risk
        entry,
        sl,
        spec,
        ...(limits.max_lots !== undefined ? { maxLots: limits.max_lots } : {}),
        currency: ccy,
      });
      requestedLots = sized.rawLots === null ? null : clean(sized.rawLots);
      if (sized.ok) {
        lots = sized.lots;
        cappedBy = sized.cappedBy;
        const cap =
          sized.cappedBy === null ? '' : `, capped by ${sized.cappedBy === 'max_lots' ? 'risk.max_lots' : 'the symbol’s max_lot'}`;
        r.pass(
          'SIZE_BELOW_MIN_LOT',
          `risking ${money(sized.riskMoney)} buys ${formatRawLots(sized.rawLots, lotDecimals)} lots, rounded down to ${lt(sized.lots)}${cap}`,
        );
      } else if (sized.violation.code === 'SIZE_BELOW_MIN_LOT') {
        r.fail('SIZE_BELOW_MIN_LOT', sized.violation.message, sized.violation.detail);
      } else {
        r.fail('SIZING_INVALID', sized.violation.message, sized.violation.detail);
        r.skip('SIZE_BELOW_MIN_LOT', 'cannot size (see SIZING_INVALID)');
      }
    }
  }

  /** The lots to send, when they are a positive finite number. */
  const okLots: number | null = lots !== null && Number.isFinite(lots) && lots > 0 ? lots : null;
  const lotsOk = okLots !== null;
  const LOT_CODES = ['LOTS_NOT_STEP_MULTIPLE', 'LOTS_BELOW_MIN', 'LOTS_ABOVE_SYMBOL_MAX', 'LOTS_ABOVE_AGENT_MAX'] as const;
  if (lots === null) {
    for (const code of ['LOTS_INVALID', ...LOT_CODES] as const) r.skip(code, 'no lots: sizing gave none');
  } else if (okLots === null) {
    r.fail('LOTS_INVALID', `lots ${lots} is not a positive number`, { lots: String(lots) });
    for (const code of LOT_CODES) r.skip(code, 'lots is invalid');
  } else {
    r.pass('LOTS_INVALID', `${lt(lots)} lots`);
    if (!spec) {
      for (const code of ['LOTS_NOT_STEP_MULTIPLE', 'LOTS_BELOW_MIN', 'LOTS_ABOVE_SYMBOL_MAX'] as const) r.skip(code, 'no symbol spec');
    } else {
      const step = spec.lot_step;
      if (isStepMultiple(lots, step)) r.pass('LOTS_NOT_STEP_MULTIPLE', `a multiple of the step ${lt(step)}`);
      else r.fail('LOTS_NOT_STEP_MULTIPLE', `lots ${lt(lots)} is not a multiple of the lot step ${lt(step)}`, { lots, step });
      if (lotsAtMost(spec.min_lot, lots, step)) r.pass('LOTS_BELOW_MIN', `at least the minimum ${lt(spec.min_lot)}`);
      else r.fail('LOTS_BELOW_MIN', `lots ${lt(lots)} is below the symbol's minimum ${lt(spec.min_lot)}`, { lots, min_lot: spec.min_lot });
      if (lotsAtMost(lots, spec.max_lot, step)) r.pass('LOTS_ABOVE_SYMBOL_MAX', `at most the symbol's maximum ${lt(spec.max_lot)}`);
      else
        r.fail('LOTS_ABOVE_SYMBOL_MAX', `lots ${lt(lots)} is above the symbol's maximum ${lt(spec.max_lot)}`, {
          lots,
          max_lot: spec.max_lot,
        });
    }
    if (limits.max_lots === undefined) r.skip('LOTS_ABOVE_AGENT_MAX', 'risk.max_lots is not set');
    else if (lotsAtMost(lots, limits.max_lots, spec?.lot_step ?? 0.01))
      r.pass('LOTS_ABOVE_AGENT_MAX', `at most risk.max_lots ${lt(limits.max_lots)}`);
    else
      r.fail('LOTS_ABOVE_AGENT_MAX', `lots ${lt(lots)} is above risk.max_lots ${lt(limits.max_lots)}`, { lots, max_lots: limits.max_lots });
  }

  // --- Positions -------------------------------------------------------------------------------------
  const open = positions.length;
  if (open < limits.max_positions) r.pass('MAX_POSITIONS_REACHED', `${open} open of at most ${limits.max_positions}`);
  else {
    r.fail('MAX_POSITIONS_REACHED', `${open} position${open === 1 ? ' is' : 's are'} open; risk.max_positions is ${limits.max_positions}`, {
      positions: open,
      max_positions: limits.max_positions,
    });
  }

  // --- Stops -------------------------------------------------------------------------------------------
  const requiredBy = [limits.require_stop_loss ? 'risk.require_stop_loss' : null, sizing !== undefined ? 'sizing by risk' : null].filter(
    (x): x is string => x !== null,
  );
  if (sl !== null) r.pass('STOP_LOSS_REQUIRED', 'the order has a stop loss');
  else if (requiredBy.length > 0) {
    r.fail('STOP_LOSS_REQUIRED', `the order has no stop loss, which ${requiredBy.join(' and ')} requires`, {
      required_by: requiredBy.join(','),
    });
  } else r.pass('STOP_LOSS_REQUIRED', 'no stop loss, and none is required (risk.require_stop_loss: false)');

  recordStopChecks(r, { kind: 'sl', side: order.side, value: sl, ref: stopRef, spec, digits });
  recordStopChecks(r, { kind: 'tp', side: order.side, value: tp, ref: stopRef, spec, digits });

  // --- Risk per trade: the loss at the SL with the (rounded) lots. ----------------------------------
  let riskMoney: number | null = null;
  let riskLimitMoney: number | null = null;
  if (slUsable && spec && entry !== null && okLots !== null) riskMoney = lossAtStop(entry, sl, okLots, spec);
  if (balance !== null) riskLimitMoney = balance * limits.max_risk_per_trade;
  const riskPercent = riskMoney !== null && balance !== null && balance > 0 ? (riskMoney / balance) * 100 : null;
  {
    const skip = [
      sl === null ? 'no stop loss: the loss at stop is unbounded and cannot be measured' : null,
      sl !== null && !slUsable ? 'the stop loss is not a valid price' : null,
      !spec ? 'no symbol spec' : null,
      entry === null ? 'no usable quote' : null,
      !lotsOk ? 'no valid lots' : null,
      balance === null ? 'the balance is unknown' : null,
    ].filter((x): x is string => x !== null);
    if (skip.length > 0 || riskMoney === null || riskLimitMoney === null || balance === null) {
      r.skip('RISK_PER_TRADE_EXCEEDED', skip.join('; '));
    } else if (riskMoney <= riskLimitMoney + Math.abs(riskLimitMoney) * MONEY_TOLERANCE) {
      r.pass(
        'RISK_PER_TRADE_EXCEEDED',
        `loss at stop ${money(riskMoney)} within ${money(riskLimitMoney)} (${pct(limits.max_risk_per_trade)} of ${money(balance)})`,
      );
    } else {
      const share = riskPercent === null ? '' : ` (${formatPercent(riskPercent)} of the balance)`;
      const d = decimalsToTell(riskMoney, riskLimitMoney);
      r.fail(
        'RISK_PER_TRADE_EXCEEDED',
        `the loss at the stop loss, ${formatMoney(riskMoney, d)} ${ccy}${share}, exceeds ${formatMoney(riskLimitMoney, d)} ${ccy} = ${pct(limits.max_risk_per_trade)} (risk.max_risk_per_trade) of the balance ${money(balance)}`,
        { risk: riskMoney, limit: riskLimitMoney, balance },
      );
    }
  }

  // --- Daily loss: realized since the broker's midnight + floating. ------------------------------
  // Without trade history ('equity' basis) only the floating loss (equity − balance) is known.
  const equityBasis = input.dailyLossBasis === 'equity';
  const daily =
    balance !== null && day !== null && !equityBasis
      ? dailyPnl({
          balance,
          serverTime: account.server_time,
          closedTrades: input.closedToday,
          positions,
          maxDailyLoss: limits.max_daily_loss,
        })
      : null;
  const estimated = balance !== null && equityBasis ? estimateDailyLoss(balance, account.equity, positions, limits.max_daily_loss) : null;
  if (equityBasis) {
    const unknown = 'losses realized earlier today are not counted: the bridge has no trade history';
    if (!estimated) r.skip('DAILY_LOSS_LIMIT_REACHED', `the balance is unknown (see ACCOUNT_DATA_INVALID); ${unknown}`);
    else if (estimated.reached) {
      r.fail(
        'DAILY_LOSS_LIMIT_REACHED',
        `the floating loss ${money(estimated.loss)} (equity − balance, an estimate of today's loss) has reached ${money(estimated.limitMoney)} = ${pct(limits.max_daily_loss)} (risk.max_daily_loss) of the balance ${money(balance!)}; ${unknown}`,
        { loss: estimated.loss, limit: estimated.limitMoney, balance: balance!, floating: estimated.floating, basis: 'equity' },
      );
    } else {
      r.pass(
        'DAILY_LOSS_LIMIT_REACHED',
        `estimated from equity vs balance: floating ${money(estimated.floating)}; limit −${money(estimated.limitMoney)} (${pct(limits.max_daily_loss)} of the balance ${money(balance!)}); ${unknown}`,
      );
    }
  } else if (!daily) r.skip('DAILY_LOSS_LIMIT_REACHED', 'the broker day or the balance is unknown (see ACCOUNT_DATA_INVALID)');
  else {
    const note = daily.unparsable > 0 ? `; ${daily.unparsable} closed trade(s) with an unreadable close_time, their losses counted` : '';
    const parts = `realized ${money(daily.realizedToday)} + floating ${money(daily.floating)} since ${daily.day.iso}`;
    if (daily.reached) {
      r.fail(
        'DAILY_LOSS_LIMIT_REACHED',
        `today's loss ${money(daily.loss)} (${parts}) has reached ${money(daily.limitMoney)} = ${pct(limits.max_daily_loss)} (risk.max_daily_loss) of the day-start balance ${money(daily.dayStartBalance)}${note}`,
        {
          loss: daily.loss,
          limit: daily.limitMoney,
          day_start_balance: daily.dayStartBalance,
          realized: daily.realizedToday,
          floating: daily.floating,
          day_start: daily.day.iso,
        },
      );
    } else {
      r.pass('DAILY_LOSS_LIMIT_REACHED', `today's P/L ${money(daily.dailyPnl)} (${parts}); limit −${money(daily.limitMoney)}${note}`);
    }
  }

  // --- Margin ----------------------------------------------------------------------------------------
  const marginNeeded = spec && okLots !== null ? okLots * spec.margin_required : null;
  if (marginNeeded === null || freeMargin === null) {
    r.skip(
      'INSUFFICIENT_MARGIN',
      [!spec ? 'no symbol spec' : null, !lotsOk ? 'no valid lots' : null, freeMargin === null ? 'free margin unknown' : null]
        .filter(Boolean)
        .join('; '),
    );
  } else if (marginNeeded <= freeMargin + 1e-9) {
    r.pass('INSUFFICIENT_MARGIN', `margin ${money(marginNeeded)} of free ${money(freeMargin)}`);
  } else {
    r.fail('INSUFFICIENT_MARGIN', `the order needs ${money(marginNeeded)} of margin; the free margin is ${money(freeMargin)}`, {
      margin: marginNeeded,
      free_margin: freeMargin,
    });
  }

  // Safety net: an order is never allowed without lots to send, even if no rule said why.
  if (!lotsOk && !r.hasFailure()) r.fail('LOTS_INVALID', 'no lots could be determined', {});

  const { checks, violations } = r.result(ORDER_CHECK_CODES);
  const figures: OrderFigures = {
    agentId: order.agentId,
    symbol: order.symbol,
    side: order.side,
    currency: ccy,
    digits,
    lotDecimals,
    sizing: sizing ?? null,
    requestedLots: requestedLots === null ? null : clean(requestedLots),
    lots: okLots,
    entryPrice: entry,
    stopReferencePrice: stopRef,
    sl,
    tp,
    sizingRiskMoney: sizingRiskMoney === null ? null : clean(sizingRiskMoney),
    cappedBy,
    riskMoney: riskMoney === null ? null : clean(riskMoney),
    riskPercent: riskPercent === null ? null : clean(riskPercent),
    riskLimitMoney: riskLimitMoney === null ? null : clean(riskLimitMoney),
    marginNeeded: marginNeeded === null ? null : clean(marginNeeded),
    freeMargin,
    openPositions: open,
    realizedToday: daily ? clean(daily.realizedToday) : null,
    floatingPnl: daily ? clean(daily.floating) : estimated ? clean(estimated.floating) : null,
    dailyPnl: daily ? clean(daily.dailyPnl) : estimated ? clean(estimated.floating) : null,
    dailyLossLimitMoney: daily ? clean(daily.limitMoney) : estimated ? clean(estimated.limitMoney) : null,
    dayStartBalance: daily ? clean(daily.dayStartBalance) : null,
    brokerDayStart: day ? day.iso : null,
    quoteAgeMs: quote.ageMs,
  };
  return { allowed: violations.length === 0 && lotsOk, violations, checks, figures };
}

/**
 * Today's loss when no trade history is available: the floating P/L (equity − balance, or the
 * positions' net P/L when equity is not given) against max_daily_loss × the current balance.
 * Losses already realized today are in neither figure; they lower the balance, and with it the limit.
 */
function estimateDailyLoss(
  balance: number,
  equity: number | undefined,
  positions: OrderInput['positions'],
  maxDailyLoss: number,
): { floating: number; loss: number; limitMoney: number; reached: boolean } {
  const floating = equity !== undefined && Number.isFinite(equity) ? equity - balance : positions.reduce((s, p) => s + netPnl(p), 0);
  const loss = Math.max(0, -floating);
  const limitMoney = maxDailyLoss * balance;
  return { floating, loss, limitMoney, reached: loss > 0 && !(loss < limitMoney - 1e-9) };
}
