// MetaApi's REST shapes (../shared/contracts/metaapi-notes.md), as zod schemas: every answer is
// validated here before it is mapped onto the wire model (map.ts). Unknown fields are stripped;
// optional ones stay optional. Ids come as strings (numbers are accepted too), times twice: `time`
// (ISO, UTC) and `brokerTime` (`YYYY-MM-DD HH:mm:ss.SSS` on the broker's clock).
import * as z from 'zod';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not an ISO-8601 time' });
const id = z.union([z.string().min(1), z.number()]).transform(String);
const optText = z.string().nullish();
const optNumber = z.number().nullish();

export const MaAccountSchema = z.object({
  platform: optText,
  broker: optText,
  currency: z.string(),
  server: z.string(),
  balance: z.number(),
  equity: z.number(),
  margin: z.number(),
  freeMargin: z.number(),
  leverage: z.number().positive(),
  marginLevel: optNumber,
  tradeAllowed: z.boolean(),
  name: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  login: z.union([z.number().int().positive(), z.string().regex(/^\d{1,18}$/)]).transform(Number),
  credit: optNumber,
  type: optText,
});
export type MaAccount = z.infer<typeof MaAccountSchema>;

export const MaServerTimeSchema = z.object({
  time: isoTime,
  brokerTime: z.string(),
});
export type MaServerTime = z.infer<typeof MaServerTimeSchema>;

export const MaPositionSchema = z.object({
  id,
  type: z.enum(['POSITION_TYPE_BUY', 'POSITION_TYPE_SELL']),
  symbol: z.string(),
  magic: optNumber,
  time: isoTime,
  brokerTime: optText,
  openPrice: z.number(),
  currentPrice: z.number(),
  currentTickValue: optNumber,
  stopLoss: optNumber,
  takeProfit: optNumber,
  volume: z.number().positive(),
  profit: z.number(),
  swap: optNumber,
  commission: optNumber,
  comment: optText,
  clientId: optText,
});
export type MaPosition = z.infer<typeof MaPositionSchema>;

export const MA_PENDING_TYPES = ['ORDER_TYPE_BUY_LIMIT', 'ORDER_TYPE_SELL_LIMIT', 'ORDER_TYPE_BUY_STOP', 'ORDER_TYPE_SELL_STOP'] as const;

export const MaOrderSchema = z.object({
  id,
  // Other types (a market order still in progress, MT5's stop-limit) are listed but not pending orders of MT4.
  type: z.string(),
  state: optText,
  symbol: z.string(),
  magic: optNumber,
  openPrice: optNumber,
  currentPrice: optNumber,
  stopLoss: optNumber,
  takeProfit: optNumber,
  volume: z.number(),
  currentVolume: optNumber,
  time: isoTime,
  brokerTime: optText,
  expirationType: optText,
  expirationTime: isoTime.nullish(),
  comment: optText,
  clientId: optText,
});
export type MaOrder = z.infer<typeof MaOrderSchema>;

export const MaDealSchema = z.object({
  id,
  type: z.string(),
  entryType: optText,
  symbol: optText,
  magic: optNumber,
  time: isoTime,
  brokerTime: optText,
  volume: optNumber,
  price: optNumber,
  profit: optNumber,
  swap: optNumber,
  commission: optNumber,
  positionId: id.nullish(),
  orderId: id.nullish(),
  stopLoss: optNumber,
  takeProfit: optNumber,
  comment: optText,
  clientId: optText,
});
export type MaDeal = z.infer<typeof MaDealSchema>;

export const MaSpecSchema = z.object({
  symbol: z.string(),
  tickSize: z.number().positive(),
  minVolume: z.number().positive(),
  maxVolume: z.number().positive(),
  volumeStep: z.number().positive(),
  contractSize: z.number().positive(),
  digits: z.number().int().nonnegative(),
  point: z.number().positive().nullish(),
  stopsLevel: z.number().nonnegative().nullish(),
  freezeLevel: z.number().nonnegative().nullish(),
});
export type MaSpec = z.infer<typeof MaSpecSchema>;

export const MaPriceSchema = z.object({
  symbol: z.string(),
  bid: z.number().positive(),
  ask: z.number().positive(),
  profitTickValue: z.number().nonnegative().nullish(),
  lossTickValue: z.number().nonnegative().nullish(),
  time: isoTime,
  brokerTime: optText,
});
export type MaPrice = z.infer<typeof MaPriceSchema>;

/** POST trade's answer: numericCode 0/10008/10009/10010/10025 is success; anything else failed or is unknown (codes.ts). */
export const MaTradeResultSchema = z.object({
  numericCode: z.number().int(),
  stringCode: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  message: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  orderId: id.nullish(),
  positionId: id.nullish(),
});
export type MaTradeResult = z.infer<typeof MaTradeResultSchema>;

/** Any error answer: `{id, error, message, details?}`; a trade error adds numericCode and stringCode; a 429 metadata. */
export const MaErrorSchema = z.object({
  error: z.string(),
  message: z.string().nullish(),
  numericCode: z.number().int().nullish(),
  stringCode: z.string().nullish(),
  details: z.unknown().optional(),
  metadata: z.unknown().optional(),
});
export type MaError = z.infer<typeof MaErrorSchema>;

/** The trade body (what the sim accepts and the client sends). */
export interface MaTradeBody {
  actionType: string;
  symbol?: string;
  volume?: number;
  openPrice?: number;
  stopLoss?: number;
  takeProfit?: number;
  comment?: string;
  clientId?: string;
  magic?: number;
  slippage?: number;
  positionId?: string;
  orderId?: string;
}

/** MetaApi keeps at most this many characters of comment and clientId together. */
export const MAX_COMMENT_AND_CLIENT_ID = 26;
