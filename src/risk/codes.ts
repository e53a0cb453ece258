// The stable machine codes of the risk library. A code names a rule; a Check reports how the rule
// came out for one order, and a Violation is a failed check. Codes never change meaning: scripts
// match on them (`mt4gw trade --json`), and docs/risk.md documents each one.

/** The checks evaluateOrder reports, every one of them in every decision, in this order. */
export const ORDER_CHECK_CODES = [
  'TRADING_HALTED',
  'TRADING_REDUCING',
  'ORDER_UNRESOLVED',
  'AGENT_DISABLED',
  'SYMBOL_NOT_ALLOWED',
  'SYMBOL_SPEC_UNKNOWN',
  'QUOTE_STALE',
  'ACCOUNT_DATA_INVALID',
  'SIZING_INVALID',
  'SIZE_BELOW_MIN_LOT',
  'LOTS_INVALID',
  'LOTS_NOT_STEP_MULTIPLE',
  'LOTS_BELOW_MIN',
  'LOTS_ABOVE_SYMBOL_MAX',
  'LOTS_ABOVE_AGENT_MAX',
  'MAX_POSITIONS_REACHED',
  'STOP_LOSS_REQUIRED',
  'SL_WRONG_SIDE',
  'TP_WRONG_SIDE',
  'SL_TOO_CLOSE',
  'TP_TOO_CLOSE',
  'RISK_PER_TRADE_EXCEEDED',
  'DAILY_LOSS_LIMIT_REACHED',
  'INSUFFICIENT_MARGIN',
] as const;

/** The checks evaluateClose reports for a close of all or part of a position, in this order. */
export const CLOSE_CHECK_CODES = [
  'CLOSE_LOTS_ABOVE_POSITION',
  'CLOSE_LOTS_NOT_STEP_MULTIPLE',
  'CLOSE_LOTS_BELOW_MIN',
  'CLOSE_REMAINDER_BELOW_MIN',
] as const;

/** Every code the library can emit: the order checks, the two only a modify can give, then the close checks. */
export const RISK_CODES = [...ORDER_CHECK_CODES, 'NO_CHANGE', 'STOP_LOOSENING_HALTED', ...CLOSE_CHECK_CODES] as const;

export type RiskCode = (typeof RISK_CODES)[number];

export type OrderCheckCode = (typeof ORDER_CHECK_CODES)[number];

/** The checks evaluateModify reports, every one of them in every decision, in this order. */
export const MODIFY_CHECK_CODES = [
  'QUOTE_STALE',
  'NO_CHANGE',
  'STOP_LOOSENING_HALTED',
  'SL_WRONG_SIDE',
  'TP_WRONG_SIDE',
  'SL_TOO_CLOSE',
  'TP_TOO_CLOSE',
] as const satisfies readonly RiskCode[];

export type ModifyCheckCode = (typeof MODIFY_CHECK_CODES)[number];

export type CloseCheckCode = (typeof CLOSE_CHECK_CODES)[number];

export interface RiskRuleInfo {
  /** One line: what the rule denies. */
  rule: string;
  /** Where its limit comes from: a key of an agent in agents.yml, the symbol spec, or an input. */
  source: string;
}

/** A one-line description of every code and the setting behind it (for `--help` and docs). */
export const RISK_RULES: Readonly<Record<RiskCode, RiskRuleInfo>> = {
  TRADING_HALTED: { rule: 'trading is halted: no new positions', source: 'trading state (global or agent halt)' },
  TRADING_REDUCING: { rule: 'trading is reducing-only: a new position adds exposure', source: 'trading state (global or agent)' },
  ORDER_UNRESOLVED: {
    rule: 'an earlier order on the agent was sent and its outcome is not known yet: it may still open',
    source: 'the journal’s orders in flight (mt4.max_order_age)',
  },
  AGENT_DISABLED: { rule: 'the agent is disabled: no new positions', source: 'enabled' },
  SYMBOL_NOT_ALLOWED: { rule: 'the symbol is not one of the agent’s pairs', source: 'risk.allowed_pairs, else strategy.pairs' },
  SYMBOL_SPEC_UNKNOWN: {
    rule: 'no usable symbol spec: lots and risk cannot be checked',
    source: 'bridge /symbol, or symbols: in agents.yml',
  },
  QUOTE_STALE: {
    rule: 'the quote is missing, invalid (bid/ask not positive, ask < bid) or too old',
    source: 'option maxQuoteAgeMs (default 120000)',
  },
  ACCOUNT_DATA_INVALID: { rule: 'the account snapshot cannot be used (balance, free margin or server_time)', source: 'bridge /account' },
  SIZING_INVALID: {
    rule: 'the sizing request is not usable (fraction not in (0, 1], amount not positive)',
    source: 'the order (--risk / --risk-money)',
  },
  SIZE_BELOW_MIN_LOT: { rule: 'sizing by risk gives less than the minimum lot (never rounded up)', source: 'symbol spec min_lot' },
  LOTS_INVALID: { rule: 'lots is not a positive finite number', source: 'the order' },
  LOTS_NOT_STEP_MULTIPLE: { rule: 'lots is not a multiple of the lot step', source: 'symbol spec lot_step' },
  LOTS_BELOW_MIN: { rule: 'lots is below the symbol’s minimum', source: 'symbol spec min_lot' },
  LOTS_ABOVE_SYMBOL_MAX: { rule: 'lots is above the symbol’s maximum', source: 'symbol spec max_lot' },
  LOTS_ABOVE_AGENT_MAX: { rule: 'lots is above the agent’s maximum', source: 'risk.max_lots' },
  MAX_POSITIONS_REACHED: { rule: 'the account already has max_positions open positions', source: 'risk.max_positions' },
  STOP_LOSS_REQUIRED: {
    rule: 'the order has no stop loss (required by config, and always when sizing by risk)',
    source: 'risk.require_stop_loss',
  },
  SL_WRONG_SIDE: { rule: 'the stop loss is not below the bid (buy) / above the ask (sell)', source: 'the quote' },
  TP_WRONG_SIDE: { rule: 'the take profit is not above the bid (buy) / below the ask (sell)', source: 'the quote' },
  SL_TOO_CLOSE: { rule: 'the stop loss is closer to the price than the broker’s stop level', source: 'symbol spec stop_level (points)' },
  TP_TOO_CLOSE: { rule: 'the take profit is closer to the price than the broker’s stop level', source: 'symbol spec stop_level (points)' },
  RISK_PER_TRADE_EXCEEDED: { rule: 'the loss at the stop loss exceeds balance × max_risk_per_trade', source: 'risk.max_risk_per_trade' },
  DAILY_LOSS_LIMIT_REACHED: {
    rule: 'today’s loss (realized since broker midnight + floating) reached max_daily_loss × day-start balance',
    source: 'risk.max_daily_loss',
  },
  INSUFFICIENT_MARGIN: {
    rule: 'lots × margin per lot exceeds the free margin',
    source: 'symbol spec margin_required, account free_margin',
  },
  NO_CHANGE: { rule: 'the modification changes neither the stop loss nor the take profit', source: 'the modify command' },
  STOP_LOOSENING_HALTED: { rule: 'under a halt a stop loss may only be added or tightened', source: 'trading state (halted)' },
  CLOSE_LOTS_ABOVE_POSITION: { rule: 'a partial close asks for more lots than the position holds', source: 'the position' },
  CLOSE_LOTS_NOT_STEP_MULTIPLE: {
    rule: 'the lots to close are not a multiple of the lot step',
    source: 'symbol spec lot_step, or symbols: in agents.yml',
  },
  CLOSE_LOTS_BELOW_MIN: {
    rule: 'the lots to close are below the symbol’s minimum lot',
    source: 'symbol spec min_lot, or symbols: in agents.yml',
  },
  CLOSE_REMAINDER_BELOW_MIN: {
    rule: 'a partial close would leave less than the symbol’s minimum lot open',
    source: 'symbol spec min_lot, or symbols: in agents.yml',
  },
};
