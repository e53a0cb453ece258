// What the trading layer needs from a terminal, whatever the wire (REST today).
import type { Account, ClosedTrade, PendingOrder, Position, SymbolSpec, Tick, TradeReply, TradeRequest } from './schemas.js';

export interface Bridge {
  readonly agent: string;
  account(): Promise<Account>;
  tick(symbol: string): Promise<Tick>;
  /** undefined when the bridge cannot tell (no /symbol endpoint). */
  symbol(symbol: string): Promise<SymbolSpec | undefined>;
  positions(): Promise<Position[]>;
  orders(): Promise<PendingOrder[]>;
  history(range?: { from?: Date; to?: Date }): Promise<ClosedTrade[]>;
  trade(request: TradeRequest): Promise<TradeReply>;
  close(): Promise<void>;
}
