// What every paper terminal's control offers by handing it to its engine, whatever wire the
// terminal speaks (REST in server.ts, DWX in dwx-server.ts).
import type { SimEngine } from './engine.js';
import type { HistoryInput, PendingOrderInput, SpecOverride } from './engine-state.js';
import type { Quote } from './market.js';

export abstract class EngineControl {
  abstract readonly engine: SimEngine;

  setPrice(symbol: string, bid: number): Quote {
    return this.engine.setPrice(symbol, bid);
  }

  unfreeze(symbol?: string): void {
    this.engine.unfreeze(symbol);
  }

  quote(symbol: string): Quote | undefined {
    return this.engine.quote(symbol);
  }

  setBalance(balance: number): void {
    this.engine.setBalance(balance);
  }

  addHistory(trades: HistoryInput[], options?: { adjustBalance?: boolean }) {
    return this.engine.addHistory(trades, options);
  }

  addPendingOrder(order: PendingOrderInput): number {
    return this.engine.addPendingOrder(order);
  }

  setSpec(symbol: string, override: SpecOverride): void {
    this.engine.setSpec(symbol, override);
  }

  setTradeAllowed(allowed: boolean): void {
    this.engine.setTradeAllowed(allowed);
  }

  account() {
    return this.engine.account();
  }

  positions() {
    return this.engine.positions();
  }

  orders() {
    return this.engine.orders();
  }

  history(from?: number, to?: number) {
    return this.engine.history(from, to);
  }

  state() {
    return this.engine.state();
  }
}
