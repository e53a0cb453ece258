// Input and output types of the risk library. They are structural on purpose: src/risk imports
// nothing from bridge, config or trading, yet the bridge's wire types (Account, Tick, SymbolSpec,
// Position, ClosedTrade) and AgentConfig satisfy them as they are. Field names inside the data
// objects follow the wire (snake_case); the top-level input fields are the library's own.
import type { CloseCheckCode, ModifyCheckCode, OrderCheckCode, RiskCode } from './codes.js';

export type Side = 'buy' | 'sell';

/** Global and per-agent trading state, combined by the caller (the stricter one wins). */
export type TradingStateValue = 'active' | 'reducing' | 'halted';

export interface TradingState {
  state: TradingStateValue;
  /** Why (e.g. "halted by panic at 10:15"); shown in TRADING_* violations. */
  reason?: string;
}

/** Size an order by the money it may lose at its stop loss. */
export type SizingRequest =
  | { kind: 'percent' /** of the balance, 0.01 = 1 % */; fraction: number }
  | { kind: 'money' /** account currency */; amount: number };

interface OrderBase {
  agentId: string;
  side: Side;
  symbol: string;
  /** undefined, null or 0: no stop loss. */
  sl?: number | null;
  /** undefined, null or 0: no take profit. */
  tp?: number | null;
}

/** An order gives either its lots or a sizing request, never both. */
export type OrderRequest = OrderBase & ({ lots: number; sizing?: undefined } | { sizing: SizingRequest; lots?: undefined });

/** The agent's limits: the `risk:` block of agents.yml, pairs already resolved (limitsFromAgent). */
export interface RiskLimits {
  enabled: boolean;
  /** risk.allowed_pairs when set, else strategy.pairs. */
  pairs: readonly string[];
  /** Which config key `pairs` came from; only used in messages. */
  pairsKey?: 'risk.allowed_pairs' | 'strategy.pairs';
  max_lots?: number;
  max_positions: number;
  /** Fraction of the balance, 0.01 = 1 %. */
  max_risk_per_trade: number;
  /** Fraction of the day's starting balance, 0.05 = 5 %. */
  max_daily_loss: number;
  require_stop_loss: boolean;
}

/** The part of an AgentConfig limitsFromAgent reads (AgentConfig satisfies it). */
export interface AgentRiskConfig {
  enabled: boolean;
  strategy: { pairs: readonly string[] };
  risk: {
    max_risk_per_trade: number;
    max_daily_loss: number;
    max_positions: number;
    allowed_pairs?: readonly string[];
    max_lots?: number;
    require_stop_loss: boolean;
  };
}

export interface AccountSnapshot {
  balance: number;
  free_margin: number;
  currency: string;
  /** The broker's clock, ISO-8601 with the broker's UTC offset (e.g. +02:00). */
  server_time: string;
  /** Not used by any rule; accepted so a whole /account reply can be passed. */
  equity?: number;
  leverage?: number;
}

export interface OpenPosition {
  symbol: string;
  type: Side;
  lots: number;
  open_price: number;
  /** null (or 0) means none. */
  sl: number | null;
  tp: number | null;
  /** Account currency; excludes swap and commission. */
  profit: number;
  swap: number;
  commission: number;
}

export interface Quote {
  bid: number;
  ask: number;
  /** ISO-8601 with an offset or Z. */
  timestamp: string;
}

/** The terminal's MarketInfo for the symbol (bridge /symbol or the fallback table). */
export interface SymbolSpecInput {
  digits: number;
  point: number;
  tick_size: number;
  /** Account currency per tick per lot: already converted, so USDJPY on a USD account is right. */
  tick_value: number;
  min_lot: number;
  lot_step: number;
  max_lot: number;
  /** Minimum distance of SL/TP from the price, in points. */
  stop_level: number;
  /** Margin for one lot, account currency. */
  margin_required: number;
}

export interface ClosedTradeInput {
  /** ISO-8601 with an offset or Z. */
  close_time: string;
  profit: number;
  swap: number;
  commission: number;
}

export interface RiskOptions {
  /** A quote older than this (relative to `now`) is stale. Default 120000. */
  maxQuoteAgeMs?: number;
}

/** An earlier opening order of the agent whose outcome is not known yet (it may still open). */
export interface InFlightOrder {
  orderId: string;
  /** When it was sent (ISO). */
  sentAt: string;
  /** Its age on the terminal's clock, ms; null when unknown. */
  ageMs: number | null;
  /** The age after which it can be proven never to open (mt4.max_order_age), ms. */
  maxAgeMs: number;
}

export interface OrderInput {
  order: OrderRequest;
  /** Earlier orders of this agent still in flight: any one denies a new order (ORDER_UNRESOLVED). */
  inFlight?: readonly InFlightOrder[];
  limits: RiskLimits;
  account: AccountSnapshot;
  /** All open positions of the agent's account. */
  positions: readonly OpenPosition[];
  /** undefined when the bridge gave none. */
  quote: Quote | undefined;
  /** undefined when unknown (no /symbol and no fallback). */
  spec: SymbolSpecInput | undefined;
  /** Trades closed today (may include older ones: they are filtered by the broker's day). */
  closedToday: readonly ClosedTradeInput[];
  /**
   * How today's loss can be known. 'history' (the default): realized since the broker's midnight
   * from closedToday, plus floating. 'equity': the bridge has no trade history (closedToday means
   * nothing), so the loss is estimated from equity against balance — losses realized earlier today
   * are not counted, and the decision says so.
   */
  dailyLossBasis?: 'history' | 'equity';
  trading: TradingState;
  /** The clock, epoch ms. */
  now: number;
  options?: RiskOptions;
}

/** The position being modified (a bridge Position satisfies it). */
export interface ModifyPosition {
  ticket?: number;
  symbol?: string;
  type: Side;
  open_price: number;
  /** Needed only for the loss-at-stop figures. */
  lots?: number;
  sl: number | null;
  tp: number | null;
}

export interface ModifyInput {
  position: ModifyPosition;
  /** undefined: unchanged; null or 0: remove. */
  sl?: number | null;
  /** undefined: unchanged; null or 0: remove. */
  tp?: number | null;
  quote: Quote | undefined;
  spec: SymbolSpecInput | undefined;
  trading: TradingState;
  now: number;
  options?: RiskOptions;
}

export type CheckStatus = 'pass' | 'fail' | 'skipped';

export interface Check<C extends RiskCode = RiskCode> {
  code: C;
  status: CheckStatus;
  /** What was compared (pass), what is wrong (fail) or why it could not be evaluated (skipped). */
  message: string;
}

export interface Violation {
  code: RiskCode;
  message: string;
  /** Raw numbers (float noise trimmed) and strings; formatViolation renders them. */
  detail: Record<string, string | number>;
}

/** What the formatter needs to render prices and lots. */
export interface FormatContext {
  /** The symbol's digits; null when unknown. */
  digits?: number | null;
  /** Decimals of the lot step; null when unknown. */
  lotDecimals?: number | null;
}

export interface OrderFigures extends FormatContext {
  agentId: string;
  symbol: string;
  side: Side;
  currency: string;
  digits: number | null;
  lotDecimals: number | null;
  sizing: SizingRequest | null;
  /** Lots as given; when sizing, the raw lots the risk money buys, before rounding. */
  requestedLots: number | null;
  /** Lots that would be sent (after sizing, rounding and capping); null when none can be. */
  lots: number | null;
  /** Ask for a buy, bid for a sell. */
  entryPrice: number | null;
  /** The price SL/TP are checked against: bid for a buy, ask for a sell. */
  stopReferencePrice: number | null;
  sl: number | null;
  tp: number | null;
  /** Money the sizing request asked to risk. */
  sizingRiskMoney: number | null;
  /** What capped the sized lots below what the risk money buys: risk.max_lots or the symbol's max_lot. */
  cappedBy: 'max_lots' | 'max_lot' | null;
  /** Loss at the stop loss with `lots`; null when there is no SL or it cannot be computed. */
  riskMoney: number | null;
  /** riskMoney as a percentage of the balance (1 = 1 %). */
  riskPercent: number | null;
  riskLimitMoney: number | null;
  marginNeeded: number | null;
  freeMargin: number | null;
  openPositions: number;
  /** Realized P/L (profit + swap + commission) of trades closed since the broker's midnight. */
  realizedToday: number | null;
  /** P/L (profit + swap + commission) of the open positions. */
  floatingPnl: number | null;
  /** realizedToday + floatingPnl. */
  dailyPnl: number | null;
  dailyLossLimitMoney: number | null;
  /** balance − realizedToday. */
  dayStartBalance: number | null;
  /** The broker's midnight, ISO with the broker's offset. */
  brokerDayStart: string | null;
  quoteAgeMs: number | null;
}

export type StopChange = 'unchanged' | 'added' | 'removed' | 'tightened' | 'loosened' | 'moved' | 'invalid';

export interface ModifyFigures extends FormatContext {
  ticket: number | null;
  symbol: string | null;
  side: Side;
  digits: number | null;
  lotDecimals: number | null;
  /** Bid for a buy position, ask for a sell position. */
  stopReferencePrice: number | null;
  sl: { old: number | null; new: number | null; change: StopChange };
  tp: { old: number | null; new: number | null; change: StopChange };
  /** Loss at the old / new SL relative to the open price (negative: profit locked in); null when unknown. */
  lossAtOldSl: number | null;
  lossAtNewSl: number | null;
  quoteAgeMs: number | null;
}

export interface Decision<F extends FormatContext = OrderFigures, C extends RiskCode = RiskCode> {
  /** True only when no check failed. */
  allowed: boolean;
  /** Every failed check, not the first only. */
  violations: Violation[];
  /** Every rule, in the order of ORDER_CHECK_CODES / MODIFY_CHECK_CODES. */
  checks: Check<C>[];
  figures: F;
}

export type OrderDecision = Decision<OrderFigures, OrderCheckCode>;
export type ModifyDecision = Decision<ModifyFigures, ModifyCheckCode>;

/** A close of all of a position, or of part of it (lots). */
export interface CloseInput {
  position: { lots: number; symbol?: string };
  /** undefined: all of it. */
  lots?: number | undefined;
  /** undefined when unknown: the lot rules are then skipped (MT4 still checks them). */
  spec: Pick<SymbolSpecInput, 'min_lot' | 'lot_step'> | undefined;
}

export interface CloseFigures extends FormatContext {
  lots: number;
  positionLots: number;
  /** What stays open after the close. */
  remainder: number;
  partial: boolean;
}

export type CloseDecision = Decision<CloseFigures, CloseCheckCode>;
