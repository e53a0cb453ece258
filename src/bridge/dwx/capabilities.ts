// What the DWX server EA can tell, in a module of its own so that opening a dwx agent's bridge
// loads neither the client nor zeromq until a command is sent.
import type { BridgeCapabilities } from '../transport.js';

/**
 * - history: no command lists closed trades.
 * - pendingOrders: GET_OPEN_TRADES lists them (types 2–5), without their expiration.
 * - symbolSpecs: no command gives point, lot limits or contract size.
 * - serverTime: GET_ACCOUNT_INFO gives the last tick's time to the minute, without a UTC offset.
 */
export const DWX_CAPABILITIES: Readonly<BridgeCapabilities> = Object.freeze({
  history: false,
  pendingOrders: true,
  symbolSpecs: false,
  serverTime: false,
});

/** The EA's default PUSH_PORT, PULL_PORT and PUB_PORT inputs. */
export const DWX_DEFAULT_PORTS = Object.freeze({ push: 32768, pull: 32769, pub: 32770 });
