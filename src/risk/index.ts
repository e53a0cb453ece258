// The risk library: pure pre-trade rules shared by trade, modify, preview and the sim.
// It imports nothing outside src/risk; callers pass plain data (bridge wire types fit as they are).
export { RISK_CODES, ORDER_CHECK_CODES, MODIFY_CHECK_CODES, CLOSE_CHECK_CODES, RISK_RULES } from './codes.js';
export type { RiskCode, OrderCheckCode, ModifyCheckCode, CloseCheckCode, RiskRuleInfo } from './codes.js';
export { evaluateClose } from './close.js';
export { evaluateOrder, limitsFromAgent } from './evaluate.js';
export { evaluateModify, classifySlChange } from './modify.js';
export { DEFAULT_MAX_QUOTE_AGE_MS } from './checks.js';
export {
  STEP_SNAP,
  MONEY_TOLERANCE,
  roundDownToStep,
  isStepMultiple,
  stepDecimals,
  lossAtStop,
  sizeByRisk,
} from './sizing.js';
export type { SizingInput, SizingResult, SizingSpec, TickSpec } from './sizing.js';
export { brokerDayStart, parseIsoTime, dailyPnl, netPnl } from './daily.js';
export type { BrokerDay, ParsedTime, DailyPnl, DailyPnlInput } from './daily.js';
export {
  DETAIL_KINDS,
  clean,
  roundCents,
  formatMoney,
  formatPercent,
  decimalsToTell,
  formatLots,
  formatRawLots,
  formatPrice,
  formatDetailValue,
  formatViolation,
  formatViolations,
  formatCheck,
} from './format.js';
export type { DetailKind } from './format.js';
export type * from './types.js';
