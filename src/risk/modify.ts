// evaluateModify: the rules for `modify <ticket> --sl --tp` on an open position.
//
// A modify adds no exposure, so only a halt restricts it, and only for the stop loss: under a
// halt an SL may be added or tightened (moved toward the price, reducing the loss at stop) but not
// loosened or removed. TP changes are always allowed; under 'reducing' any stop change is.
import { MODIFY_CHECK_CODES, type ModifyCheckCode } from './codes.js';
import { DEFAULT_MAX_QUOTE_AGE_MS, Recorder, assessQuote, isValidPrice, normalizeStop, recordStopChecks, specProblems } from './checks.js';
import { clean, formatPrice } from './format.js';
import { lossAtStop, stepDecimals } from './sizing.js';
import type { ModifyDecision, ModifyFigures, ModifyInput, Side, StopChange, SymbolSpecInput } from './types.js';

/** Two stop prices are the same when within half a point (MT4 rounds to the point anyway). */
function sameStop(a: number | null, b: number | null, point: number | null): boolean {
  if (a === null || b === null) return a === b;
  const tolerance = point !== null ? point / 2 : 1e-9 * Math.max(1, Math.abs(a));
  return Math.abs(a - b) < tolerance;
}

/** How the SL moves: toward the price (tightened: up for a buy, down for a sell) or away. */
export function classifySlChange(side: Side, oldSl: number | null, newSl: number | null, point: number | null = null): StopChange {
  if (newSl !== null && !isValidPrice(newSl)) return 'invalid';
  if (sameStop(oldSl, newSl, point)) return 'unchanged';
  if (oldSl === null) return 'added';
  if (newSl === null) return 'removed';
  const towardPrice = side === 'buy' ? newSl > oldSl : newSl < oldSl;
  return towardPrice ? 'tightened' : 'loosened';
}

function classifyTpChange(oldTp: number | null, newTp: number | null, point: number | null): StopChange {
  if (newTp !== null && !isValidPrice(newTp)) return 'invalid';
  if (sameStop(oldTp, newTp, point)) return 'unchanged';
  if (oldTp === null) return 'added';
  if (newTp === null) return 'removed';
  return 'moved';
}

/** Loss if stopped out at `sl`, relative to the open price; negative when the SL locks in profit. */
function signedLossAtStop(
  side: Side,
  openPrice: number,
  sl: number | null,
  lots: number | undefined,
  spec: SymbolSpecInput | undefined,
): number | null {
  if (sl === null || !isValidPrice(sl) || lots === undefined || !spec) return null;
  const loss = lossAtStop(openPrice, sl, lots, spec);
  const adverse = side === 'buy' ? sl < openPrice : sl > openPrice;
  return clean(adverse ? loss : -loss);
}

/** Evaluates a change of a position's SL/TP. Pure: the clock is `input.now`. */
export function evaluateModify(input: ModifyInput): ModifyDecision {
  const { position, trading, now } = input;
  const maxAgeMs = input.options?.maxQuoteAgeMs ?? DEFAULT_MAX_QUOTE_AGE_MS;
  const r = new Recorder<ModifyCheckCode>();
  // An unusable spec is ignored: only the stop-level checks need it, and the broker enforces
  // those anyway. Denying here would block adding a protective stop.
  const spec = input.spec && specProblems(input.spec).length === 0 ? input.spec : undefined;
  const digits = spec ? spec.digits : null;
  const point = spec ? spec.point : null;
  const px = (x: number | null): string => (x === null ? 'none' : formatPrice(x, digits));
  const side = position.type;

  const oldSl = normalizeStop(position.sl);
  const oldTp = normalizeStop(position.tp);
  const newSl = input.sl === undefined ? oldSl : normalizeStop(input.sl);
  const newTp = input.tp === undefined ? oldTp : normalizeStop(input.tp);
  const slChange = classifySlChange(side, oldSl, newSl, point);
  const tpChange = classifyTpChange(oldTp, newTp, point);

  const quote = assessQuote(input.quote, now, maxAgeMs, digits);
  if (quote.status === 'pass') r.pass('QUOTE_STALE', quote.message);
  else r.fail('QUOTE_STALE', quote.message, quote.detail);
  const stopRef = side === 'buy' ? quote.bid : quote.ask;

  if (slChange === 'unchanged' && tpChange === 'unchanged') {
    r.fail('NO_CHANGE', `the modification changes nothing: SL ${px(oldSl)}, TP ${px(oldTp)}`, { sl: oldSl ?? 'none', tp: oldTp ?? 'none' });
  } else r.pass('NO_CHANGE', `SL ${slChange}, TP ${tpChange}`);

  const { state } = trading;
  const halted = state !== 'active' && state !== 'reducing'; // an unknown state counts as halted
  if (!halted) r.pass('STOP_LOOSENING_HALTED', `trading is ${state}: any stop change is allowed`);
  else if (slChange === 'invalid') r.skip('STOP_LOOSENING_HALTED', 'the new SL is not a valid price (see SL_WRONG_SIDE)');
  else if (slChange === 'loosened' || slChange === 'removed') {
    const because = trading.reason ? ` (${trading.reason})` : '';
    const what = slChange === 'removed' ? `remove it (now ${px(oldSl)})` : `move it away from the price, ${px(oldSl)} → ${px(newSl)}`;
    r.fail('STOP_LOOSENING_HALTED', `trading is halted${because}: a stop loss may only be added or tightened; this would ${what}`, {
      old_sl: oldSl ?? 'none',
      new_sl: newSl ?? 'none',
      state: String(state),
      ...(trading.reason ? { reason: trading.reason } : {}),
    });
  } else r.pass('STOP_LOOSENING_HALTED', `trading is halted; SL ${slChange}: allowed`);

  // Only a stop that is being set is checked against the price; an unchanged one stands as it is.
  const skipFor = (change: StopChange, label: string): string | undefined =>
    change === 'unchanged' ? `${label} unchanged` : change === 'removed' ? `${label} removed` : undefined;
  const slSkip = skipFor(slChange, 'SL');
  const tpSkip = skipFor(tpChange, 'TP');
  recordStopChecks(r, { kind: 'sl', side, value: newSl, ref: stopRef, spec, digits, ...(slSkip ? { skipReason: slSkip } : {}) });
  recordStopChecks(r, { kind: 'tp', side, value: newTp, ref: stopRef, spec, digits, ...(tpSkip ? { skipReason: tpSkip } : {}) });

  const { checks, violations } = r.result(MODIFY_CHECK_CODES);
  const figures: ModifyFigures = {
    ticket: position.ticket ?? null,
    symbol: position.symbol ?? null,
    side,
    digits,
    lotDecimals: spec ? stepDecimals(spec.lot_step) : null,
    stopReferencePrice: stopRef,
    sl: { old: oldSl, new: newSl, change: slChange },
    tp: { old: oldTp, new: newTp, change: tpChange },
    lossAtOldSl: signedLossAtStop(side, position.open_price, oldSl, position.lots, spec),
    lossAtNewSl: signedLossAtStop(side, position.open_price, newSl, position.lots, spec),
    quoteAgeMs: quote.ageMs,
  };
  return { allowed: violations.length === 0, violations, checks, figures };
}
