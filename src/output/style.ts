// Colour policy: colour only on a TTY, never with NO_COLOR (any non-empty value), TERM=dumb or
// --no-color; FORCE_COLOR=1..3 forces it (for screenshots and tests of the coloured form).
import { Chalk, type ChalkInstance } from 'chalk';

export interface ColorInputs {
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** false when --no-color was given. */
  flag: boolean;
}

export function colorLevel({ isTTY, env, flag }: ColorInputs): 0 | 1 | 2 | 3 {
  if (!flag) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === '0' || force === 'false') return 0;
    const n = Number(force);
    return n >= 1 && n <= 3 ? (n as 1 | 2 | 3) : 1;
  }
  if (!isTTY || env.TERM === 'dumb') return 0;
  return 1;
}

export function makeChalk(level: 0 | 1 | 2 | 3): ChalkInstance {
  return new Chalk({ level });
}
