// How flows write the journal. Opening an order journals strictly: if its intent cannot be made
// durable, it is not sent (StoreUnavailableError, exit 3). Everything that reduces exposure — close,
// close-all, panic — journals tolerantly: a full or read-only disk must never stop it, so a failed
// write is remembered and reported, and the work goes on.
import type { AppendOptions, DeskStore, JournalInput } from '../state/store.js';
import { StoreUnavailableError } from '../state/store.js';

export interface JournalWriter {
  write(input: JournalInput, options?: AppendOptions): Promise<void>;
  /** The first write that failed (tolerant writers only). */
  readonly failure: string | undefined;
}

export function strictJournal(store: DeskStore): JournalWriter {
  return {
    failure: undefined,
    write: async (input, options) => {
      await store.append(input, options);
    },
  };
}

export function tolerantJournal(store: DeskStore, onFailure?: (message: string) => void): JournalWriter {
  let failure: string | undefined;
  return {
    get failure() {
      return failure;
    },
    write: async (input, options) => {
      try {
        await store.append(input, options);
      } catch (e) {
        if (!(e instanceof StoreUnavailableError)) throw e;
        if (failure === undefined) {
          failure = e.message;
          onFailure?.(`the journal is NOT being written (${e.message}); carrying on`);
        }
      }
    },
  };
}
