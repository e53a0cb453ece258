// An order or a close for a terminal that serves another account than agents.yml names (bridge/
// identity.ts) is refused before anything is sent to it: a configuration problem, exit 2.
import { BridgeError } from '../bridge/errors.js';
import { UsageError } from '../errors.js';

export async function refuseWrongTerminal<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof BridgeError && e.kind === 'wrong_account') throw new UsageError(e.message, { hint: e.hint, cause: e });
    throw e;
  }
}
