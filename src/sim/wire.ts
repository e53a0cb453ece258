// The wire shapes the paper terminals send (protocol v1, ../shared/contracts/bridge-protocol-v1.md).
// Each is checked at compile time against the input side of the zod schema the client validates
// with, so the sim cannot drift from src/bridge/schemas.ts unnoticed.
import type { z } from 'zod';
import type {
  AccountSchema,
  ClosedTradeSchema,
  PendingOrderSchema,
  PositionSchema,
  SymbolSpec,
  SymbolSpecSchema,
  TickSchema,
  TradeReplySchema,
} from '../bridge/schemas.js';

export type Side = 'buy' | 'sell';
export type PendingType = 'buy_limit' | 'sell_limit' | 'buy_stop' | 'sell_stop';
export const PENDING_TYPES: readonly PendingType[] = ['buy_limit', 'sell_limit', 'buy_stop', 'sell_stop'];

export interface AccountWire {
  login: number;
  name: string;
  server: string;
  currency: string;
  leverage: number;
  balance: number;
  equity: number;
  margin: number;
  free_margin: number;
  margin_level: number;
  profit: number;
  server_time: string;
  trade_allowed: boolean;
}
export interface TickWire {
  symbol: string;
  bid: number;
  ask: number;
  spread: number;
  timestamp: string;
}
export type SymbolSpecWire = SymbolSpec;
export interface PositionWire {
  ticket: number;
  symbol: string;
  type: 'buy' | 'sell';
  lots: number;
  open_price: number;
  open_time: string;
  sl: number;
  tp: number;
  current_price: number;
  swap: number;
  commission: number;
  profit: number;
  comment: string;
  magic: number;
}
export interface PendingOrderWire {
  ticket: number;
  symbol: string;
  type: PendingType;
  lots: number;
  open_price: number;
  open_time: string;
  sl: number;
  tp: number;
  expiration: string | null;
  comment: string;
  magic: number;
}
export interface ClosedTradeWire {
  ticket: number;
  symbol: string;
  type: 'buy' | 'sell';
  lots: number;
  open_price: number;
  open_time: string;
  close_price: number;
  close_time: string;
  sl: number;
  tp: number;
  swap: number;
  commission: number;
  profit: number;
  comment: string;
  magic: number;
}
export interface TradeReplyWire {
  success: boolean;
  ticket: number | null;
  price: number | null;
  message: string;
  error_code: number;
  new_ticket?: number;
}

type Fits<A extends B, B> = A;
/** Compile-time proof that every reply shape is accepted by the client's schema. */
export type WireChecks = [
  Fits<AccountWire, z.input<typeof AccountSchema>>,
  Fits<TickWire, z.input<typeof TickSchema>>,
  Fits<SymbolSpecWire, z.input<typeof SymbolSpecSchema>>,
  Fits<PositionWire, z.input<typeof PositionSchema>>,
  Fits<PendingOrderWire, z.input<typeof PendingOrderSchema>>,
  Fits<ClosedTradeWire, z.input<typeof ClosedTradeSchema>>,
  Fits<TradeReplyWire, z.input<typeof TradeReplySchema>>,
];
