// Everything the risk library needs about one agent and one symbol, read concurrently.
import { BridgeError } from '../bridge/errors.js';
import type { Account, ClosedTrade, Position, SymbolSpec, Tick } from '../bridge/schemas.js';
import type { SymbolOverride } from '../bridge/symbols.js';
import type { Bridge } from '../bridge/transport.js';
import { UsageError } from '../errors.js';
import { resolveSpec, type SpecSource } from './spec.js';

export interface MarketSnapshot {
  account: Account;
  positions: Position[];
  quote: Tick;
  spec: SymbolSpec | undefined;
  /** Where the contract spec came from. */
  specSource: SpecSource;
  /** The terminal's clock minus ours when the account was read (ms). */
  terminalOffsetMs: number;
  /** Trades closed since the start of the broker's day (the bridge's default range); empty without history. */
  closedToday: ClosedTrade[];
  /** 'equity' when the bridge has no trade history: the risk checks estimate today's loss from equity vs balance. */
  dailyLossBasis: 'history' | 'equity';
}

export async function readMarket(bridge: Bridge, symbol: string, overrides: Record<string, SymbolOverride>): Promise<MarketSnapshot> {
  const readAt = Date.now();
  const [account, positions, quote, bridgeSpec, history] = await Promise.all([
    bridge.account(),
    bridge.positions(),
    bridge.tick(symbol).catch((e: unknown) => {
      if (e instanceof BridgeError && e.kind === 'unknown_symbol') {
        throw new UsageError(`${bridge.agent} does not know the symbol ${symbol}; nothing was sent`, {
          hint: "Check the symbol's name in the terminal's Market Watch (brokers add suffixes such as XAUUSD.m).",
        });
      }
      throw e;
    }),
    bridge.symbol(symbol),
    bridge.history(),
  ]);
  const { spec, source: specSource } = resolveSpec(symbol, bridgeSpec, { price: quote.bid, account }, overrides);
  // No history over this transport (capabilities.history false): nothing can be said about trades
  // closed today, and the risk checks are told so rather than given an empty list as if it were.
  const dailyLossBasis = history === undefined ? 'equity' : 'history';
  const serverNow = Date.parse(account.server_time);
  const terminalOffsetMs = bridge.capabilities.serverTime && Number.isFinite(serverNow) ? serverNow - readAt : 0;
  return { account, positions, quote, spec, specSource, terminalOffsetMs, closedToday: history ?? [], dailyLossBasis };
}
