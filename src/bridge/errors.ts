// Typed failures of a bridge call. Each names the agent and the endpoint; none ever carries a
// token (the client never puts one in a message, and Secret redacts itself).
import { EXIT, MtError, type MtErrorOptions } from '../errors.js';

/**
 * Transport-neutral failure kinds. Each transport maps its own wire (HTTP statuses, DWX replies,
 * MetaApi codes) onto these, so the trading layer never looks at a transport's shapes:
 * - unreachable / timeout: nothing (or not all) of the answer arrived;
 * - unauthorized: the token was refused; busy: the terminal is not ready now;
 * - protocol: an answer outside the transport's contract; http: another error answer;
 * - unknown_symbol: the terminal does not know the symbol; not_supported: the transport cannot do it;
 * - wrong_account: the terminal serves another account than agents.yml says (mt4.account, mt4.server);
 * - rate_limited: too many requests, retry later; not_connected: the account is not connected to its broker.
 */
export type BridgeErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'unauthorized'
  | 'protocol'
  | 'http'
  | 'busy'
  | 'unknown_symbol'
  | 'not_supported'
  | 'wrong_account'
  | 'rate_limited'
  | 'not_connected';

export class BridgeError extends MtError {
  readonly kind: BridgeErrorKind;
  readonly agent: string;
  /** `GET /account`, `POST /trade (buy)`, … */
  readonly endpoint: string;
  readonly status: number | undefined;
  /**
   * For POST /trade: true when the request may have reached the bridge, so its effect is unknown
   * (a timeout or dropped connection after sending). False when it provably was not delivered
   * (connection refused) or was refused before execution (401, 400, 503).
   */
  readonly maybeExecuted: boolean;
  constructor(
    kind: BridgeErrorKind,
    agent: string,
    endpoint: string,
    detail: string,
    extra: { status?: number; maybeExecuted?: boolean } & MtErrorOptions = {},
  ) {
    super(`${agent}: ${endpoint}: ${detail}`, EXIT.BRIDGE, { hint: extra.hint ?? defaultHint(kind), cause: extra.cause });
    this.kind = kind;
    this.agent = agent;
    this.endpoint = endpoint;
    this.status = extra.status;
    this.maybeExecuted = extra.maybeExecuted ?? false;
  }
  /** The one-line reason shown in tables (`offline: timed out after 5000 ms`). */
  get reason(): string {
    return this.message.slice(this.agent.length + this.endpoint.length + 4);
  }
}

function defaultHint(kind: BridgeErrorKind): string | undefined {
  switch (kind) {
    case 'unreachable':
      return 'Is the MT4 terminal running with the EA Bridge on that host and port? (`mt4gw status` checks every agent.)';
    case 'timeout':
      return 'The bridge did not answer in time; raise mt4.timeout_ms or --timeout if the terminal is slow.';
    case 'unauthorized':
      return "The bridge refused the token: check the agent's mt4.token / token_file and the EA's AUTH_TOKEN.";
    case 'protocol':
      return 'The bridge answered outside protocol v1 (docs/bridge-protocol.md); check the EA Bridge version.';
    case 'busy':
      return 'The terminal is not ready; try again in a moment.';
    case 'wrong_account':
      return 'Two agents may have swapped ports, or the terminal logged into another account: fix mt4 in agents.yml or log the terminal in (`mt4gw status`).';
    case 'rate_limited':
      return 'Too many requests for now; try again shortly.';
    case 'not_connected':
      return 'The account is not connected to its broker yet; check it at the provider, then try again.';
    default:
      return undefined;
  }
}
