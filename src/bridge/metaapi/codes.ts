// MetaApi's trade result codes, turned into what the trading layer already knows: success, an MT4
// error code (whose retry rule is in ../mt4codes.ts), an outcome that is unknown (the order may have
// executed: looked up, never resent) or a request that provably never reached the broker.
// On MT4 accounts MetaApi keeps MQL4's numbers (128, 134, 146, …); MT5's 10xxx retcodes are mapped
// to their MT4 equivalents in case an account answers with them; MetaApi's own codes are negative.
import type { TradeRequest } from '../schemas.js';

export type TradeOutcome =
  | { kind: 'done' }
  /** A refusal with the MT4 code the trading layer acts on. */
  | { kind: 'failed'; code: number }
  /** It may have executed: the trading layer must look it up (a BridgeError with maybeExecuted). */
  | { kind: 'unknown' }
  /** It never reached the broker (MetaApi was not connected to it): not sent. */
  | { kind: 'not_sent' };

/** 0 ERR_NO_ERROR, 10008 PLACED, 10009 DONE, 10010 DONE_PARTIAL. */
const SUCCESS = new Set([0, 10008, 10009, 10010]);
/** 10025 TRADE_RETCODE_NO_CHANGES. */
const NO_CHANGES = 10025;

/** MT5 retcodes and the MT4 error that means the same (the MT4 code then decides what is retried). */
const MT5_TO_MT4: Readonly<Record<number, number>> = {
  10004: 138, // requote
  10006: 2, // request rejected
  10007: 2, // canceled by the trader
  10013: 3, // invalid request
  10014: 131, // invalid volume
  10015: 129, // invalid price
  10016: 130, // invalid stops
  10017: 133, // trade disabled
  10018: 132, // market closed
  10019: 134, // not enough money
  10020: 135, // prices changed
  10021: 136, // no quotes
  10022: 3, // invalid expiration
  10024: 141, // too frequent requests
  10026: 133, // autotrading disabled by the server
  10027: 4109, // autotrading disabled by the client
  10028: 139, // locked for processing
  10029: 145, // frozen
  10030: 3, // invalid fill type
  10031: 6, // no connection with the trade server
  10033: 148, // pending orders limit
  10034: 148, // volume limit
};

/** MetaApi's own codes with their names (the answer's stringCode says the same, when present). */
export const METAAPI_CODES: Readonly<Record<number, string>> = {
  [-11]: 'TRADE_RETCODE_DISCONNECTED_DURING_TRADE',
  [-10]: 'TRADE_RETCODE_DISCONNECTED_BEFORE_TRADE',
  [-8]: 'ERR_TRADE_NOT_ALLOWED_INVESTOR',
  [-7]: 'ERR_TRADE_TIMED_OUT',
  [-5]: 'ERR_NOT_SYNCHRONIZED',
};

/**
 * What a numericCode means for this request. An opening order is treated with the most care:
 * whatever does not prove it was refused before executing is unknown.
 */
export function classify(numericCode: number, action: TradeRequest['action']): TradeOutcome {
  if (SUCCESS.has(numericCode)) return { kind: 'done' };
  // Nothing to change: a modify that is already so. For anything else it proves nothing.
  if (numericCode === NO_CHANGES) return action === 'modify' ? { kind: 'failed', code: 1 } : { kind: 'unknown' };
  if (numericCode === -10 || numericCode === -5) return { kind: 'not_sent' };
  // -11 disconnected during the trade, -7 timed out: the broker may have executed it.
  if (numericCode === -11 || numericCode === -7) return { kind: 'unknown' };
  // MT4's ERR_NO_RESULT: a modify that changed nothing; for an order or a close it proves nothing.
  if (numericCode === 1) return action === 'modify' ? { kind: 'failed', code: 1 } : { kind: 'unknown' };
  // 10012 TRADE_RETCODE_TIMEOUT: canceled by timeout, says MT5 — not something to bet an order on.
  if (numericCode === 10012) return { kind: 'unknown' };
  const mapped = MT5_TO_MT4[numericCode];
  if (mapped !== undefined) return { kind: 'failed', code: mapped };
  if (numericCode === -8) return { kind: 'failed', code: -8 };
  if (numericCode < 0 || numericCode >= 10000) return { kind: 'unknown' };
  // An MQL4 error number: MT4's own rule (128 is looked up, 146 retried, 134 final …).
  return { kind: 'failed', code: numericCode };
}

/** `-11 TRADE_RETCODE_DISCONNECTED_DURING_TRADE`, for messages. */
export function codeName(numericCode: number, stringCode: string): string {
  const name = stringCode || METAAPI_CODES[numericCode] || '';
  return name ? `${numericCode} ${name}` : String(numericCode);
}
