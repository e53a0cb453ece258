// MT4 trade error codes a client must know (bridge-protocol-v1.md), with what is safe to do next.

/**
 * - `none`: success
 * - `noop`: nothing changed
 * - `never`: do not retry as is
 * - `pause`: safe to retry after a pause (the request was not executed)
 * - `backoff`: safe to retry, backing off
 * - `requote`: safe to retry with a fresh quote, bounded
 * - `lookup`: the order may have been executed — read positions/history back before anything else
 * - `reconnect`: retry only after the terminal reconnects
 */
export type RetryPolicy = 'none' | 'noop' | 'never' | 'pause' | 'backoff' | 'requote' | 'lookup' | 'reconnect';

export interface Mt4Code {
  code: number;
  meaning: string;
  retry: RetryPolicy;
  /** What the user should do about it. */
  advice: string;
}

const TABLE: Mt4Code[] = [
  { code: 0, meaning: 'no error', retry: 'none', advice: '' },
  { code: 1, meaning: 'no result (nothing changed)', retry: 'noop', advice: 'The request asked for what is already the case.' },
  { code: 2, meaning: 'common error', retry: 'never', advice: 'Check the terminal journal for the cause.' },
  {
    code: 3,
    meaning: 'invalid trade parameters',
    retry: 'never',
    advice: 'Check lots, prices and stops against the symbol spec (`mt4gw tick`).',
  },
  { code: 4, meaning: 'trade server busy', retry: 'pause', advice: 'Try again shortly.' },
  {
    code: 6,
    meaning: 'no connection with the trade server',
    retry: 'reconnect',
    advice: 'Wait until the terminal reconnects to the broker, then try again.',
  },
  { code: 8, meaning: 'too frequent requests', retry: 'backoff', advice: 'Slow down and try again.' },
  {
    code: 128,
    meaning: 'trade timeout',
    retry: 'lookup',
    advice: 'The order may have been filled: check `mt4gw positions` before sending again.',
  },
  { code: 129, meaning: 'invalid price', retry: 'requote', advice: 'The price moved; try again.' },
  {
    code: 130,
    meaning: 'invalid stops',
    retry: 'never',
    advice: "Move SL/TP further from the price (the symbol's stop level) or to the right side.",
  },
  {
    code: 131,
    meaning: 'invalid trade volume',
    retry: 'never',
    advice: "Use lots that are a multiple of the symbol's lot step, within its min and max.",
  },
  { code: 132, meaning: 'market is closed', retry: 'never', advice: 'Wait until the market opens.' },
  { code: 133, meaning: 'trade is disabled', retry: 'never', advice: 'Trading is disabled for this symbol or account at the broker.' },
  { code: 134, meaning: 'not enough money', retry: 'never', advice: 'Reduce the lots or free margin first.' },
  { code: 135, meaning: 'price changed', retry: 'requote', advice: 'The price moved; try again.' },
  { code: 136, meaning: 'off quotes', retry: 'requote', advice: 'The broker gave no price; try again.' },
  { code: 137, meaning: 'broker is busy', retry: 'pause', advice: 'Try again shortly.' },
  { code: 138, meaning: 'requote', retry: 'requote', advice: 'The price moved; try again.' },
  { code: 139, meaning: 'order is locked', retry: 'pause', advice: 'The order is being processed; try again shortly.' },
  { code: 141, meaning: 'too many requests', retry: 'backoff', advice: 'Slow down and try again.' },
  {
    code: 145,
    meaning: 'modification denied: too close to market',
    retry: 'pause',
    advice: 'The price is within the freeze level; try again when it moves away.',
  },
  { code: 146, meaning: 'trade context busy', retry: 'backoff', advice: 'Another trade is running in the terminal; try again.' },
  {
    code: 148,
    meaning: 'too many open and pending orders',
    retry: 'never',
    advice: "The broker's order limit is reached; close something first.",
  },
  { code: 149, meaning: 'hedging prohibited', retry: 'never', advice: 'The account does not allow opposite positions on one symbol.' },
  { code: 150, meaning: 'prohibited by FIFO rules', retry: 'never', advice: 'Close the oldest position on this symbol first.' },
  { code: 4106, meaning: 'unknown symbol', retry: 'never', advice: 'Check the symbol name the broker uses (suffixes such as XAUUSD.m).' },
  { code: 4108, meaning: 'invalid ticket', retry: 'never', advice: 'The ticket is already closed or never existed (`mt4gw positions`).' },
  {
    code: 4109,
    meaning: 'trading not allowed in the terminal',
    retry: 'never',
    advice: "Enable 'Allow live trading' for the EA and AutoTrading in the terminal.",
  },
];

const BY_CODE = new Map(TABLE.map((c) => [c.code, c]));

export function mt4Code(code: number): Mt4Code {
  return BY_CODE.get(code) ?? { code, meaning: `MT4 error ${code}`, retry: 'never', advice: 'See the MT4 error code reference.' };
}

/** Codes after which the request provably did not execute and may be sent again (bounded). */
export function isSafeToRetry(code: number): boolean {
  const r = mt4Code(code).retry;
  return r === 'pause' || r === 'backoff' || r === 'requote';
}

export const MT4_CODES: readonly Mt4Code[] = TABLE;
