// The one error the paper terminals throw at their callers.

/** A control-path or option error: the caller asked for something the sim cannot do. */
export class SimInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimInputError';
  }
}
