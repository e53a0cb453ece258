// What the trading layer needs from a terminal, whatever the wire: the EA Bridge REST protocol
// (client.ts), the DWX ZeroMQ server EA (dwx/) or MetaApi's cloud API (metaapi/). A wire that cannot tell something says so in its
// capabilities, and the method concerned answers undefined rather than pretending (an empty
// history is not the same as no history).
import type { Account, ClosedTrade, PendingOrder, Position, SymbolSpec, Tick, TradeReply, TradeRequest } from './schemas.js';

export type TransportKind = 'rest' | 'dwx' | 'metaapi';

/** What a transport can tell. Each false one is a gap the trading layer works around, and says so. */
export interface BridgeCapabilities {
  /** Closed trades (history()). False: history() resolves undefined. */
  history: boolean;
  /** Pending orders are listed by orders() (false: orders() lists none, which proves nothing). */
  pendingOrders: boolean;
  /** The terminal's contract specs (symbol()). False: symbol() resolves undefined; specs come from agents.yml or the table. */
  symbolSpecs: boolean;
  /** The broker's own clock and UTC offset in account().server_time. False: server_time is an estimate. */
  serverTime: boolean;
}

/** Everything protocol v1 offers. */
export const ALL_CAPABILITIES: Readonly<BridgeCapabilities> = Object.freeze({
  history: true,
  pendingOrders: true,
  symbolSpecs: true,
  serverTime: true,
});

export interface Bridge {
  readonly agent: string;
  readonly transport: TransportKind;
  readonly capabilities: Readonly<BridgeCapabilities>;
  account(): Promise<Account>;
  tick(symbol: string): Promise<Tick>;
  /** undefined when the bridge cannot tell (no /symbol endpoint, or no such command over the wire). */
  symbol(symbol: string): Promise<SymbolSpec | undefined>;
  positions(): Promise<Position[]>;
  orders(): Promise<PendingOrder[]>;
  /** undefined when the transport has no closed-trade history (capabilities.history false). */
  history(range?: { from?: Date; to?: Date }): Promise<ClosedTrade[] | undefined>;
  trade(request: TradeRequest): Promise<TradeReply>;
  close(): Promise<void>;
}

/** "history not available over dwx": for the messages of callers that work around a gap. */
export function missing(bridge: Pick<Bridge, 'transport'>, what: keyof BridgeCapabilities): string {
  const names: Record<keyof BridgeCapabilities, string> = {
    history: 'closed-trade history',
    pendingOrders: 'pending-order listing',
    symbolSpecs: 'symbol specs',
    serverTime: "the broker's clock",
  };
  return `${names[what]} not available over ${bridge.transport}`;
}
