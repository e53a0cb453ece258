// evaluateClose: the lot rules of a full or partial close, with their codes.
import { describe, expect, it } from 'vitest';
import { CLOSE_CHECK_CODES, evaluateClose } from '../../src/risk/index.js';

const spec = { min_lot: 0.1, lot_step: 0.1 };
const codes = (lots: number | undefined, held = 0.3, s: typeof spec | undefined = spec) =>
  evaluateClose({ position: { lots: held }, lots, spec: s }).violations.map((v) => v.code);

describe('evaluateClose', () => {
  it('all of a position is always allowed, whatever the spec says', () => {
    expect(codes(undefined)).toEqual([]);
    expect(codes(0.3)).toEqual([]);
    expect(codes(0.05, 0.05)).toEqual([]);
  });
  it('reports every check, in order', () => {
    expect(evaluateClose({ position: { lots: 0.3 }, lots: 0.1, spec }).checks.map((c) => c.code)).toEqual([...CLOSE_CHECK_CODES]);
  });
  it('more than the position holds', () => {
    expect(codes(0.4)).toEqual(['CLOSE_LOTS_ABOVE_POSITION']);
  });
  it('a partial close must be a multiple of the step, at least the minimum, and leave at least the minimum', () => {
    expect(codes(0.1)).toEqual([]);
    expect(codes(0.15)).toEqual(['CLOSE_LOTS_NOT_STEP_MULTIPLE']);
    expect(codes(0.05, 0.3)).toEqual(['CLOSE_LOTS_NOT_STEP_MULTIPLE', 'CLOSE_LOTS_BELOW_MIN']);
    expect(codes(0.25, 0.3)).toEqual(['CLOSE_LOTS_NOT_STEP_MULTIPLE', 'CLOSE_REMAINDER_BELOW_MIN']);
  });
  it('the remainder is what stays open, without float noise', () => {
    const d = evaluateClose({ position: { lots: 0.3 }, lots: 0.1, spec });
    expect(d.figures).toMatchObject({ lots: 0.1, positionLots: 0.3, remainder: 0.2, partial: true });
  });
  it('without a spec the lot rules are skipped with why (the terminal checks them)', () => {
    const d = evaluateClose({ position: { lots: 0.3 }, lots: 0.15, spec: undefined });
    expect(d.allowed).toBe(true);
    expect(d.checks.filter((c) => c.status === 'skipped').map((c) => c.message)).toEqual(
      Array(3).fill('no symbol spec: the terminal checks the lots'),
    );
  });
});
