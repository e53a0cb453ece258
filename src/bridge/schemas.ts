// Protocol v1 wire schemas (../shared/contracts/bridge-protocol-v1.md, docs/bridge-protocol.md).
// Every bridge response is validated here; the client turns a failure into a ProtocolError naming
// the agent, the endpoint and the bad field. Unknown extra fields are stripped (the contract lets
// bridges add fields). The sim builds its replies from the same types.
import * as z from 'zod';
import { clientIdOf } from './client-id.js';

const money = z.number();
const price = z.number();
const int = z.number().int();
const ticket = z.number().int().positive();
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not an ISO-8601 time' });
/** `0` and `null` (and a missing field) all mean "no stop"; normalised to null. */
const stop = z
  .number()
  .nullish()
  .transform((v) => (v === 0 || v === undefined || v === null ? null : v));
const comment = z
  .string()
  .nullish()
  .transform((v) => v ?? '');

/** mt4gw's order id, found in the comment tag (client-id.ts): every listed trade carries it, or null. */
function withClientId<T extends { comment: string }>(t: T): T & { client_id: string | null } {
  return { ...t, client_id: clientIdOf(t.comment) };
}

export const AccountSchema = z.object({
  login: int,
  name: z.string(),
  server: z.string(),
  currency: z.string(),
  leverage: z.number().positive(),
  balance: money,
  equity: money,
  margin: money,
  free_margin: money,
  margin_level: z.number(),
  profit: money,
  server_time: isoTime,
  trade_allowed: z.boolean(),
});
export type Account = z.infer<typeof AccountSchema>;

export const TickSchema = z.object({
  symbol: z.string(),
  bid: price,
  ask: price,
  spread: z.number(),
  timestamp: isoTime,
});
export type Tick = z.infer<typeof TickSchema>;

export const SymbolSpecSchema = z.object({
  symbol: z.string(),
  digits: int.nonnegative(),
  point: z.number().positive(),
  contract_size: z.number().positive(),
  tick_size: z.number().positive(),
  tick_value: z.number().positive(),
  min_lot: z.number().positive(),
  lot_step: z.number().positive(),
  max_lot: z.number().positive(),
  stop_level: z.number().nonnegative(),
  freeze_level: z.number().nonnegative(),
  margin_required: z.number().nonnegative(),
});
export type SymbolSpec = z.infer<typeof SymbolSpecSchema>;

export const PositionSchema = z
  .object({
    ticket,
    symbol: z.string(),
    type: z.enum(['buy', 'sell']),
    lots: z.number().positive(),
    open_price: price,
    open_time: isoTime,
    sl: stop,
    tp: stop,
    current_price: price,
    swap: money.nullish().transform((v) => v ?? 0),
    commission: money.nullish().transform((v) => v ?? 0),
    profit: money,
    comment,
    magic: int.nullish().transform((v) => v ?? 0),
  })
  .transform(withClientId);
export type Position = z.infer<typeof PositionSchema>;

export const PendingOrderSchema = z
  .object({
    ticket,
    symbol: z.string(),
    type: z.enum(['buy_limit', 'sell_limit', 'buy_stop', 'sell_stop']),
    lots: z.number().positive(),
    open_price: price,
    open_time: isoTime,
    sl: stop,
    tp: stop,
    expiration: isoTime.nullish().transform((v) => v ?? null),
    comment,
    magic: int.nullish().transform((v) => v ?? 0),
  })
  .transform(withClientId);
export type PendingOrder = z.infer<typeof PendingOrderSchema>;

export const ClosedTradeSchema = z
  .object({
    ticket,
    symbol: z.string(),
    type: z.enum(['buy', 'sell']),
    lots: z.number().positive(),
    open_price: price,
    open_time: isoTime,
    close_price: price,
    close_time: isoTime,
    sl: stop,
    tp: stop,
    swap: money.nullish().transform((v) => v ?? 0),
    commission: money.nullish().transform((v) => v ?? 0),
    profit: money,
    comment,
    magic: int.nullish().transform((v) => v ?? 0),
  })
  .transform(withClientId);
export type ClosedTrade = z.infer<typeof ClosedTradeSchema>;

export const TradeReplySchema = z.object({
  success: z.boolean(),
  ticket: ticket.nullish().transform((v) => v ?? null),
  price: price.nullish().transform((v) => v ?? null),
  message: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  error_code: int,
  new_ticket: ticket.nullish().transform((v) => v ?? null),
});
export type TradeReply = z.infer<typeof TradeReplySchema>;

export const ErrorBodySchema = z.object({
  error: z.string(),
  message: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * A trade, one variant per action: what the trading layer asks of any transport. An opening order
 * carries mt4gw's order id as `client_id`; each transport puts it where its terminal keeps it (the
 * comment tag over REST and DWX), and reports it back as `client_id` on positions, orders and
 * history. `comment` is the user's own comment.
 */
export type TradeRequest =
  | {
      action: 'buy' | 'sell';
      symbol: string;
      lots: number;
      sl?: number;
      tp?: number;
      client_id?: string;
      comment?: string;
      magic?: number;
      slippage?: number;
    }
  | { action: 'close'; ticket: number; lots?: number }
  | { action: 'modify'; ticket: number; sl?: number | null; tp?: number | null }
  | { action: 'delete'; ticket: number };
