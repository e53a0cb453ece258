// Unit tests of the command-line parsers for durations and points in time: each option's one
// range, the unit rule (a number alone is seconds only where a person means seconds), and real
// calendar dates. The end-to-end refusals (exit 2, nothing sent) are in reliability/bad-input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import {
  DURATION_RULES,
  durationRange,
  parseDuration,
  type DurationFlag,
  MAX_AGE_DAYS,
  parseTimeArg,
  TIME_RANGE,
} from '../src/commands/args.js';
import { EXIT, UsageError } from '../src/errors.js';

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(EXIT.USAGE);
    return e as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

const FLAGS = Object.keys(DURATION_RULES) as DurationFlag[];

describe('parseDuration', () => {
  it('a number with a unit: ms, s or m', () => {
    expect(parseDuration('500ms', '--timeout')).toBe(500);
    expect(parseDuration('3s', '--timeout')).toBe(3000);
    expect(parseDuration(' 1.5m ', '--deadline')).toBe(90_000);
    expect(parseDuration('1.5s', '--deadline')).toBe(1500);
  });

  it('a number alone is seconds for --deadline and --interval, refused for --timeout with the two spellings meant', () => {
    expect(parseDuration('30', '--deadline')).toBe(30_000);
    expect(parseDuration('2', '--interval')).toBe(2000);
    expect(parseDuration('0.5', '--interval')).toBe(500);
    const e = usage(() => parseDuration('3', '--timeout'));
    expect(e.message).toBe('--timeout 3 has no unit');
    expect(e.hint).toBe('Write 3s or 3000ms (1ms to 10m, with a unit: ms, s or m).');
    expect(usage(() => parseDuration('0.25', '--timeout')).hint).toMatch(/^Write 0\.25s or 250ms /);
  });

  it('each option takes exactly its range, and says it', () => {
    expect(durationRange('--timeout')).toBe('1ms to 10m, with a unit: ms, s or m');
    expect(durationRange('--deadline')).toBe('1s to 60m; a number alone is seconds');
    expect(durationRange('--interval')).toBe('250ms to 60m; a number alone is seconds');
    for (const flag of FLAGS) {
      const { minMs, maxMs } = DURATION_RULES[flag];
      expect(parseDuration(`${minMs}ms`, flag)).toBe(minMs);
      expect(parseDuration(`${maxMs}ms`, flag)).toBe(maxMs);
      for (const out of [`${minMs - 0.5}ms`, `${maxMs + 1}ms`, '0', '0s', '0ms']) {
        const e = usage(() => parseDuration(out, flag));
        expect(e.message).toBe(`${flag} ${out} is out of range: ${durationRange(flag)}`);
      }
    }
  });

  it('anything else is not a duration: signs, exponents, hours, words, nothing', () => {
    for (const bad of ['-1s', '1e3ms', '2h', '1 s', 'soon', '', 's', '.5s', '1,5s', 'Infinity', 'NaN']) {
      const e = usage(() => parseDuration(bad, '--deadline'));
      expect(e.message).toBe(`--deadline ${JSON.stringify(bad)} is not a duration`);
      expect(e.hint).toContain('1s to 60m');
    }
  });

  it('any text: a value within the range or a UsageError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.double({ noNaN: false }), fc.constantFrom('', 'ms', 's', 'm', 'h')).map(([n, u]) => `${n}${u}`),
        ),
        fc.constantFrom(...FLAGS),
        (text, flag) => {
          try {
            const ms = parseDuration(text, flag);
            expect(Number.isInteger(ms)).toBe(true);
            expect(ms).toBeGreaterThanOrEqual(DURATION_RULES[flag].minMs);
            expect(ms).toBeLessThanOrEqual(DURATION_RULES[flag].maxMs);
          } catch (e) {
            expect(e).toBeInstanceOf(UsageError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("every duration option's --help states its range", () => {
    const program = buildProgram();
    const help = (name?: string) => (name ? program.commands.find((c) => c.name() === name)! : program).helpInformation();
    const squash = (s: string) => s.replace(/\s+/g, ' ');
    expect(squash(help())).toContain(durationRange('--timeout'));
    expect(squash(help('panic'))).toContain(durationRange('--deadline'));
    expect(squash(help('close-all'))).toContain(durationRange('--deadline'));
    expect(squash(help('watch'))).toContain(durationRange('--interval'));
    expect(squash(help('history'))).toContain(TIME_RANGE);
    expect(squash(help('journal'))).toContain(TIME_RANGE);
  });
});

describe('parseTimeArg', () => {
  const NOW = Date.UTC(2026, 10, 20, 12, 0, 0); // 2026-11-20T12:00:00Z
  const DAY = 86_400_000;
  const at = (text: string) => parseTimeArg(text, '--since', NOW).getTime();

  it('ISO dates (midnight UTC) and date-times with a zone', () => {
    expect(at('2026-11-20')).toBe(Date.UTC(2026, 10, 20));
    expect(at('2026-11-20T08:15:00Z')).toBe(Date.UTC(2026, 10, 20, 8, 15));
    expect(at('2026-11-20T08:15:30.250Z')).toBe(Date.UTC(2026, 10, 20, 8, 15, 30, 250));
    expect(at('2026-11-20T08:15:00+02:00')).toBe(Date.UTC(2026, 10, 20, 6, 15));
    expect(at('2026-11-20 08:15-0130')).toBe(Date.UTC(2026, 10, 20, 9, 45));
    expect(at('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(at('1970-01-01')).toBe(0);
    // Without a zone, a date-time is the local time, as JavaScript reads it.
    expect(at('2026-11-20T08:15')).toBe(new Date(2026, 10, 20, 8, 15).getTime());
  });

  it('ages: minutes, hours, days and weeks back from now, up to 10 years', () => {
    expect(at('30m')).toBe(NOW - 30 * 60_000);
    expect(at('12h')).toBe(NOW - 12 * 3_600_000);
    expect(at('7d')).toBe(NOW - 7 * DAY);
    expect(at('2w')).toBe(NOW - 14 * DAY);
    expect(at('0d')).toBe(NOW);
    expect(at(`${MAX_AGE_DAYS}d`)).toBe(NOW - MAX_AGE_DAYS * DAY);
    expect(at('521w')).toBe(NOW - 521 * 7 * DAY);
    for (const old of [`${MAX_AGE_DAYS + 1}d`, '522w', '300000000d', '1000000w', `${'9'.repeat(400)}m`]) {
      const e = usage(() => at(old));
      expect(e.message).toBe(`--since ${old} is out of range: an age may be at most 10 years (${MAX_AGE_DAYS}d)`);
    }
  });

  it('impossible calendar dates and times of day are refused, saying why', () => {
    const why = (t: string) => usage(() => at(t)).message;
    expect(why('2026-02-30')).toBe('--since "2026-02-30" is not a time: February 2026 has 28 days');
    expect(why('2025-02-29')).toBe('--since "2025-02-29" is not a time: February 2025 has 28 days');
    expect(why('2026-04-31')).toBe('--since "2026-04-31" is not a time: April 2026 has 30 days');
    expect(why('2026-13-01')).toBe('--since "2026-13-01" is not a time: there is no month 13');
    expect(why('2026-00-10')).toBe('--since "2026-00-10" is not a time: there is no month 00');
    expect(why('2026-11-00')).toBe('--since "2026-11-00" is not a time: November 2026 has 30 days');
    expect(why('2026-11-20T24:00Z')).toBe('--since "2026-11-20T24:00Z" is not a time: 24:00 is not a time of day');
    expect(why('2026-11-20T08:60:00Z')).toBe('--since "2026-11-20T08:60:00Z" is not a time: 08:60:00 is not a time of day');
    expect(why('2026-11-20T08:00:00+24:00')).toBe('--since "2026-11-20T08:00:00+24:00" is not a time: +24:00 is not a zone offset');
  });

  it('dates before 1970 or more than a day ahead are out of range', () => {
    expect(usage(() => at('1969-12-31')).message).toBe('--since 1969-12-31 is out of range: dates start at 1970-01-01');
    expect(usage(() => at('1970-01-01T00:30:00+01:00')).message).toMatch(/out of range: dates start at 1970-01-01/);
    expect(at('2026-11-21T12:00:00Z')).toBe(NOW + DAY);
    expect(usage(() => at('2026-11-21T12:01:00Z')).message).toBe(
      '--since 2026-11-21T12:01:00Z is out of range: at most a day ahead (2026-11-21T12:00Z)',
    );
    expect(usage(() => at('2999-01-01')).hint).toMatch(/from 1970-01-01 to a day ahead .*at most 3653d/);
  });

  it('any year, month and day: accepted exactly when the calendar has that day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1970, max: 2025 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (y, m, d) => {
        const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
        const real = m >= 1 && m <= 12 && d >= 1 && new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
        if (real) expect(at(text)).toBe(Date.UTC(y, m - 1, d));
        else expect(usage(() => at(text)).message).toMatch(/is not a time: /);
      }),
      { numRuns: 2000 },
    );
  });

  it('any text: a date in range or a UsageError, never an invalid Date or another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.stringMatching(/^\d{1,12}[mhdw]$/),
        ),
        (text) => {
          try {
            const t = parseTimeArg(text, '--since', NOW).getTime();
            expect(t >= 0 && t <= NOW + DAY).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(UsageError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
