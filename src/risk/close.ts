// evaluateClose: the lot rules of a close. All of a position can always be closed; part of it only
// in lots the symbol accepts, leaving at least its minimum lot open (MT4 refuses the rest, or leaves
// a remainder no order can close in part again).
import { CLOSE_CHECK_CODES, type CloseCheckCode } from './codes.js';
import { Recorder } from './checks.js';
import { formatLots } from './format.js';
import { isStepMultiple, stepDecimals } from './sizing.js';
import type { CloseDecision, CloseInput } from './types.js';

const EPS = 1e-9;

export function evaluateClose(input: CloseInput): CloseDecision {
  const r = new Recorder<CloseCheckCode>();
  const held = input.position.lots;
  const lots = input.lots ?? held;
  const partial = lots < held - EPS;
  const lotDecimals = input.spec ? stepDecimals(input.spec.lot_step) : null;
  const lt = (x: number) => formatLots(x, lotDecimals);
  const remainder = partial ? Number((held - lots).toFixed(8)) : 0;

  if (lots > held + EPS) {
    r.fail('CLOSE_LOTS_ABOVE_POSITION', `closing ${lt(lots)} lots is more than the position holds (${lt(held)})`, {
      lots,
      position_lots: held,
    });
  } else r.pass('CLOSE_LOTS_ABOVE_POSITION', `${lt(lots)} of ${lt(held)} lots`);

  if (!partial) {
    for (const code of ['CLOSE_LOTS_NOT_STEP_MULTIPLE', 'CLOSE_LOTS_BELOW_MIN', 'CLOSE_REMAINDER_BELOW_MIN'] as const) {
      r.skip(code, lots > held + EPS ? 'more than the position holds' : 'all of the position is closed');
    }
  } else if (!input.spec) {
    for (const code of ['CLOSE_LOTS_NOT_STEP_MULTIPLE', 'CLOSE_LOTS_BELOW_MIN', 'CLOSE_REMAINDER_BELOW_MIN'] as const) {
      r.skip(code, 'no symbol spec: the terminal checks the lots');
    }
  } else {
    const { lot_step: step, min_lot: min } = input.spec;
    if (isStepMultiple(lots, step)) r.pass('CLOSE_LOTS_NOT_STEP_MULTIPLE', `a multiple of the lot step ${lt(step)}`);
    else r.fail('CLOSE_LOTS_NOT_STEP_MULTIPLE', `${lt(lots)} lots is not a multiple of the lot step ${lt(step)}`, { lots, step });
    if (lots >= min - EPS) r.pass('CLOSE_LOTS_BELOW_MIN', `at least the minimum lot ${lt(min)}`);
    else r.fail('CLOSE_LOTS_BELOW_MIN', `${lt(lots)} lots is below the minimum lot ${lt(min)}`, { lots, min_lot: min });
    if (remainder >= min - EPS) r.pass('CLOSE_REMAINDER_BELOW_MIN', `${lt(remainder)} lots stay open`);
    else {
      r.fail(
        'CLOSE_REMAINDER_BELOW_MIN',
        `closing ${lt(lots)} of ${lt(held)} lots would leave ${lt(remainder)}, below the minimum lot ${lt(min)}: close all of it, or less of it`,
        { lots, position_lots: held, remainder, min_lot: min },
      );
    }
  }
  const { checks, violations } = r.result(CLOSE_CHECK_CODES);
  return {
    allowed: violations.length === 0,
    violations,
    checks,
    figures: { lots, positionLots: held, remainder, partial, lotDecimals, digits: null },
  };
}
